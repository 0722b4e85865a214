"""Steps 4 and 7 of the saga: a customer (or the sweeper) cancels a Pending order; an admin cancels
a Paid one with a refund; an admin clears an order's flag."""

from orders_app import history, states, store
from orders_app.checkout import close_session
from orders_app.extensions import db
from orders_app.models import PAID, PENDING, REFUND_DUE, RESTOCKING, Order, utcnow
from orders_app.settling import cancel_and_release, follow_up
from shared_ui.db import write_transaction


def cancel_order(
    order: Order, actor: str, note: history.Note | str | None = None, expected_version: int | None = None
) -> Order:
    """Cancel a Pending order and give its stock back (now, or through the sweeper if inventory is down).

    Its open Checkout Session is expired at Stripe first; if Stripe says it was paid, the payment
    is applied instead and the cancel refused.
    """
    order_id = order.id
    if order.status == PENDING:
        store.check_version(order, expected_version)
        close_session(order_id, actor, "cancel")
    return cancel_and_release(order_id, actor, note, expected_version)


def cancel_as(
    order: Order,
    actor: str,
    *,
    admin: bool,
    restock: bool = True,
    note: history.Note | str | None = None,
    shown_status: str | None = None,
) -> Order:
    """What Cancel does (DESIGN steps 4 and 7): a Pending order is cancelled; an admin's cancel of a
    Paid one refunds it (its stock back if `restock`). The page and the API both call this.

    `shown_status`: the status the admin's page showed the order in. A Cancel shown on a Pending
    order never refunds a payment that came meanwhile (the order is refused as paid): the admin
    meant to drop an unpaid order, not to give back a customer's money and keep its stock sold."""
    if admin and order.status == PAID and shown_status != PENDING:
        return refund_and_cancel(order, actor, restock=restock)
    return cancel_order(order, actor, note)


def refund_and_cancel(order: Order, actor: str, *, restock: bool) -> Order:
    """Paid -> Cancelled with the payment refunded at Stripe; the sold stock back if `restock`."""
    order_id = order.id
    with write_transaction(db):
        order = store.claim(order_id, None, guard=states.why_not_refund)
        if restock:
            note = history.note("Refund requested; its stock goes back on sale")
        else:
            note = history.note("Refund requested; its stock is not returned")
        order.refund_state = REFUND_DUE  # before the transition: its cancellation notice says the refund
        store.transition(order, states.EV_REFUNDED, actor, note)
        if restock:
            order.hold_state = RESTOCKING
    follow_up(order_id)
    return db.session.get(Order, order_id)


def resolve_attention(order_id: int, actor: str) -> tuple[Order | None, bool]:
    """An admin has dealt with a flagged order: the flag goes, the history keeps why it was raised.

    (order, resolved): (None, False) when there is no such order; an order that is not flagged (any
    more: another admin was first) is left as it is.
    """
    with write_transaction(db, keep_loaded=True):
        order = store.locked(order_id)
        if order is None or not order.needs_attention:
            return order, False
        reason = order.attention_reason
        order.needs_attention = False
        order.attention_reason = None
        order.updated_at = utcnow()
        store.record(order, actor, "attention_resolved", None, None, reason)
    return order, True
