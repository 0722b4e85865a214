"""Creating a Checkout Session: Stripe's parameters, limits and error messages."""

from __future__ import annotations

import re
from typing import Any

from . import objects, params, storage
from .errors import param_error
from .ledger import Context
from .objects import new_id

# Stripe's minimum charge per currency (smallest unit); other currencies are not checked.
MINIMUM_CHARGE = {
    "usd": 50, "eur": 50, "brl": 50, "cad": 50, "aud": 50, "nzd": 50, "chf": 50, "sgd": 50,
    "inr": 50, "jpy": 50, "gbp": 30, "dkk": 250, "nok": 300, "sek": 300, "pln": 200, "mxn": 1000,
}
#: Stripe's largest amount: "up to eight digits (e.g., a value of 99999999 for a USD charge of $999,999.99)"
MAXIMUM_CHARGE = 99_999_999
ASYNC_METHODS = {"boleto": "brl"}
#: Stripe's limit of line items per session in payment mode
MAX_LINE_ITEMS = 100
SESSION_CREATE_PARAMS = {
    "mode", "line_items", "client_reference_id", "metadata", "success_url", "cancel_url",
    "expires_at", "payment_method_types", "customer_email", "locale", "submit_type",
    "payment_intent_data", "payment_method_options", "customer_creation",
    "billing_address_collection", "ui_mode",
}


def create_session(ctx: Context, form: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/checkout/sessions` in payment mode with `price_data` line items."""
    params.check_known(form, SESSION_CREATE_PARAMS)
    mode = params.text(form, "mode", required=True)
    if mode != "payment":
        raise param_error("The Stripe emulator supports only mode=payment.", "mode")
    if params.text(form, "ui_mode") not in (None, "hosted"):
        raise param_error("The Stripe emulator supports only ui_mode=hosted.", "ui_mode")
    currency, items = _line_items(ctx, form)
    amount_total = sum(item["amount_total"] for item in items)
    minimum = MINIMUM_CHARGE.get(currency)
    if minimum and 0 < amount_total < minimum:
        raise param_error(
            "The Checkout Session's total amount due must add up to at least "
            f"{objects.format_amount(minimum, currency)}.", "line_items", "amount_too_small",
        )
    if amount_total > MAXIMUM_CHARGE:
        raise param_error(
            "The Checkout Session's total amount due must be no more than "
            f"{objects.format_amount(MAXIMUM_CHARGE, currency)}.", "line_items", "amount_too_large",
        )
    expires_at = _expires_at(ctx, form)
    methods, explicit = _payment_method_types(form, currency)
    method_options = _payment_method_options(ctx, form, methods)
    intent_data = params.mapping(form, "payment_intent_data")
    params.check_known(intent_data, {"metadata", "description", "receipt_email"}, "payment_intent_data")
    client_reference_id = params.text(form, "client_reference_id")
    if client_reference_id and len(client_reference_id) > 200:
        raise param_error("client_reference_id must be at most 200 characters.", "client_reference_id")

    session_id = new_id("cs_test_a1", 56)
    session = objects.checkout_session(
        session_id=session_id,
        created=ctx.now,
        expires_at=expires_at,
        currency=currency,
        amount_total=amount_total,
        url=f"{ctx.settings.api_base}/checkout/{session_id}",
        success_url=_url(form, "success_url"),
        cancel_url=_url(form, "cancel_url"),
        client_reference_id=client_reference_id,
        customer_email=params.text(form, "customer_email"),
        metadata=params.metadata(form),
        payment_method_types=methods,
        explicit_payment_method_types=explicit,
        payment_method_options=method_options,
        locale=params.text(form, "locale"),
        submit_type=params.text(form, "submit_type"),
    )
    private = {
        "line_items": items,
        "payment_intent_data": {
            "metadata": params.metadata(intent_data, path="payment_intent_data[metadata]"),
            "description": params.text(intent_data, "description"),
            "receipt_email": params.text(intent_data, "receipt_email"),
        },
    }
    storage.insert(ctx.conn, "checkout.session", session, private, wake_at=expires_at)
    return session


def _line_items(ctx: Context, form: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    entries = params.array(form, "line_items")
    if not entries:
        raise param_error("Missing required param: line_items.", "line_items", "parameter_missing")
    if len(entries) > MAX_LINE_ITEMS:
        raise param_error(
            f"You may only specify up to {MAX_LINE_ITEMS} line items in payment mode.", "line_items"
        )
    currencies: set[str] = set()
    items = []
    for index, entry in enumerate(entries):
        path = f"line_items[{index}]"
        if not isinstance(entry, dict):
            raise param_error(f"Invalid object: {path}", path)
        params.check_known(
            entry, {"price_data", "quantity", "price", "adjustable_quantity", "tax_rates", "metadata"}, path
        )
        if "price" in entry:
            raise param_error("The Stripe emulator supports only price_data line items.", f"{path}[price]")
        price_data = params.mapping(entry, "price_data", path=f"{path}[price_data]")
        if not price_data:
            raise param_error(f"Missing required param: {path}[price_data].", f"{path}[price_data]",
                              "parameter_missing")
        params.check_known(
            price_data, {"currency", "unit_amount", "product_data", "tax_behavior"}, f"{path}[price_data]"
        )
        currency = str(params.text(price_data, "currency", required=True, path=f"{path}[price_data][currency]"))
        unit_amount = params.integer(
            price_data, "unit_amount", required=True, minimum=0, path=f"{path}[price_data][unit_amount]"
        )
        product = params.mapping(price_data, "product_data", path=f"{path}[price_data][product_data]")
        name = params.text(product, "name", required=True, path=f"{path}[price_data][product_data][name]")
        quantity = params.integer(entry, "quantity", required=True, minimum=1, path=f"{path}[quantity]")
        assert unit_amount is not None and quantity is not None and name is not None
        currencies.add(currency.lower())
        items.append(objects.line_item(
            currency=currency.lower(), unit_amount=unit_amount, quantity=quantity, name=name, created=ctx.now,
            metadata=params.metadata(entry, path=f"{path}[metadata]"),
        ))
    if len(currencies) > 1:
        raise param_error("All line items must have the same currency.", "line_items")
    return currencies.pop(), items


def _expires_at(ctx: Context, form: dict[str, Any]) -> int:
    expires_at = params.integer(form, "expires_at")
    if expires_at is None:
        return ctx.now + ctx.settings.max_expiry_seconds
    if expires_at < ctx.now + ctx.settings.min_expiry_seconds:
        raise param_error(
            "The `expires_at` timestamp must be at least "
            f"{_duration(ctx.settings.min_expiry_seconds)} from Checkout Session creation.", "expires_at",
        )
    if expires_at > ctx.now + ctx.settings.max_expiry_seconds:
        raise param_error(
            "The `expires_at` timestamp must be less than "
            f"{_duration(ctx.settings.max_expiry_seconds)} from Checkout Session creation.", "expires_at",
        )
    return expires_at


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hours"
    if seconds % 60 == 0:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"


def _payment_method_types(form: dict[str, Any], currency: str) -> tuple[list[str], bool]:
    requested = params.array(form, "payment_method_types")
    if not requested:
        return ["card", *[m for m, cur in ASYNC_METHODS.items() if cur == currency]], False
    for index, method in enumerate(requested):
        path = f"payment_method_types[{index}]"
        if method != "card" and method not in ASYNC_METHODS:
            raise param_error(f"The Stripe emulator does not support the payment method type {method!r}.", path)
        if method in ASYNC_METHODS and ASYNC_METHODS[method] != currency:
            raise param_error(
                f"The payment method `{method}` does not support the currency `{currency}`.", path
            )
    return list(dict.fromkeys(requested)), True


def _payment_method_options(ctx: Context, form: dict[str, Any], methods: list[str]) -> dict[str, Any]:
    options = params.mapping(form, "payment_method_options")
    params.check_known(options, {"card", "boleto"}, "payment_method_options")
    result: dict[str, Any] = {}
    if "boleto" in methods:
        boleto = params.mapping(options, "boleto", path="payment_method_options[boleto]")
        days = params.integer(boleto, "expires_after_days", minimum=0,
                              path="payment_method_options[boleto][expires_after_days]")
        result["boleto"] = {
            "expires_after_days": ctx.settings.boleto_expires_after_days if days is None else days
        }
    return result


def _url(form: dict[str, Any], name: str) -> str | None:
    value = params.text(form, name)
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise param_error("Not a valid URL", name, "url_invalid")
    return value
