"""The e-mails an order's changes cause, written to the outbox in the change's own transaction.

Call these inside the write transaction that makes the change, right where the status is set:
the key (`order-<id>-paid`, `order-<id>-cancelled`) makes the webhook, the success page and
reconcile write each message once, however many of them apply the same payment.
"""

from orders_app.models import Order
from orders_app.outbox import ORDER_CANCELLED, ORDER_PAID, OUTBOX
from shared_ui import outbox


def order_paid(order: Order) -> None:
    """The receipt: the order just became Paid."""
    outbox.enqueue(
        OUTBOX, key=f"order-{order.id}-paid", kind=ORDER_PAID, user_id=order.user_id, payload={"order_id": order.id}
    )


def order_cancelled(order: Order) -> None:
    """The notice: the order was just cancelled (the refund, if any, is said when it is sent)."""
    outbox.enqueue(
        OUTBOX,
        key=f"order-{order.id}-cancelled",
        kind=ORDER_CANCELLED,
        user_id=order.user_id,
        payload={"order_id": order.id},
    )
