"""Stripe-shaped JSON objects: every top-level key of Stripe's own examples, with the same types."""

from __future__ import annotations

import secrets
import string
from typing import Any

_ALPHABET = string.ascii_letters + string.digits

# Currencies whose amounts are whole units (Stripe's list), used only to display amounts.
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)


def new_id(prefix: str, length: int = 24) -> str:
    """A random Stripe-style id such as `pi_3Q…`."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def format_amount(amount: int, currency: str) -> str:
    """`1250, "usd"` → `"12.50 USD"`, with integer arithmetic only."""
    code = currency.upper()
    if currency.lower() in ZERO_DECIMAL:
        return f"{amount} {code}"
    sign = "-" if amount < 0 else ""
    units, cents = divmod(abs(amount), 100)
    return f"{sign}{units}.{cents:02d} {code}"


def checkout_session(
    *,
    session_id: str,
    created: int,
    expires_at: int,
    currency: str,
    amount_total: int,
    url: str,
    success_url: str | None,
    cancel_url: str | None,
    client_reference_id: str | None,
    customer_email: str | None,
    metadata: dict[str, str],
    payment_method_types: list[str],
    explicit_payment_method_types: bool,
    payment_method_options: dict[str, Any],
    locale: str | None,
    submit_type: str | None,
) -> dict[str, Any]:
    """A new, open `checkout.session` in payment mode."""
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount_total,
        "amount_total": amount_total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": cancel_url,
        "client_reference_id": client_reference_id,
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_account": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": customer_email,
        "discounts": [],
        "expires_at": expires_at,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        },
        "livemode": False,
        "locale": locale,
        "managed_payments": {"enabled": False},
        "metadata": metadata,
        "mode": "payment",
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": (
            None if explicit_payment_method_types else {"id": "pmc_emulator_default", "parent": None}
        ),
        "payment_method_options": payment_method_options,
        "payment_method_types": payment_method_types,
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": {
            "allow_redisplay_filters": ["always"],
            "payment_method_remove": None,
            "payment_method_save": None,
        },
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": submit_type,
        "subscription": None,
        "success_url": success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": url,
        "wallet_options": None,
    }


def customer_details(email: str | None) -> dict[str, Any]:
    """What Checkout collected from the payer (the emulator's page asks only for a card)."""
    return {
        "address": {
            "city": None,
            "country": None,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": None,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def line_item(
    *, currency: str, unit_amount: int, quantity: int, name: str, created: int, metadata: dict[str, str]
) -> dict[str, Any]:
    """One `item` of a session's `line_items` list, with its ad-hoc price.

    `discounts` and `taxes` are left out: Stripe includes them only when expanded.
    """
    amount = unit_amount * quantity
    return {
        "id": new_id("li_1"),
        "object": "item",
        "adjustable_quantity": None,
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": currency,
        "description": name,
        "price": {
            "id": new_id("price_1"),
            "object": "price",
            "active": False,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": currency,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": new_id("prod_", 14),
            "recurring": None,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        },
        "metadata": metadata,
        "quantity": quantity,
    }


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    """Stripe's list envelope."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def list_page(
    data: list[dict[str, Any]], url: str, *, limit: int = 10, starting_after: str | None = None,
    ending_before: str | None = None,
) -> dict[str, Any]:
    """One page of a list kept in order (a session's line items), as Stripe pages it: `limit`
    objects after `starting_after`, or before `ending_before`, or from the start.

    Raises KeyError with the cursor when no object of the list has that id.
    """
    ids = [obj["id"] for obj in data]
    if starting_after is not None:
        if starting_after not in ids:
            raise KeyError(starting_after)
        start = ids.index(starting_after) + 1
        return list_object(data[start:start + limit], url, start + limit < len(data))
    if ending_before is not None:
        if ending_before not in ids:
            raise KeyError(ending_before)
        end = ids.index(ending_before)
        return list_object(data[max(0, end - limit):end], url, end - limit > 0)
    return list_object(data[:limit], url, limit < len(data))


def payment_intent(
    *, intent_id: str, created: int, amount: int, currency: str, payment_method_types: list[str],
    metadata: dict[str, str], description: str | None, receipt_email: str | None,
) -> dict[str, Any]:
    """A PaymentIntent as Checkout creates it when the payer first submits the form."""
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": None,
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": payment_method_types,
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


def card_details(brand: str, last4: str) -> dict[str, Any]:
    """`payment_method_details.card` of a test card charge."""
    return {
        "brand": brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
        "country": "US",
        "exp_month": 12,
        "exp_year": 2034,
        "fingerprint": new_id("", 16),
        "funding": "credit",
        "last4": last4,
        "network": brand,
        "three_d_secure": None,
        "wallet": None,
    }


def charge(
    *, charge_id: str, created: int, amount: int, currency: str, intent_id: str,
    payment_method: str, payment_method_details: dict[str, Any], metadata: dict[str, str],
    receipt_email: str | None, description: str | None,
) -> dict[str, Any]:
    """A succeeded, captured charge."""
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn_3"),
        "billing_details": {
            "address": {"city": None, "country": None, "line1": None, "line2": None,
                        "postal_code": None, "state": None},
            "email": receipt_email,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "STRIPE EMULATOR",
        "captured": True,
        "created": created,
        "currency": currency,
        "customer": None,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": metadata,
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": True,
        "payment_intent": intent_id,
        "payment_method": payment_method,
        "payment_method_details": payment_method_details,
        "radar_options": {},
        "receipt_email": receipt_email,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }


def refund(
    *, refund_id: str, created: int, amount: int, currency: str, charge_id: str, intent_id: str,
    payment_method: str | None, method_type: str, reason: str | None, metadata: dict[str, str],
) -> dict[str, Any]:
    """A refund that succeeded at once (test mode)."""
    if method_type == "card":
        destination = {
            "card": {"reference": None, "reference_status": "pending",
                     "reference_type": "acquirer_reference_number", "type": "refund"},
            "type": "card",
        }
    else:
        destination = {method_type: {}, "type": method_type}
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn_3"),
        "charge": charge_id,
        "created": created,
        "currency": currency,
        "customer": None,
        "customer_account": None,
        "destination_details": destination,
        "metadata": metadata,
        "payment_intent": intent_id,
        "payment_method": payment_method,
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def event(
    *, event_id: str, created: int, event_type: str, obj: dict[str, Any], api_version: str,
    previous_attributes: dict[str, Any] | None, request_id: str | None,
    idempotency_key: str | None, pending_webhooks: int,
) -> dict[str, Any]:
    """An `event` whose `data.object` is a snapshot of the object at that moment."""
    data: dict[str, Any] = {"object": obj}
    if previous_attributes:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id,
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
