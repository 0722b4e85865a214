"""What happens to sessions, PaymentIntents, charges and refunds after creation; the API, the
hosted page, the test controls and the sweeper all call these functions, inside one write
transaction each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import objects, params, storage
from .errors import param_error, state_error
from .ledger import Context, emit, require
from .objects import new_id
from .sessions import ASYNC_METHODS
from .storage import Record

REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
#: payment methods Stripe cannot refund (its page of each says "Refunds: No")
UNREFUNDABLE_METHODS = {"boleto"}
CLOSED_MESSAGES = {
    "complete": "This Checkout Session is already complete.",
    "expired": "This Checkout Session has expired.",
}
USE_A_TEST_CARD = "Use a test card: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined."


@dataclass(frozen=True)
class TestCard:
    """A card number from Stripe's testing page and what it does."""

    brand: str
    last4: str
    decline_code: str | None = None
    message: str | None = None
    #: what a refund of its charge does later: `failed` (it begins `succeeded`), `succeeded` (it
    #: begins `pending`); None: it succeeds at once
    refund_later: str | None = None


TEST_CARDS = {
    "4242424242424242": TestCard("visa", "4242"),
    "5555555555554444": TestCard("mastercard", "4444"),
    "4000000000000002": TestCard("visa", "0002", "generic_decline", "Your card was declined."),
    "4000000000009995": TestCard("visa", "9995", "insufficient_funds", "Your card has insufficient funds."),
    # Stripe's "Refunds" test cards: the charge succeeds, its refund changes status later.
    "4000000000005126": TestCard("visa", "5126", refund_later="failed"),
    "4000000000007726": TestCard("visa", "7726", refund_later="succeeded"),
}
#: why a refund of a `refund_later="failed"` card fails (Stripe's `failure_reason` for that card)
REFUND_FAILURE_REASON = "expired_or_canceled_card"


@dataclass(frozen=True)
class PaymentOutcome:
    """What a submit on the hosted page did: `paid`, `processing` (boleto issued),
    `declined`, `invalid` (not a usable card) or `closed` (session not open)."""

    result: str
    session: dict[str, Any]
    message: str | None = None

    @property
    def completed(self) -> bool:
        return self.result in ("paid", "processing")


# --- expiring -------------------------------------------------------------------------------


def expire_session(ctx: Context, session_id: str) -> dict[str, Any]:
    """Expire an open session (API call, test control, or its `expires_at` has come)."""
    record = require(ctx, "checkout.session", session_id)
    if record.body["status"] != "open":
        raise state_error('Only Checkout Sessions with a status in ["open"] can be expired.',
                          param="session")
    _expire(ctx, record)
    return record.body


def _expire(ctx: Context, record: Record) -> None:
    session = record.body
    session.update(status="expired", url=None)
    if session["payment_intent"]:
        intent = require(ctx, "payment_intent", session["payment_intent"])
        intent.body.update(status="canceled", canceled_at=ctx.now, cancellation_reason="abandoned")
        storage.save(ctx.conn, intent)
    _save_session(ctx, record)
    emit(ctx, "checkout.session.expired", session, session["id"])


def _save_session(ctx: Context, record: Record) -> None:
    session = record.body
    wake_at = None
    if session["status"] == "open":
        wake_at = session["expires_at"]
    elif record.private.get("boleto") == "pending":
        wake_at = record.private["boleto_due"]
    storage.save(ctx.conn, record, wake_at=wake_at)


def sweep(ctx: Context) -> list[str]:
    """Expire sessions whose `expires_at` has come and fail boletos past their due date."""
    touched = []
    for session_id in storage.due_for_wake(ctx.conn, "checkout.session", ctx.now):
        record = require(ctx, "checkout.session", session_id)
        if record.body["status"] == "open" and record.body["expires_at"] <= ctx.now:
            _expire(ctx, record)
            touched.append(session_id)
        elif record.private.get("boleto") == "pending" and record.private["boleto_due"] <= ctx.now:
            _settle(ctx, record, "failed")
            touched.append(session_id)
        else:
            _save_session(ctx, record)
    for refund_id in storage.due_for_wake(ctx.conn, "refund", ctx.now):
        settle_refund(ctx, refund_id)
        touched.append(refund_id)
    return touched


# --- paying ---------------------------------------------------------------------------------


def pay(ctx: Context, session_id: str, *, card: str | None = None, method: str | None = None) -> PaymentOutcome:
    """What the hosted page's Pay does with a test card number, or with `method="boleto"`."""
    record = require(ctx, "checkout.session", session_id)
    session = record.body
    if session["status"] == "open" and session["expires_at"] <= ctx.now:
        _expire(ctx, record)
    if session["status"] != "open":
        return PaymentOutcome("closed", session, CLOSED_MESSAGES[session["status"]])
    if session["amount_total"] == 0:
        _complete(ctx, record, "no_payment_required")
        return PaymentOutcome("paid", session)
    if method and method != "card":
        if method not in session["payment_method_types"] or method not in ASYNC_METHODS:
            return PaymentOutcome("invalid", session, f"{method.title()} is not available for this payment.")
        _issue_boleto(ctx, record)
        return PaymentOutcome("processing", session)
    if "card" not in session["payment_method_types"]:
        return PaymentOutcome("invalid", session, "Cards are not accepted for this payment.")
    test_card = TEST_CARDS.get(re.sub(r"[\s-]", "", card or ""))
    if test_card is None:
        return PaymentOutcome("invalid", session, USE_A_TEST_CARD)
    intent = _ensure_intent(ctx, record)
    if test_card.decline_code:
        _decline(ctx, intent, test_card)
        _save_session(ctx, record)
        return PaymentOutcome("declined", session, test_card.message)
    details = {"type": "card", "card": objects.card_details(test_card.brand, test_card.last4)}
    charge = _charge(ctx, record, intent, "card", details)
    if test_card.refund_later:
        charge.private["refund_later"] = test_card.refund_later
        storage.save(ctx.conn, charge)
    _complete(ctx, record, "paid")
    return PaymentOutcome("paid", session)


def _ensure_intent(ctx: Context, record: Record) -> Record:
    session = record.body
    if session["payment_intent"]:
        return require(ctx, "payment_intent", session["payment_intent"])
    intent_data = record.private.get("payment_intent_data", {})
    body = objects.payment_intent(
        intent_id=new_id("pi_3"),
        created=ctx.now,
        amount=session["amount_total"],
        currency=session["currency"],
        payment_method_types=session["payment_method_types"],
        metadata=intent_data.get("metadata") or {},
        description=intent_data.get("description"),
        receipt_email=intent_data.get("receipt_email"),
    )
    intent = Record(body, {"session_id": session["id"]})
    storage.insert(ctx.conn, "payment_intent", body, intent.private)
    session["payment_intent"] = body["id"]
    return intent


def _decline(ctx: Context, intent: Record, test_card: TestCard) -> None:
    intent.body.update(
        status="requires_payment_method",
        payment_method=None,
        last_payment_error={
            "type": "card_error",
            "code": "card_declined",
            "decline_code": test_card.decline_code,
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": test_card.message,
            "payment_method": {
                "id": new_id("pm_1"),
                "object": "payment_method",
                "type": "card",
                "card": {"brand": test_card.brand, "last4": test_card.last4},
            },
        },
    )
    storage.save(ctx.conn, intent)


def _charge(ctx: Context, session: Record, intent: Record, method_type: str, details: dict[str, Any]) -> Record:
    payment_method = intent.body["payment_method"] or new_id("pm_1")
    body = objects.charge(
        charge_id=new_id("ch_3"),
        created=ctx.now,
        amount=intent.body["amount"],
        currency=intent.body["currency"],
        intent_id=intent.body["id"],
        payment_method=payment_method,
        payment_method_details=details,
        metadata=intent.body["metadata"],
        receipt_email=intent.body["receipt_email"],
        description=intent.body["description"],
    )
    charge = Record(body, {"session_id": session.body["id"], "method_type": method_type})
    storage.insert(ctx.conn, "charge", body, charge.private)
    intent.body.update(
        status="succeeded",
        amount_received=intent.body["amount"],
        latest_charge=body["id"],
        payment_method=payment_method,
        last_payment_error=None,
        next_action=None,
    )
    storage.save(ctx.conn, intent)
    return charge


def _complete(ctx: Context, record: Record, payment_status: str) -> None:
    session = record.body
    session.update(
        status="complete",
        payment_status=payment_status,
        url=None,
        customer_details=objects.customer_details(session["customer_email"]),
    )
    _save_session(ctx, record)
    emit(ctx, "checkout.session.completed", session, session["id"])


def _issue_boleto(ctx: Context, record: Record) -> None:
    session = record.body
    intent = _ensure_intent(ctx, record)
    days = session["payment_method_options"].get("boleto", {}).get(
        "expires_after_days", ctx.settings.boleto_expires_after_days
    )
    due = ctx.now + int(days) * 86400
    intent.body.update(
        status="requires_action",
        payment_method=new_id("pm_1"),
        last_payment_error=None,
        next_action={
            "type": "boleto_display_details",
            "boleto_display_details": {
                "expires_at": due,
                "hosted_voucher_url": f"{ctx.settings.api_base}/checkout/{session['id']}",
                "number": "01010101010101010101010101010101010101010101010",
                "pdf": None,
            },
        },
    )
    storage.save(ctx.conn, intent)
    record.private.update(boleto="pending", boleto_due=due)
    _complete(ctx, record, "unpaid")


def settle(ctx: Context, session_id: str, result: str) -> dict[str, Any]:
    """Test control: the boleto of a completed, unpaid session is paid or lapses."""
    if result not in ("succeeded", "failed"):
        raise param_error("result must be succeeded or failed.", "result")
    record = require(ctx, "checkout.session", session_id)
    if record.private.get("boleto") != "pending":
        raise state_error("Only a completed session with an unpaid boleto can be settled.", param="session")
    _settle(ctx, record, result)
    return record.body


def _settle(ctx: Context, record: Record, result: str) -> None:
    session = record.body
    intent = require(ctx, "payment_intent", session["payment_intent"])
    if result == "succeeded":
        _charge(ctx, record, intent, "boleto", {"type": "boleto", "boleto": {"tax_id": "000.000.000-00"}})
        session["payment_status"] = "paid"
        record.private["boleto"] = "paid"
        event_type = "checkout.session.async_payment_succeeded"
    else:
        intent.body.update(
            status="requires_payment_method",
            payment_method=None,
            next_action=None,
            last_payment_error={
                "type": "invalid_request_error",
                "code": "payment_intent_payment_attempt_expired",
                "message": "The boleto expired before it was paid.",
            },
        )
        storage.save(ctx.conn, intent)
        record.private["boleto"] = "failed"
        event_type = "checkout.session.async_payment_failed"
    _save_session(ctx, record)
    emit(ctx, event_type, session, session["id"])


# --- refunds --------------------------------------------------------------------------------


def settle_refund(ctx: Context, refund_id: str) -> dict[str, Any]:
    """A refund of a `refund_later` card reaches its end now (the sweeper does it `refund_settle_seconds`
    after it was made): `failed` gives the charge its amount back; sends `charge.refund.updated`, and
    `refund.failed` for a failure. A refund that has ended already is left as it is."""
    record = require(ctx, "refund", refund_id)
    later = record.private.pop("refund_later", None)
    refund = record.body
    if later is None:
        storage.save(ctx.conn, record)
        return refund
    previous = {"status": refund["status"]}
    refund["status"] = later
    if later == "failed":
        refund["failure_reason"] = REFUND_FAILURE_REASON
        refund["failure_balance_transaction"] = new_id("txn_3")
        charge = require(ctx, "charge", refund["charge"])
        charge.body["amount_refunded"] -= refund["amount"]
        charge.body["refunded"] = False
        storage.save(ctx.conn, charge)
    storage.save(ctx.conn, record)
    ordering_key = record.private.get("session_id") or refund["charge"]
    emit(ctx, "charge.refund.updated", refund, ordering_key, previous)
    if later == "failed":
        emit(ctx, "refund.failed", refund, ordering_key)
    return refund


def create_refund(ctx: Context, form: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/refunds` for a PaymentIntent (or charge); sends `charge.refunded`."""
    params.check_known(form, {"payment_intent", "charge", "amount", "reason", "metadata", "instructions_email"})
    intent_id = params.text(form, "payment_intent")
    charge_id = params.text(form, "charge")
    amount = params.integer(form, "amount", minimum=1)
    reason = params.text(form, "reason")
    metadata = params.metadata(form)
    if reason is not None and reason not in REFUND_REASONS:
        raise param_error(f"Invalid reason: must be one of {', '.join(sorted(REFUND_REASONS))}", "reason")
    if intent_id:
        intent = require(ctx, "payment_intent", intent_id)
        if intent.body["status"] != "succeeded" or not intent.body["latest_charge"]:
            raise state_error(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                code="charge_not_refundable", param="payment_intent",
            )
        if charge_id and charge_id != intent.body["latest_charge"]:
            raise param_error("The charge does not belong to this PaymentIntent.", "charge")
        charge_id = intent.body["latest_charge"]
    if not charge_id:
        raise param_error("One of the following params should be provided for this request: "
                          "payment_intent or charge.", "payment_intent", "parameter_missing")
    charge = require(ctx, "charge", charge_id)
    if charge.private.get("method_type") in UNREFUNDABLE_METHODS:
        # Stripe's Boleto page: "Refunds / Partial refunds: No / No"; the money goes back by other means.
        method = charge.private["method_type"].title()
        raise state_error(
            f"{method} payments cannot be refunded. Return the money to the customer by other means.",
            code="charge_not_refundable", param="payment_intent" if intent_id else "charge",
        )
    refundable = charge.body["amount"] - charge.body["amount_refunded"]
    if refundable <= 0:
        raise state_error(f"Charge {charge_id} has already been refunded.", code="charge_already_refunded")
    amount = refundable if amount is None else amount
    currency = charge.body["currency"]
    if amount > refundable:
        raise state_error(
            f"Refund amount ({objects.format_amount(amount, currency)}) is greater than unrefunded "
            f"amount on charge ({objects.format_amount(refundable, currency)})",
            code="amount_too_large", param="amount",
        )
    refund = objects.refund(
        refund_id=new_id("re_3"), created=ctx.now, amount=amount, currency=currency, charge_id=charge_id,
        intent_id=charge.body["payment_intent"], payment_method=charge.body["payment_method"],
        method_type=charge.private.get("method_type", "card"), reason=reason, metadata=metadata,
    )
    later = charge.private.get("refund_later")
    private = {"session_id": charge.private.get("session_id"), "refund_later": later}
    if later == "succeeded":
        refund["status"] = "pending"  # Stripe: "its status begins as pending"
    wake_at = ctx.now + ctx.settings.refund_settle_seconds if later else None
    storage.insert(ctx.conn, "refund", refund, private, wake_at=wake_at)
    previous = {"amount_refunded": charge.body["amount_refunded"], "refunded": charge.body["refunded"]}
    charge.body["amount_refunded"] += amount
    charge.body["refunded"] = charge.body["amount_refunded"] == charge.body["amount"]
    storage.save(ctx.conn, charge)
    emit(ctx, "charge.refunded", charge.body, charge.private.get("session_id") or charge_id, previous)
    return refund
