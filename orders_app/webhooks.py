"""What Stripe says about an order's payment, applied once (DESIGN "Stock and payment", steps 3, 4,
6, and "Webhooks").

One decision, whoever asks: states.decide turns a fact about a Checkout Session (paid, awaiting
payment, failed, expired) into what happens to the order, and `_apply` does it. The webhook
(`receive_event`), the success page and reconcile (`apply_from_stripe`, which asks Stripe) and a
cancel that finds the session complete all go through it, so a payment is applied once however
many of them see it, in whatever order.

Atomic and fast. A webhook is one write transaction: the order row is locked, the event id is
looked up (a repeat does nothing), the order moves forward, and the `stripe_events` row is
inserted; a failure rolls both back and answers 500, so Stripe retries. Calls to inventory and
refunds at Stripe come after that transaction (settling.follow_up), never under the database lock.

Forward only (states.TRANSITIONS). A late `expired` never undoes Paid; a payment on a Cancelled
order is refunded and flagged; a payment through a link that is not the order's current one is
refunded and flagged; an amount or currency that differs from the order's is never accepted.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from orders_app import history, states, store
from orders_app.clients.stripe_client import CheckoutSession, Refund, current_stripe
from orders_app.extensions import db
from orders_app.models import (
    ADJUSTING,
    CANCELLED,
    COMMITTING,
    HELD,
    PENDING,
    REFUND_DONE,
    REFUND_DUE,
    REFUND_FAILED,
    RELEASING,
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
from orders_app.settling import (
    AWAITING_PAYMENT,
    PAID_AFTER_CANCEL,
    REFUND_ACTIONS,
    STRIPE,
    StalePayment,
    amount_of,
    follow_up,
    money_of,
    refund_outcome,
    settle_refund,
)
from orders_app.states import (
    CHARGE_REFUNDED,
    REFUND_EVENTS,
    SESSION_EVENTS,
    STILL_OPEN,
    fact_of_event,
    fact_of_session,
)
from shared_ui.db import write_transaction
from shared_ui.numbers import whole_number

#: the outcome of an event (stored in stripe_events) in words, for the payment timeline
OUTCOMES = {
    "paid": _l("Payment accepted: the order is paid"),
    # what the customer usually reads after paying (the success page got there first): never "nothing to do"
    "already_paid": _l("Stripe confirms the payment; the order was already marked paid"),
    "awaiting_payment": _l("Boleto issued: the order waits for it to be paid"),
    "already_awaiting": _l("Stripe confirms the boleto again; the order still waits for it to be paid"),
    "released": _l("Not paid: the order is cancelled and its stock returned"),
    "closed_by_shop": _l("The shop closed this payment link: nothing was charged through it"),
    "late": _l("Came after the order was paid or cancelled: it changed nothing"),
    "refund_due": _l("Paid after the order was cancelled: the payment is refunded"),
    "amount_mismatch": _l("Amount or currency differs from the order's: not accepted, flagged"),
    "stale": _l("About an older payment link of this order: it changed nothing"),
    "stale_paid": _l("A payment through an old payment link: refunded, flagged"),
    "refund_recorded": _l("Stripe records the refund"),  # not "confirms": a refund may still be pending, or fail later
    "external_refund": _l("Refunded at Stripe outside the shop: flagged"),
    "refund_failed": _l("The refund failed at Stripe: the money did not go back, flagged"),
    "refund_unchanged": _l("Stripe repeats what it said about the refund: nothing changed"),
    "open": _l("The payment page is still open: waiting for the payment"),
}


#: the outcome of a refund event that reported the shop's refund failed
REFUND_FAILED_OUTCOME = "refund_failed"


class RetryLater(Exception):
    """The order is in the middle of another change: let Stripe send the event again later."""


def outcome_text(outcome: str) -> str:
    return str(OUTCOMES.get(outcome, outcome.replace("_", " ")))


# ----- the webhook ----------------------------------------------------------------------------


def receive_event(event: dict) -> str:
    """Apply one verified event once; its outcome. Raises (-> 500, Stripe retries) only when the
    database transaction fails or the order is mid-change."""
    event_id, event_type = event["id"], event["type"]
    obj = event["data"]["object"]
    if event_type == CHARGE_REFUNDED:
        return _receive_refund(event_id, obj, event.get("created"))
    if event_type in REFUND_EVENTS:
        return _receive_refund_update(event_id, event_type, obj)
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
            order = store.locked(order_id)
            # Looked up under the order's lock: a concurrent copy of this event has committed by now.
            if db.session.scalar(select(StripeEvent.id).where(StripeEvent.id == event_id)) is not None:
                return "duplicate"
            via = history.note("webhook %(type)s", type=event_type)
            outcome, note = _apply(order, session, fact_of_event(event_type, session), STRIPE, via)
            db.session.add(
                StripeEvent(
                    id=event_id,
                    type=event_type,
                    session_id=session.id,
                    order_id=order_id,
                    outcome=outcome,
                    **store.note_columns(note),
                )
            )
    except IntegrityError:  # databases without BEGIN IMMEDIATE: the other copy inserted it first
        return "duplicate"
    if outcome == "stale_paid":
        stale_payment = StalePayment(order_id, session)
    follow_up(order_id, stale_payment)
    return outcome


def _receive_refund(event_id: str, charge: dict, created: int | None = None) -> str:
    """charge.refunded: recorded; it never changes an order's status."""
    intent = charge.get("payment_intent")
    order_id = _order_of_intent(intent)
    if order_id is None and intent:
        order_id = _apply_unseen_payment(intent, charge.get("metadata") or {})
    if order_id is None:
        return "ignored"

    def apply(order: Order) -> tuple[str, history.Note]:
        refunded = history.Money(charge.get("amount_refunded") or 0, charge.get("currency") or order.currency)
        if order.refund_state is None:
            store.flag(
                order,
                f"{refunded.english} was refunded at Stripe outside the shop; the order is still {order.status}",
            )
            return "external_refund", history.note("%(amount)s refunded at Stripe", amount=refunded)
        if (
            order.refund_state == REFUND_FAILED
            and charge.get("refunded") is True
            and not _before_refund_failed(order.id, created)
        ):
            # The shop's refund failed and an admin gave the whole payment back at Stripe:
            # the order's pages and the customer's data say refunded, not "not done yet".
            # (Not the failed refund's own charge.refunded, sent when Stripe took it and
            # delivered after its failure.)
            order.refund_state = REFUND_DONE
            order.updated_at = utcnow()
        return "refund_recorded", history.note("%(amount)s refunded", amount=refunded)

    return _apply_once(event_id, CHARGE_REFUNDED, order_id, apply)


def _order_of_intent(intent: str | None) -> int | None:
    return db.session.scalar(select(Order.id).where(Order.payment_intent == intent)) if intent else None


def _apply_unseen_payment(intent: str, metadata: dict) -> int | None:
    """The order a refund at Stripe is about, when the shop has not applied its payment yet (its
    checkout.session.completed still on its way: refused with a 500, retried later). The charge
    carries its PaymentIntent's metadata, naming the order; its current session is read from Stripe
    and what it says applied now, so the refund is recorded (and flagged) on the paid order rather
    than dropped. None when the payment is not the order's current one (an old link's, refunded by
    the shop itself). PaymentsUnavailable when Stripe does not answer: Stripe sends the event again."""
    order_id = _our_order(metadata.get("shop_instance"), metadata.get("shop_database"), metadata.get("order_id"))
    order = db.session.get(Order, order_id) if order_id is not None else None
    if order is None or order.status != PENDING or not order.stripe_session_id:
        return None
    apply_from_stripe(order_id, STRIPE, history.note("checked on a refund at Stripe"))
    return _order_of_intent(intent)


def _apply_once(event_id: str, event_type: str, order_id: int, apply) -> str:
    """Apply an event that is not about a session to the locked order, once (a repeat of its id is
    a duplicate), recording it in stripe_events in the same transaction; its outcome."""
    try:
        with write_transaction(db):
            order = store.locked(order_id)
            if db.session.scalar(select(StripeEvent.id).where(StripeEvent.id == event_id)) is not None:
                return "duplicate"
            outcome, note = apply(order)
            db.session.add(
                StripeEvent(
                    id=event_id,
                    type=event_type,
                    session_id=order.stripe_session_id,
                    order_id=order_id,
                    outcome=outcome,
                    **store.note_columns(note),
                )
            )
    except IntegrityError:
        return "duplicate"
    return outcome


def _before_refund_failed(order_id: int, created: int | None) -> bool:
    """Whether an event Stripe created at `created` (epoch seconds) predates the failure of the
    order's refund that a refund event reported (it then says nothing about a refund made since)."""
    failed_at = db.session.scalar(
        select(func.max(StripeEvent.received_at)).where(
            StripeEvent.order_id == order_id, StripeEvent.outcome == REFUND_FAILED_OUTCOME
        )
    )
    if failed_at is None or created is None:
        return False
    return datetime.fromtimestamp(created, UTC).replace(tzinfo=None) <= failed_at


def _receive_refund_update(event_id: str, event_type: str, refund: dict) -> str:
    """charge.refund.updated, refund.failed: the shop's refund, `pending` when Stripe took it, has
    succeeded (done) or failed (flagged for an admin; the customer's pages say it is still owed).
    Forward only: a failed refund stays failed whatever event comes after; a repeat changes nothing."""
    refund_id = refund.get("id")
    order_id = db.session.scalar(select(Order.id).where(Order.refund_id == refund_id)) if refund_id else None
    if order_id is None:
        intent = refund.get("payment_intent")
        asking = select(Order.id).where(Order.payment_intent == intent, Order.refund_state == REFUND_DUE)
        if intent and db.session.scalar(asking) is not None:
            # The shop's refund call has not recorded Stripe's answer yet: Stripe sends the event again.
            raise RetryLater(f"the refund of {intent} is being recorded")
        metadata = refund.get("metadata") or {}
        order_id = _our_order(metadata.get("shop_instance"), metadata.get("shop_database"), metadata.get("order_id"))
        if order_id is None or not metadata.get("old_link"):
            return "ignored"  # not a refund the shop made (one made at Stripe is told by charge.refunded)
        return _apply_once(event_id, event_type, order_id, lambda order: _old_link_refund_update(order, refund))
    status = refund.get("status")

    def apply(order: Order) -> tuple[str, history.Note | None]:
        amount, currency = refund.get("amount") or 0, refund.get("currency") or order.currency
        note = settle_refund(order, Refund(refund_id, amount, currency, status, refund.get("failure_reason")))
        if note is None:
            return "refund_unchanged", None
        return (REFUND_FAILED_OUTCOME if order.refund_state == REFUND_FAILED else "refund_recorded"), note

    return _apply_once(event_id, event_type, order_id, apply)


def _old_link_refund_update(order: Order, refund: dict) -> tuple[str, history.Note | None]:
    """The automatic refund of a payment through an old payment link failed: the admin is told to
    refund it at Stripe (once, whichever of Stripe's events about it comes first)."""
    refund_id, status = refund["id"], refund.get("status")
    amount = history.Money(refund.get("amount") or 0, refund.get("currency") or order.currency)
    state, note = refund_outcome(status, refund.get("failure_reason"), amount, refund_id)
    told = select(StripeEvent.id).where(
        StripeEvent.order_id == order.id,
        StripeEvent.outcome == REFUND_FAILED_OUTCOME,
        StripeEvent.note.contains(refund_id, autoescape=True),
    )
    if state != REFUND_FAILED or db.session.scalar(told.limit(1)) is not None:
        return "refund_unchanged", None
    store.flag(
        order,
        f"The automatic refund of {amount.english} paid through an old payment link "
        f"({refund['metadata']['old_link']}) failed: {note.english}; refund {refund.get('payment_intent')} at Stripe",
    )
    store.record(order, STRIPE, REFUND_ACTIONS[REFUND_FAILED], None, None, note)
    return REFUND_FAILED_OUTCOME, note


# Built once: every webhook delivery runs them, and building a select costs more than SQLite
# takes to answer it (make bench).
# Table columns, run on the session's connection: no ORM execution step (which cost more than the
# query on every delivery, most of them about sessions the shop never made).
_ORDERS = Order.__table__
_ORDER_OF_SESSION = select(_ORDERS.c.id).where(_ORDERS.c.stripe_session_id == bindparam("session_id"))
_ORDER_BY_ID = select(_ORDERS.c.id).where(_ORDERS.c.id == bindparam("order_id"))


def _order_id_for(session: CheckoutSession) -> int | None:
    """The order whose session this is; else the order this shop and this database made it for (then
    it is stale). A session of another shop, or of an earlier database of this one, names no order."""
    connection = db.session.connection()
    found = connection.execute(_ORDER_OF_SESSION, {"session_id": session.id}).scalar()
    if found is not None:
        return found
    return _our_order(session.instance, session.database, session.order_id)


def _our_order(instance: str | None, database: str | None, order_id: str | None) -> int | None:
    """The order a Stripe object's metadata names, if this shop and this database made it."""
    ours = instance == current_app.config["SHOP_INSTANCE_ID"] and database == store.database_id()
    number = whole_number(order_id or "")
    if ours and number is not None:
        return db.session.connection().execute(_ORDER_BY_ID, {"order_id": number}).scalar()
    return None


# ----- asking Stripe (success page, reconcile, a cancel that finds the session closed) ----------


def apply_from_stripe(order_id: int, actor: str, via: history.Note) -> str:
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
        order = store.locked(order_id)
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


# ----- doing what states.decide says ------------------------------------------------------------


def _apply(
    order: Order, session: CheckoutSession, fact: str, actor: str, via: history.Note
) -> tuple[str, history.Note | None]:
    """Move the locked order forward by what Stripe says about `session`; (outcome, note)."""
    decision = states.decide(order, session, fact)
    if decision == states.STALE_PAID:
        # Flagged with the event row, before the refund (follow_up): if that never happens (the
        # worker dies, the refund's write fails), Stripe's retry is a duplicate and this flag is
        # what still tells an admin. refund_stale_payment words it anew with the refund's outcome.
        store.flag(
            order,
            f"{money_of(session)} was paid through an old payment link ({session.id}); its automatic refund "
            f"was started: if this stays, refund {session.payment_intent} at Stripe",
        )
        return "stale_paid", history.note(
            "%(amount)s paid through %(session)s", amount=amount_of(session), session=session.id
        )
    if decision == states.MISMATCH_SEEN:
        return "amount_mismatch", None  # judged and flagged already
    if decision in (states.REFUND_DUE_LATE, states.AMOUNT_MISMATCH, states.ACCEPT_PAYMENT):
        return _apply_paid(order, session, decision, actor, via)
    if decision == states.START_AWAITING:
        return _apply_awaiting(order, session, actor)
    if decision == states.CLOSED_BY_SHOP:
        order.checkout_state = SESSION_EXPIRED
        order.stripe_session_url = None
        return "closed_by_shop", None
    if decision == states.RETRY_LATER:
        raise RetryLater(f"order {order.id} is {order.hold_state}")
    if decision == states.RELEASE:
        return _apply_unpaid(order, fact, actor)
    return decision, None  # stale, already_paid, already_awaiting, late, open: nothing to do


def _apply_paid(
    order: Order, session: CheckoutSession, decision: str, actor: str, via: history.Note
) -> tuple[str, history.Note]:
    paid = amount_of(session)
    order.checkout_state = SESSION_COMPLETE
    order.stripe_session_url = None
    order.payment_intent = order.payment_intent or session.payment_intent
    order.updated_at = utcnow()
    if decision == states.REFUND_DUE_LATE:
        if order.refund_state is None:
            order.refund_state = REFUND_DUE
            store.flag(
                order, f"{money_of(session)} was paid after the order was cancelled; it is refunded automatically"
            )
            received = history.note("%(amount)s received (%(via)s); refund due", amount=paid, via=via)
            store.record(order, actor, PAID_AFTER_CANCEL, CANCELLED, CANCELLED, received)
        return "refund_due", history.note("%(amount)s received for a cancelled order", amount=paid)
    if decision == states.AMOUNT_MISMATCH:
        expected = history.Money(order.total_cents, order.currency)
        store.flag(
            order,
            f"Stripe reports a payment of {money_of(session)} for this order of {expected.english}; not accepted",
        )
        mismatch = {"amount": paid, "expected": expected}
        store.record(
            order,
            actor,
            "payment_mismatch",
            PENDING,
            PENDING,
            history.note("%(amount)s received, %(expected)s expected (%(via)s)", **mismatch, via=via),
        )
        return "amount_mismatch", history.note("%(amount)s received, %(expected)s expected", **mismatch)
    store.transition(order, states.EV_PAID, actor, history.note("%(amount)s (%(via)s)", amount=paid, via=via))
    if order.hold_state in (HELD, ADJUSTING):
        order.hold_state = COMMITTING
    return "paid", history.Note("%(amount)s", {"amount": paid})  # the amount alone: nothing to translate


def _apply_awaiting(order: Order, session: CheckoutSession, actor: str) -> tuple[str, None]:
    order.checkout_state = SESSION_PROCESSING
    order.stripe_session_url = None
    order.payment_intent = session.payment_intent or order.payment_intent
    if session.boleto_due is not None:
        order.pay_by = session.boleto_due
    order.version += 1
    order.updated_at = utcnow()
    issued = history.note("Boleto issued; waiting for it to be paid")
    store.record(order, actor, AWAITING_PAYMENT, PENDING, PENDING, issued)
    return "awaiting_payment", None


def _apply_unpaid(order: Order, fact: str, actor: str) -> tuple[str, history.Note]:
    """The session expired, or its boleto lapsed: the order is cancelled and its stock released."""
    if fact == states.FAILED:
        note = history.note("The boleto was not paid by its due date")
    else:
        note = history.note("The payment link expired unpaid")
    store.transition(order, states.EV_CANCELLED, actor, note)
    order.hold_state = RELEASING
    order.checkout_state = SESSION_FAILED if fact == states.FAILED else SESSION_EXPIRED
    order.stripe_session_url = None
    return "released", note
