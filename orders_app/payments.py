"""What Stripe says about an order's payment, applied once (DESIGN "Stock and payment", steps 3, 4,
6 and 7, and "Webhooks").

One function decides, whoever asks: `_apply` turns a fact about the order's current Checkout
Session (paid, awaiting payment, failed, expired) into the order's next state. The webhook
(`receive_event`), the success page and reconcile (`apply_from_stripe`, which asks Stripe) and a
cancel that finds the session complete all go through it, so a payment is applied once however
many of them see it, in whatever order.

Atomic and fast. A webhook is one write transaction: the order row is locked, the event id is
looked up (a repeat does nothing), the order moves forward, and the `stripe_events` row is
inserted; a failure rolls both back and answers 500, so Stripe retries. Calls to inventory and
refunds at Stripe come after that transaction (`follow_up`), never under the database lock; the
order records what is owed first (`hold_state` committing/releasing/restocking, `refund_state`
due), so a call that fails, or a worker that dies, leaves a state that reconcile (and the
sweeper, for releases) finishes later.

Forward only. Pending -> Paid or Cancelled; Paid -> Cancelled only by an admin's refund (or when
the stock of a late payment is gone, with a refund). A late `expired` never undoes Paid; a payment
on a Cancelled order is refunded and flagged; a payment through a link that is not the order's
current one is refunded and flagged; an amount or currency that differs from the order's is
never accepted.
"""

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from orders_app import notices
from orders_app.clients.inventory import (
    HOLD_HELD,
    HoldConflict,
    HoldNotFound,
    InsufficientStock,
    InventoryError,
    InventoryUnavailable,
    current_inventory,
)
from orders_app.clients.stripe_client import (
    CheckoutSession,
    PaymentRefused,
    PaymentsError,
    PaymentsUnavailable,
    current_stripe,
)
from orders_app.extensions import db
from orders_app.models import (
    ADJUSTING,
    CANCELLED,
    COMMITTED,
    COMMITTING,
    HELD,
    PAID,
    PENDING,
    REFUND_DONE,
    REFUND_DUE,
    RELEASED,
    RELEASING,
    RESTOCKING,
    SESSION_CLOSING,
    SESSION_COMPLETE,
    SESSION_EXPIRED,
    SESSION_FAILED,
    SESSION_OPEN,
    SESSION_PROCESSING,
    Order,
    StripeEvent,
    utcnow,
)
from orders_app.ordering import (
    BUSY,
    NO_SUCH_ORDER,
    OrderError,
    _cancel_in_place,
    _flag,
    _locked,
    _record,
    release_hold,
    status_word,
)
from shared_ui.db import write_transaction
from shared_ui.money import format_money

STRIPE = "stripe"
RECONCILE = "reconcile"
REFUND_FAILED = "failed"

SESSION_COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
SESSION_EXPIRED_EVENT = "checkout.session.expired"
CHARGE_REFUNDED = "charge.refunded"
SESSION_EVENTS = (SESSION_COMPLETED, ASYNC_SUCCEEDED, ASYNC_FAILED, SESSION_EXPIRED_EVENT)

# What Stripe says about a session, whoever asked.
PAID_FACT, AWAITING, FAILED, EXPIRED, STILL_OPEN = "paid", "awaiting", "failed", "expired", "open"

#: the outcome of an event (stored in stripe_events) in words, for the payment timeline
OUTCOMES = {
    "paid": _l("Payment accepted: the order is paid"),
    "already_paid": _l("Already paid: nothing to do"),
    "awaiting_payment": _l("Boleto issued: the order waits for it to be paid"),
    "already_awaiting": _l("Already waiting for the boleto: nothing to do"),
    "released": _l("Not paid: the order is cancelled and its stock returned"),
    "closed_by_shop": _l("The shop closed this payment link: nothing to do"),
    "late": _l("Came after the order was settled: nothing to do"),
    "refund_due": _l("Paid after the order was cancelled: the payment is refunded"),
    "amount_mismatch": _l("Amount or currency differs from the order's: not accepted, flagged"),
    "stale": _l("About an old payment link of the order: nothing to do"),
    "stale_paid": _l("A payment through an old payment link: refunded, flagged"),
    "refund_recorded": _l("Stripe confirms the refund"),
    "external_refund": _l("Refunded at Stripe outside the shop: flagged"),
    "open": _l("The payment page is still open: nothing to do"),
}


class RetryLater(Exception):
    """The order is in the middle of another change: let Stripe send the event again later."""


@dataclass(frozen=True)
class StalePayment:
    """A payment through a session that is not the order's current one (refunded after the transaction)."""

    order_id: int
    session: CheckoutSession


# ----- facts ----------------------------------------------------------------------------------


def fact_of_event(event_type: str, session: CheckoutSession) -> str:
    if event_type == SESSION_COMPLETED:
        return PAID_FACT if session.payment_status in ("paid", "no_payment_required") else AWAITING
    if event_type == ASYNC_SUCCEEDED:
        return PAID_FACT
    if event_type == ASYNC_FAILED:
        return FAILED
    return EXPIRED


def fact_of_session(session: CheckoutSession) -> str:
    """The same fact from the session as Stripe has it now (read with its PaymentIntent expanded)."""
    if session.status == "expired":
        return EXPIRED
    if session.status != "complete":
        return STILL_OPEN
    if session.payment_status in ("paid", "no_payment_required") or session.intent_status == "succeeded":
        return PAID_FACT
    if session.intent_status in ("requires_payment_method", "canceled"):
        return FAILED  # the boleto lapsed unpaid
    return AWAITING


# ----- the webhook ----------------------------------------------------------------------------


def receive_event(event: dict) -> str:
    """Apply one verified event once; its outcome. Raises (-> 500, Stripe retries) only when the
    database transaction fails or the order is mid-change."""
    event_id, event_type = event["id"], event["type"]
    obj = event["data"]["object"]
    if event_type == CHARGE_REFUNDED:
        return _receive_refund(event_id, obj)
    if event_type not in SESSION_EVENTS or not isinstance(obj.get("id"), str):
        return "ignored"
    session = CheckoutSession.from_dict(obj)
    order_id = _order_id_for(session)
    if order_id is None:
        current_app.logger.info("stripe event %s is about no order of this shop", event_id)
        return "ignored"
    stale_payment = None
    try:
        with write_transaction(db):
            order = _locked(order_id)
            # Looked up under the order's lock: a concurrent copy of this event has committed by now.
            if db.session.scalar(select(StripeEvent.id).where(StripeEvent.id == event_id)) is not None:
                return "duplicate"
            outcome, note = _apply(order, session, fact_of_event(event_type, session), STRIPE, _via(event_type))
            db.session.add(
                StripeEvent(
                    id=event_id, type=event_type, session_id=session.id, order_id=order_id, outcome=outcome, note=note
                )
            )
    except IntegrityError:  # databases without BEGIN IMMEDIATE: the other copy inserted it first
        return "duplicate"
    if outcome == "stale_paid":
        stale_payment = StalePayment(order_id, session)
    follow_up(order_id, stale_payment)
    return outcome


def _receive_refund(event_id: str, charge: dict) -> str:
    """charge.refunded: recorded; it never changes an order's status."""
    intent = charge.get("payment_intent")
    order_id = db.session.scalar(select(Order.id).where(Order.payment_intent == intent)) if intent else None
    if order_id is None:
        return "ignored"
    try:
        with write_transaction(db):
            order = _locked(order_id)
            if db.session.scalar(select(StripeEvent.id).where(StripeEvent.id == event_id)) is not None:
                return "duplicate"
            refunded = format_money(charge.get("amount_refunded") or 0, charge.get("currency") or order.currency)
            if order.refund_state is not None:
                outcome, note = "refund_recorded", f"{refunded} refunded"
            else:
                outcome, note = "external_refund", f"{refunded} refunded at Stripe"
                _flag(order, f"{refunded} was refunded at Stripe outside the shop; the order is still {order.status}")
            db.session.add(
                StripeEvent(
                    id=event_id,
                    type=CHARGE_REFUNDED,
                    session_id=order.stripe_session_id,
                    order_id=order_id,
                    outcome=outcome,
                    note=note,
                )
            )
    except IntegrityError:
        return "duplicate"
    return outcome


# Built once: every webhook delivery runs them, and building a select costs more than SQLite
# takes to answer it (make bench).
_ORDER_OF_SESSION = select(Order.id).where(Order.stripe_session_id == bindparam("session_id"))
_ORDER_BY_ID = select(Order.id).where(Order.id == bindparam("order_id"))


def _order_id_for(session: CheckoutSession) -> int | None:
    """The order whose session this is; else the order this shop made it for (then it is stale)."""
    found = db.session.scalar(_ORDER_OF_SESSION, {"session_id": session.id})
    if found is not None:
        return found
    ours = session.instance == current_app.config["SHOP_INSTANCE_ID"]
    if ours and session.order_id and session.order_id.isdigit():
        return db.session.scalar(_ORDER_BY_ID, {"order_id": int(session.order_id)})
    return None


def _via(event_type: str) -> str:
    return f"webhook {event_type}"


# ----- asking Stripe (success page, reconcile, a cancel that finds the session closed) ----------


def apply_from_stripe(order_id: int, actor: str, via: str) -> str:
    """Read the order's current session from Stripe and apply what it says; the outcome.

    Raises PaymentsUnavailable when Stripe does not answer.
    """
    order = db.session.get(Order, order_id)
    if order is None or not order.stripe_session_id:
        return "no_session"
    session_id = order.stripe_session_id
    session = current_stripe().retrieve_session(session_id)
    fact = fact_of_session(session)
    with write_transaction(db):
        order = _locked(order_id)
        if order.stripe_session_id != session_id:
            return "stale"
        if fact == STILL_OPEN:
            _reopen_if_close_was_lost(order)
            return "open"
        try:
            outcome, _ = _apply(order, session, fact, actor, via)
        except RetryLater:
            return "busy"
    follow_up(order_id)
    return outcome


def _reopen_if_close_was_lost(order: Order) -> None:
    """A close the shop asked for long ago never reached Stripe: the link is usable again."""
    stale = utcnow() - timedelta(seconds=current_app.config["ORDERS_STALE_SECONDS"])
    if order.status == PENDING and order.checkout_state == SESSION_CLOSING and order.updated_at < stale:
        order.checkout_state = SESSION_OPEN
        order.updated_at = utcnow()


# ----- the one decision -----------------------------------------------------------------------


def _apply(order: Order, session: CheckoutSession, fact: str, actor: str, via: str) -> tuple[str, str | None]:
    """Move the locked order forward by what Stripe says about `session`; (outcome, note)."""
    if order.stripe_session_id != session.id:
        if fact == PAID_FACT and session.payment_intent:
            return "stale_paid", f"{_money_of(session)} paid through {session.id}"
        return "stale", None
    if fact == PAID_FACT:
        return _apply_paid(order, session, actor, via)
    if fact == AWAITING:
        return _apply_awaiting(order, session, actor)
    if fact in (FAILED, EXPIRED):
        return _apply_unpaid(order, fact, actor)
    return "open", None


def _apply_paid(order: Order, session: CheckoutSession, actor: str, via: str) -> tuple[str, str | None]:
    if order.status == PAID:
        return "already_paid", None
    if order.status == PENDING and order.checkout_state == SESSION_COMPLETE:
        return "amount_mismatch", None  # judged and flagged already
    now = utcnow()
    paid = _money_of(session)
    order.checkout_state = SESSION_COMPLETE
    order.stripe_session_url = None
    order.payment_intent = order.payment_intent or session.payment_intent
    order.updated_at = now
    if order.status == CANCELLED:
        if order.refund_state is None:
            order.refund_state = REFUND_DUE
            _flag(order, f"{paid} was paid after the order was cancelled; it is refunded automatically")
            _record(order, actor, "paid_after_cancel", CANCELLED, CANCELLED, f"{paid} received ({via}); refund due")
        return "refund_due", f"{paid} received for a cancelled order"
    if session.amount_total != order.total_cents or (session.currency or "").lower() != order.currency:
        expected = format_money(order.total_cents, order.currency)
        _flag(order, f"Stripe reports a payment of {paid} for this order of {expected}; not accepted")
        _record(order, actor, "payment_mismatch", PENDING, PENDING, f"{paid} received, {expected} expected ({via})")
        return "amount_mismatch", f"{paid} received, {expected} expected"
    order.status = PAID
    order.paid_at = now
    order.version += 1
    notices.order_paid(order)  # the receipt, in this transaction, once per order
    if order.hold_state in (HELD, ADJUSTING):
        order.hold_state = COMMITTING
    _record(order, actor, "paid", PENDING, PAID, f"{paid} ({via})")
    return "paid", paid


def _apply_awaiting(order: Order, session: CheckoutSession, actor: str) -> tuple[str, str | None]:
    if order.status != PENDING:
        return "late", None  # should it be paid later, the payment is refunded (order Cancelled)
    if order.checkout_state == SESSION_PROCESSING:
        return "already_awaiting", None
    order.checkout_state = SESSION_PROCESSING
    order.stripe_session_url = None
    order.payment_intent = session.payment_intent or order.payment_intent
    if session.boleto_due is not None:
        order.pay_by = session.boleto_due
    order.version += 1
    order.updated_at = utcnow()
    _record(order, actor, "awaiting_payment", PENDING, PENDING, "Boleto issued; waiting for it to be paid")
    return "awaiting_payment", None


def _apply_unpaid(order: Order, fact: str, actor: str) -> tuple[str, str | None]:
    """The session expired, or its boleto lapsed: the order is cancelled and its stock released."""
    if order.status != PENDING:
        return "late", None
    if fact == EXPIRED and order.checkout_state in (SESSION_CLOSING, SESSION_EXPIRED):
        order.checkout_state = SESSION_EXPIRED
        order.stripe_session_url = None
        return "closed_by_shop", None
    if order.hold_state != HELD:
        raise RetryLater(f"order {order.id} is {order.hold_state}")
    note = "The boleto was not paid by its due date" if fact == FAILED else "The payment link expired unpaid"
    _cancel_in_place(order, actor, note)
    order.hold_state = RELEASING
    order.checkout_state = SESSION_FAILED if fact == FAILED else SESSION_EXPIRED
    order.stripe_session_url = None
    return "released", note


def _money_of(session: CheckoutSession) -> str:
    return format_money(session.amount_total or 0, session.currency or "usd")


# ----- after the transaction: inventory and refunds ---------------------------------------------


def follow_up(order_id: int, stale_payment: StalePayment | None = None) -> None:
    """Do what the order owes inventory and Stripe now; what fails stays owed (reconcile, sweeper)."""
    order = db.session.get(Order, order_id)
    if order is None:
        return
    if order.hold_state == COMMITTING:
        commit_stock(order_id)
        order = db.session.get(Order, order_id)
    if order.hold_state in (RELEASING, RESTOCKING):
        release_hold(order_id)
        order = db.session.get(Order, order_id)
    if order.refund_state == REFUND_DUE:
        refund_payment(order_id)
        order = db.session.get(Order, order_id)
    if order.awaiting_payment and order.hold_expires_at < order.pay_by + timedelta(days=1):
        extend_hold_for_boleto(order_id)
    if stale_payment is not None:
        refund_stale_payment(stale_payment)


def commit_stock(order_id: int) -> bool:
    """committing -> committed at inventory. A hold released meanwhile is taken again if the stock
    is there; if it is not, the payment is refunded and the order cancelled and flagged."""
    order = db.session.get(Order, order_id)
    if order is None or order.hold_state != COMMITTING:
        return False
    try:
        current_inventory().commit(order.key)
    except InventoryUnavailable:
        return False  # Paid, commit pending: reconcile tries again
    except (InsufficientStock, HoldConflict, HoldNotFound):
        _stock_gone(order_id)
        return False
    with write_transaction(db):
        order = _locked(order_id)
        if order.hold_state == COMMITTING:
            order.hold_state = COMMITTED
            order.updated_at = utcnow()
            _record(order, "inventory", "stock_committed", HELD, COMMITTED, f"{order.quantity} sold")
    return True


def _stock_gone(order_id: int) -> None:
    with write_transaction(db):
        order = _locked(order_id)
        if order.hold_state != COMMITTING:
            return
        order.hold_state = RELEASED
        order.updated_at = utcnow()
        if order.status != PAID:
            return  # cancelled by an admin meanwhile: its refund is already due
        now = utcnow()
        order.status = CANCELLED
        order.cancelled_at = now
        order.version += 1
        order.refund_state = order.refund_state or REFUND_DUE
        notices.order_cancelled(order)
        note = "Paid after its stock hold lapsed, and the stock was gone: the payment is refunded"
        _record(order, "inventory", "cancelled", PAID, CANCELLED, note)
        _flag(order, note)


def refund_payment(order_id: int) -> bool:
    """Refund the order's payment at Stripe (idempotency key `{instance}:refund:{order id}`)."""
    order = db.session.get(Order, order_id)
    if order is None or order.refund_state != REFUND_DUE:
        return False
    if not order.payment_intent:
        with write_transaction(db):
            order = _locked(order_id)
            order.refund_state = REFUND_FAILED
            _flag(order, "A refund is due but the shop knows no payment of this order; refund it at Stripe")
        return False
    key = f"{current_app.config['SHOP_INSTANCE_ID']}:refund:{order.id}"
    refund_id, state = None, REFUND_DONE
    try:
        refund_id = current_stripe().refund(order.payment_intent, key, {"order_id": str(order.id)})
        note = f"{format_money(order.total_cents, order.currency)} refunded ({refund_id})"
    except PaymentsUnavailable:
        return False  # still due: reconcile tries again
    except PaymentRefused as error:
        if error.code != "charge_already_refunded":
            state = REFUND_FAILED
        note = f"Stripe did not refund: {error}"
    with write_transaction(db):
        order = _locked(order_id)
        if order.refund_state != REFUND_DUE:
            return False
        order.refund_state = state
        order.refund_id = refund_id
        order.updated_at = utcnow()
        _record(order, STRIPE, "refunded" if state == REFUND_DONE else "refund_failed", None, None, note)
        if state == REFUND_FAILED:
            _flag(order, f"The refund of {order.payment_intent} failed: {note}")
    return state == REFUND_DONE


def refund_stale_payment(stale: StalePayment) -> None:
    """A payment through a link the order no longer uses is given back, and the admin told."""
    session = stale.session
    key = f"{current_app.config['SHOP_INSTANCE_ID']}:refund:{stale.order_id}:{session.id}"
    try:
        refund_id = current_stripe().refund(session.payment_intent, key, {"order_id": str(stale.order_id)})
        result = f"refunded automatically ({refund_id})"
    except PaymentsError as error:
        result = f"the automatic refund failed ({error}); refund {session.payment_intent} at Stripe"
    with write_transaction(db):
        order = _locked(stale.order_id)
        text = f"{_money_of(session)} was paid through an old payment link ({session.id}): {result}"
        _flag(order, text)
        _record(order, STRIPE, "old_link_paid", None, None, text)


def extend_hold_for_boleto(order_id: int) -> bool:
    """Hold the stock until the boleto's due date + 1 day (its due date read from Stripe)."""
    order = db.session.get(Order, order_id)
    if order is None or not order.awaiting_payment:
        return False
    try:
        session = current_stripe().retrieve_session(order.stripe_session_id)
    except PaymentsError:
        return False
    if session.boleto_due is None:
        return False
    deadline = session.boleto_due + timedelta(days=1)
    try:
        hold = current_inventory().change_hold(order.key, expires_at=deadline)
    except InventoryError:
        return False
    with write_transaction(db):
        order = _locked(order_id)
        if not order.awaiting_payment:
            return False
        order.pay_by = session.boleto_due
        if hold.state == HOLD_HELD:
            order.hold_expires_at = deadline
    return True


# ----- an admin cancels a paid order ----------------------------------------------------------


def refund_and_cancel(order: Order, actor: str, *, restock: bool) -> Order:
    """Paid -> Cancelled with the payment refunded at Stripe; the sold stock back if `restock`."""
    order_id = order.id
    with write_transaction(db):
        order = _locked(order_id)
        if order is None:
            raise OrderError(NO_SUCH_ORDER, status=404, code="not_found")
        if order.status != PAID:
            raise OrderError(
                _("This order is %(status)s, not paid: there is nothing to refund.", status=status_word(order)),
                status=409,
                code="not_paid",
            )
        if order.hold_state not in (COMMITTED, COMMITTING):
            raise OrderError(BUSY, status=409, code="conflict")
        now = utcnow()
        order.status = CANCELLED
        order.cancelled_at = now
        order.updated_at = now
        order.version += 1
        order.refund_state = REFUND_DUE
        notices.order_cancelled(order)
        if restock:
            order.hold_state = RESTOCKING
        stock = "its stock goes back on sale" if restock else "its stock is not returned"
        _record(order, actor, "cancelled", PAID, CANCELLED, f"Refund requested; {stock}")
    follow_up(order_id)
    return db.session.get(Order, order_id)


# ----- reconcile ------------------------------------------------------------------------------


def reconcile(batch: int | None = None) -> dict:
    """Ask Stripe about every Pending order with a session and apply what it says (missed
    webhooks), commit the stock of Paid orders whose commit is pending, retry refunds that are due.

    Orders are asked about oldest first, page by page, until all are done or the run's time budget
    is spent (the next run starts again). Every step is a conditional change plus idempotent calls,
    so two copies at once do no harm.
    """
    config = current_app.config
    batch = batch or config["ORDERS_RECONCILE_BATCH"]
    deadline = time.monotonic() + config["ORDERS_RECONCILE_BUDGET_SECONDS"]
    done: Counter = Counter()
    asking = (
        Order.status == PENDING,
        Order.stripe_session_id.is_not(None),
        Order.checkout_state.in_((SESSION_OPEN, SESSION_CLOSING, SESSION_PROCESSING)),
    )
    for order_id in _all_by_id(*asking, batch=batch, deadline=deadline):
        try:
            outcome = apply_from_stripe(order_id, RECONCILE, "reconcile")
        except PaymentsUnavailable:
            done["stripe_unavailable"] += 1
            break  # the rest waits for the next run
        done[RECONCILE_COUNTS.get(outcome, outcome)] += 1
    for order_id in _all_by_id(Order.hold_state == COMMITTING, batch=batch, deadline=deadline):
        done["committed" if commit_stock(order_id) else "commit_pending"] += 1
    for order_id in _all_by_id(Order.refund_state == REFUND_DUE, batch=batch, deadline=deadline):
        done["refunded" if refund_payment(order_id) else "refund_pending"] += 1
    return {name: count for name, count in done.items() if count and name}


#: how reconcile counts what it found ("" is not worth a line: nothing changed)
RECONCILE_COUNTS = {"open": "", "stale": "", "no_session": "", "busy": "", "already_awaiting": "awaiting"}


def _all_by_id(*conditions, batch: int, deadline: float) -> Iterator[int]:
    """Ids of the matching orders, oldest first, fetched a page at a time while time is left."""
    after = 0
    while time.monotonic() < deadline:
        page = list(
            db.session.scalars(select(Order.id).where(*conditions, Order.id > after).order_by(Order.id).limit(batch))
        )
        yield from page
        if len(page) < batch:
            return
        after = page[-1]


# ----- reading --------------------------------------------------------------------------------


def events_of(order_id: int) -> list[StripeEvent]:
    """The Stripe events the order received, oldest first (the payment timeline)."""
    return list(
        db.session.scalars(
            select(StripeEvent).where(StripeEvent.order_id == order_id).order_by(StripeEvent.received_at)
        )
    )


def outcome_text(outcome: str) -> str:
    return str(OUTCOMES.get(outcome, outcome.replace("_", " ")))
