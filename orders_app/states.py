"""An order's states, the one transition table, the guards, and what Stripe's facts mean for an order.

Pure: no Flask, no database, no I/O. Everything here takes plain values or an object with the
order's fields (`status`, `hold_state`, `checkout_state`, `stripe_session_id`, ...), so the model,
the templates, the API, the use cases and the tests all ask the same questions.

Status (what the customer sees), forward only:

    state     event          next       who
    Pending   paid        -> Paid       Stripe (webhook, success page, reconcile)
    Pending   cancelled   -> Cancelled  customer, admin, sweeper, Stripe (expired / failed)
    Paid      refunded    -> Cancelled  admin (refund, restock at choice)
    Paid      stock_gone  -> Cancelled  inventory had nothing left to commit: refunded

`hold_state` (the stock at inventory) and `checkout_state` (the Checkout Session) are described in
models.py; they are steps of the saga, not what the customer sees.
"""

PENDING, PAID, CANCELLED = "Pending", "Paid", "Cancelled"
STATUSES = (PENDING, PAID, CANCELLED)

REQUESTING, HELD, ADJUSTING = "requesting", "held", "adjusting"
ABANDONED, RELEASING, RELEASED, COMMITTED = "abandoned", "releasing", "released", "committed"
COMMITTING, RESTOCKING = "committing", "restocking"
#: orders in these states were never placed as far as the customer knows
HIDDEN_HOLD_STATES = (REQUESTING, ABANDONED)

SESSION_OPEN, SESSION_CLOSING, SESSION_PROCESSING = "open", "closing", "processing"
SESSION_COMPLETE, SESSION_EXPIRED, SESSION_FAILED = "complete", "expired", "failed"
REFUND_DUE, REFUND_DONE, REFUND_FAILED = "due", "done", "failed"
#: Stripe took the refund but has not sent the money yet (a refund can stay `pending`, then fail or succeed)
REFUND_PENDING = "pending"

# Events that move the status.
EV_PAID, EV_CANCELLED, EV_REFUNDED, EV_STOCK_GONE = "paid", "cancelled", "refunded", "stock_gone"

#: (status, event) -> next status. Nothing else moves an order's status.
TRANSITIONS = {
    (PENDING, EV_PAID): PAID,
    (PENDING, EV_CANCELLED): CANCELLED,
    (PAID, EV_REFUNDED): CANCELLED,
    (PAID, EV_STOCK_GONE): CANCELLED,
}


class IllegalTransition(Exception):
    """An event the table has no row for (a bug in the caller: guards are asked first)."""


def next_status(status: str, event: str) -> str:
    """The status after `event`; IllegalTransition when the table forbids it."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise IllegalTransition(f"{event} is not allowed on a {status} order") from None


# ----- guards: a reason why not (None when allowed) ---------------------------------------------
# Reasons are codes the use cases turn into messages: not_pending, awaiting_payment,
# payment_in_review, busy, not_paid.


def why_not_cancel(order) -> str | None:
    """A customer's (or the sweeper's) cancel: a Pending order whose hold is settled, no boleto in hand.

    A payment the shop did not accept (amount mismatch) does not stop a cancel: it is refunded.
    """
    if order.status != PENDING:
        return "not_pending"
    if order.checkout_state == SESSION_PROCESSING:
        return "awaiting_payment"
    if order.hold_state != HELD:
        return "busy"
    return None


def why_not_change(order) -> str | None:
    """Editing the quantity: as for a cancel, and no payment under review."""
    reason = why_not_cancel(order)
    if reason is None and order.checkout_state == SESSION_COMPLETE:
        return "payment_in_review"
    return reason


def why_not_pay(order) -> str | None:
    """Paying: the same as changing (a payment in review, a boleto in hand or a change in flight stop it)."""
    return why_not_change(order)


def why_not_refund(order) -> str | None:
    """An admin's cancel of a Paid order, with a refund: its stock sold (or being committed)."""
    if order.status != PAID:
        return "not_paid"
    if order.hold_state not in (COMMITTED, COMMITTING):
        return "busy"
    return None


def can_cancel(order) -> bool:
    return why_not_cancel(order) is None


def can_change(order) -> bool:
    return why_not_change(order) is None


def can_pay(order) -> bool:
    return why_not_pay(order) is None


def can_refund(order) -> bool:
    return why_not_refund(order) is None


# ----- Stripe's facts ---------------------------------------------------------------------------

#: Stripe's smallest charge per currency, in cents: it refuses a Checkout Session below it, so an
#: order under it could never be paid and is refused before anything is held (shared_ui.money says it
#: again for the pages that tell customers before they order; tests/test_money_parsing.py holds the two the same)
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "brl": 50}


def missing_for_minimum(total_cents: int, currency: str) -> int:
    """How many cents a total lacks to reach Stripe's minimum charge (0 when it can be paid)."""
    return max(MINIMUM_CHARGE.get(currency.lower(), 0) - total_cents, 0)


#: Stripe's largest charge: "up to eight digits (e.g., a value of 99999999 for a USD charge of
#: $999,999.99)"; it refuses a Checkout Session above it, so an order over it could never be paid either
MAXIMUM_CHARGE = 99_999_999


def over_maximum(total_cents: int) -> bool:
    """Whether a total is more than Stripe charges at once."""
    return total_cents > MAXIMUM_CHARGE


SESSION_COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
SESSION_EXPIRED_EVENT = "checkout.session.expired"
CHARGE_REFUNDED = "charge.refunded"
#: a Refund object changed (pending -> succeeded, or -> failed): Stripe sends both for a failure
REFUND_UPDATED, REFUND_FAILED_EVENT = "charge.refund.updated", "refund.failed"
REFUND_EVENTS = (REFUND_UPDATED, REFUND_FAILED_EVENT)
SESSION_EVENTS = (SESSION_COMPLETED, ASYNC_SUCCEEDED, ASYNC_FAILED, SESSION_EXPIRED_EVENT)

# What Stripe says about a session, whoever asked.
PAID_FACT, AWAITING, FAILED, EXPIRED, STILL_OPEN = "paid", "awaiting", "failed", "expired", "open"
_PAID_STATUSES = ("paid", "no_payment_required")


def fact_of_event(event_type: str, session) -> str:
    """The fact an event states about its session."""
    if event_type == SESSION_COMPLETED:
        return PAID_FACT if session.payment_status in _PAID_STATUSES else AWAITING
    if event_type == ASYNC_SUCCEEDED:
        return PAID_FACT
    if event_type == ASYNC_FAILED:
        return FAILED
    return EXPIRED


def fact_of_session(session) -> str:
    """The same fact from the session as Stripe has it now (read with its PaymentIntent expanded)."""
    if session.status == "expired":
        return EXPIRED
    if session.status != "complete":
        return STILL_OPEN
    if session.payment_status in _PAID_STATUSES or session.intent_status == "succeeded":
        return PAID_FACT
    if session.intent_status in ("requires_payment_method", "canceled"):
        return FAILED  # the boleto lapsed unpaid
    return AWAITING


# Decisions about a fact (what the use case then does):
STALE, STALE_PAID = "stale", "stale_paid"
ALREADY_PAID, MISMATCH_SEEN, AMOUNT_MISMATCH, REFUND_DUE_LATE, ACCEPT_PAYMENT = (
    "already_paid",
    "mismatch_seen",
    "amount_mismatch",
    "refund_due",
    "paid",
)
LATE, ALREADY_AWAITING, START_AWAITING = "late", "already_awaiting", "awaiting_payment"
CLOSED_BY_SHOP, RETRY_LATER, RELEASE = "closed_by_shop", "retry_later", "released"


def decide(order, session, fact: str) -> str:
    """What a fact about `session` does to the order (one of the decisions above)."""
    if order.stripe_session_id != session.id:
        return STALE_PAID if fact == PAID_FACT and session.payment_intent else STALE
    if fact == PAID_FACT:
        return _decide_paid(order, session)
    if fact == AWAITING:
        if order.status != PENDING:
            return LATE  # should it be paid later, the payment is refunded (order Cancelled)
        return ALREADY_AWAITING if order.checkout_state == SESSION_PROCESSING else START_AWAITING
    if fact in (FAILED, EXPIRED):
        if order.status != PENDING:
            return LATE  # forward only: a late `expired` never undoes Paid
        if fact == EXPIRED and order.checkout_state in (SESSION_CLOSING, SESSION_EXPIRED):
            return CLOSED_BY_SHOP
        return RETRY_LATER if order.hold_state != HELD else RELEASE
    return STILL_OPEN


def _decide_paid(order, session) -> str:
    if order.status == PAID:
        return ALREADY_PAID
    if order.status == PENDING and order.checkout_state == SESSION_COMPLETE:
        return MISMATCH_SEEN  # judged and flagged already
    if order.status == CANCELLED:
        return REFUND_DUE_LATE
    if session.amount_total != order.total_cents or (session.currency or "").lower() != order.currency:
        return AMOUNT_MISMATCH
    return ACCEPT_PAYMENT
