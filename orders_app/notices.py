"""The e-mails an order's changes cause, written to the outbox in the change's own transaction.

Call these inside the write transaction that makes the change, right where the status is set:
the key (`order-<id>-paid`, `order-<id>-cancelled`, `order-<id>-refund-<session>`,
`order-<id>-refund-failed`) makes the
webhook, the success page and reconcile write each message once, however many of them apply the
same payment.
"""

from datetime import timedelta

from sqlalchemy import select

from orders_app.extensions import db
from orders_app.history import Money
from orders_app.models import REFUND_DUE, Order
from orders_app.outbox import ORDER_CANCELLED, ORDER_PAID, OUTBOX, PAYMENT_REFUNDED, MailMessage
from shared_ui import outbox


def order_paid(order: Order) -> None:
    """The receipt: the order just became Paid."""
    outbox.enqueue(
        OUTBOX, key=f"order-{order.id}-paid", kind=ORDER_PAID, user_id=order.user_id, payload={"order_id": order.id}
    )


#: why an order was cancelled, as its notice says it (store._why_cancelled)
BY_CUSTOMER, BY_SHOP, NOT_PAID, STOCK_GONE = "customer", "shop", "not_paid", "stock_gone"
#: how long a cancellation notice waits for Stripe's answer to the refund the cancel asked for, so that
#: it says "refunded" (or that the shop will refund it) rather than "being refunded" when Stripe is quick
REFUND_ANSWER_WAIT = timedelta(minutes=2)


def _cancelled_key(order: Order) -> str:
    return f"order-{order.id}-cancelled"


def order_cancelled(order: Order, why: str | None = None) -> None:
    """The notice: the order was just cancelled (`why`: BY_CUSTOMER, ...), with the refund the cancel
    decided (set before this). With a refund due, it waits for Stripe's answer (refund_answered),
    REFUND_ANSWER_WAIT at most: what it says of the refund is then what Stripe said.

    A payment that arrives after the cancel is told of in a notice of its own (payment_refunded).
    """
    refund = order.refund_state == REFUND_DUE
    outbox.enqueue(
        OUTBOX,
        key=_cancelled_key(order),
        kind=ORDER_CANCELLED,
        user_id=order.user_id,
        payload={"order_id": order.id, "refund": refund, "why": why},
        not_before=outbox.utcnow() + REFUND_ANSWER_WAIT if refund else None,
    )


def refund_answered(order: Order) -> None:
    """Stripe answered the refund a cancel asked for (refunded, pending or refused): the cancellation
    notice waiting for it goes now."""
    outbox.hasten(OUTBOX, _cancelled_key(order))


def payment_refunded(order: Order, session_id: str, amount: Money, reason: str) -> None:
    """A payment the order did not take was refunded: it came after the cancel (`late`), or through
    a link the order no longer uses (`old_link`). Written once Stripe took the refund, in the
    transaction that records it (a refund Stripe refuses is flagged for an admin, not told)."""
    outbox.enqueue(
        OUTBOX,
        key=f"order-{order.id}-refund-{session_id}",
        kind=PAYMENT_REFUNDED,
        user_id=order.user_id,
        payload={"order_id": order.id, "amount_cents": amount.cents, "currency": amount.currency, "reason": reason},
    )


def refund_failed_later(order: Order) -> None:
    """A refund Stripe took failed later (a closed card). A customer already sent a notice that said
    it was refunded (the cancellation's, or a late payment's) is sent the cancellation notice again,
    which now says the shop will refund it; a notice not sent yet says so itself."""
    told = select(MailMessage.id).where(
        MailMessage.key.like(f"order-{order.id}-%"),
        MailMessage.kind.in_((ORDER_CANCELLED, PAYMENT_REFUNDED)),
        MailMessage.sent_at.is_not(None),
    )
    if db.session.scalar(told.limit(1)) is None:
        return
    outbox.enqueue(
        OUTBOX,
        key=f"order-{order.id}-refund-failed",
        kind=ORDER_CANCELLED,
        user_id=order.user_id,
        payload={"order_id": order.id, "refund": True, "why": None, "correction": True},
    )
