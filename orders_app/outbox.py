"""orders_app's e-mail: the outbox tables (shared_ui/outbox.py) and how its messages read.

A receipt when an order becomes Paid, a notice when it is cancelled, and a notice when a payment
the order did not take is refunded (notices.py writes them in the same transaction as the change).
The address and language are the account's, asked of users_app when the message is sent
(GET /users/internal/users/<id>): an account without an address (or deleted since) gets nothing,
and nothing fails because of it.
"""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Index

from orders_app.extensions import db, users
from orders_app.models import PAID, PENDING, REFUND_DONE, REFUND_DUE, REFUND_FAILED, REFUND_PENDING, Order
from shared_ui import outbox
from shared_ui.money import format_money
from shared_ui.outbox import OutboxAttemptMixin, OutboxMessageMixin
from shared_ui.service_client import ServiceUnavailable
from shared_ui.shop_time import when

ORDER_PAID, ORDER_CANCELLED, PAYMENT_REFUNDED = "order_paid", "order_cancelled", "payment_refunded"


class MailMessage(OutboxMessageMixin, db.Model):
    __tablename__ = "outbox"


class MailAttempt(OutboxAttemptMixin, db.Model):
    __tablename__ = "outbox_attempts"


Index("ix_outbox_due", MailMessage.state, MailMessage.next_attempt_at)


def order_lines(order: Order) -> list[dict]:
    """The order's lines as an e-mail lists them."""
    return [
        {
            "name": line.item_name,
            "quantity": line.quantity,
            "unit_cents": line.unit_price_cents,
            "total_cents": line.line_total_cents,
        }
        for line in order.lines
    ]


def recipient(user_id: int) -> dict | None:
    """The account's record (email, locale) fresh from users_app; None when it has no address.

    Raises outbox.TryLater when users_app cannot be reached: the message waits.
    """
    try:
        response = users.client.request("GET", f"/users/internal/users/{user_id}", idempotent=True)
    except ServiceUnavailable:
        raise outbox.TryLater("users_app did not answer", unreachable=True) from None
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise outbox.TryLater(f"users_app answered {response.status_code}")
    record = response.json()
    return record if record.get("email") and record.get("is_active", True) else None


def render(message: MailMessage) -> outbox.Rendered | None:
    order = db.session.get(Order, message.data.get("order_id"))
    if order is None or message.user_id is None:
        return None
    account = recipient(message.user_id)
    if account is None:
        return None
    locale = account.get("locale")
    public_url = current_app.config["SHOP_PUBLIC_URL"]
    refund = message.data.get("refund", order.refund_state in (REFUND_DUE, REFUND_PENDING, REFUND_DONE, REFUND_FAILED))
    context = {
        "order": order,
        "lines": order_lines(order),
        "money": lambda cents: format_money(cents, order.currency, locale or "en"),
        "when": lambda moment: when(moment, "long"),  # in the shop's zone, named
        "order_url": f"{public_url}/orders/{order.id}",
        # What the cancel decided, unless Stripe has refused the refund since (an admin refunds it by hand).
        "refunded": refund and order.refund_state != REFUND_FAILED,
        "refund_failed": refund and order.refund_state == REFUND_FAILED,
        "why": message.data.get("why"),  # of a cancellation (notices.BY_CUSTOMER, ...); None before it was said
        "login": order.user_login,
    }
    if message.kind == ORDER_PAID:
        subject, text, html = outbox.render_mail(
            "orders/mail/receipt", locale, lambda: _("Receipt for your order %(number)s", number=order.id), **context
        )
    elif message.kind == ORDER_CANCELLED:
        # notices.refund_failed_later's correction says what changed, not "cancelled" again
        correcting = message.data.get("correction") and context["refund_failed"]
        subject, text, html = outbox.render_mail(
            "orders/mail/cancelled",
            locale,
            (lambda: _("Your order %(number)s: the refund did not go through", number=order.id))
            if correcting
            else (lambda: _("Your order %(number)s is cancelled", number=order.id)),
            **context,
        )
    elif message.kind == PAYMENT_REFUNDED:
        amount = format_money(message.data["amount_cents"], message.data["currency"], locale or "en")
        subject, text, html = outbox.render_mail(
            "orders/mail/refunded",
            locale,
            lambda: _("A payment for your order %(number)s is refunded", number=order.id),
            amount=amount,
            reason=message.data.get("reason"),
            order_paid=order.status == PAID,
            order_pending=order.status == PENDING,
            **context,
        )
    else:
        return None
    return outbox.Rendered(to=account["email"], subject=subject, text=text, html=html)


OUTBOX = outbox.Outbox(db, MailMessage, MailAttempt, render)


def deliver():
    """The jobs process's periodic step."""
    return outbox.deliver_due(OUTBOX)
