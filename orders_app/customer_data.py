"""A customer's orders for users_app's "Download my data" and "Delete my account" (internal only).

- `GET /orders/internal/users/<id>/orders`: every order of the account with its lines and
  payment, the lines of its cart, and the e-mails orders_app sent it.
- `POST /orders/internal/users/<id>/erase`: no order is placed for the account any more (its login
  may pass the check here for a few seconds yet), its Pending orders are cancelled through the
  usual cancel (Checkout Session expired, stock released), then every order keeps only an anonymous
  customer name (the shop's books still add up) and its e-mails lose their address. Idempotent.
"""

from flask import Blueprint, jsonify, request
from sqlalchemy import delete, select, update

from orders_app import history, store
from orders_app.cancelling import cancel_order
from orders_app.errors import OrderError
from orders_app.extensions import db
from orders_app.models import (
    HIDDEN_HOLD_STATES,
    PENDING,
    REQUESTING,
    CartCheckout,
    CartLine,
    IdempotencyKey,
    Order,
    OrderEvent,
    rfc3339,
)
from orders_app.outbox import MailMessage, order_lines
from orders_app.placing import give_up
from shared_ui.api import cents_to_str
from shared_ui.auth import require_service_token
from shared_ui.db import write_transaction
from shared_ui.extensions import csrf
from shared_ui.outbox import QUEUED, SKIPPED

bp = Blueprint("customer_data", __name__, url_prefix="/orders/internal/users")
csrf.exempt(bp)
bp.before_request(require_service_token)

ANONYMOUS = "deleted customer"
ERASER = "customer (account deleted)"
#: in the history of any order, what an administrator who deleted their account did
DELETED_ADMIN = "administrator (account deleted)"


def _order_export(order: Order) -> dict:
    return {
        **order.to_api(),
        "currency": order.currency,
        "lines": [
            {
                "name": line["name"],
                "quantity": line["quantity"],
                "unit_price": cents_to_str(line["unit_cents"]),
                "line_total": cents_to_str(line["total_cents"]),
            }
            for line in order_lines(order)
        ],
        "payment": {
            "paid_at": rfc3339(order.paid_at),
            "cancelled_at": rfc3339(order.cancelled_at),
            "stripe_session_id": order.stripe_session_id,
            "payment_intent": order.payment_intent,
            "refund": order.refund_state,
            "refund_id": order.refund_id,
        },
    }


def _orders_of(user_id: int) -> list[Order]:
    query = select(Order).where(Order.user_id == user_id, Order.hold_state.not_in(HIDDEN_HOLD_STATES))
    return list(db.session.scalars(query.order_by(Order.id)))


def _rename_actor(actor: str, new: str, orders=None) -> None:
    """Within a write transaction: `actor` becomes `new` in the histories (of `orders`, a select of
    order ids, or of every order)."""
    events = OrderEvent.__table__
    condition = events.c.actor == actor
    if orders is not None:
        condition = condition & events.c.order_id.in_(orders)
    db.session.execute(update(events).where(condition).values(actor=new))


def _cart_export(line: CartLine) -> dict:
    return {
        "inventory_id": line.inventory_id,
        "quantity": line.quantity,
        "price_seen": cents_to_str(line.price_cents_seen),
        "added_at": rfc3339(line.added_at),
    }


@bp.get("/<int:user_id>/orders")
def orders_of(user_id: int):
    mail = db.session.scalars(select(MailMessage).where(MailMessage.user_id == user_id).order_by(MailMessage.id))
    cart = db.session.scalars(select(CartLine).where(CartLine.user_id == user_id).order_by(CartLine.added_at))
    return jsonify(
        orders=[_order_export(o) for o in _orders_of(user_id)],
        cart=[_cart_export(line) for line in cart],
        emails=[m.to_export() for m in mail],
    )


@bp.post("/<int:user_id>/erase")
def erase(user_id: int):
    with write_transaction(db):  # first: no order is placed for the account from now on, and one
        store.mark_erased(user_id)  # being placed is written before this, so it is among those below
    # One still being placed is given up, as a sweeper gives up a stale one: its placing then finds
    # it abandoned, releases the hold it got and answers 503; an order already placed is cancelled.
    placing_now = select(Order.id).where(Order.user_id == user_id, Order.hold_state == REQUESTING)
    for order_id in db.session.scalars(placing_now).all():
        give_up(order_id)
    cancelled, kept_pending = 0, 0
    for order in _orders_of(user_id):
        if order.status != PENDING:
            continue
        if not order.can_change():
            kept_pending += 1  # a boleto in hand, or a change in flight: it settles like any other
            continue
        try:
            cancel_order(order, ERASER, history.note("The customer deleted their account"))
            cancelled += 1
        except OrderError:
            kept_pending += 1
    with write_transaction(db):
        own_orders = select(Order.id).where(Order.user_id == user_id)
        named = own_orders.where(Order.user_login != ANONYMOUS)
        logins = set(db.session.scalars(select(Order.user_login).where(Order.id.in_(named)).distinct()))
        if isinstance(given := (request.get_json(silent=True) or {}).get("login"), str) and given:
            logins.add(given)  # an account without orders of its own may still be in others' histories
        for login in logins:  # their name goes from the histories too: what they did, and as an admin
            _rename_actor(login, ERASER, own_orders)
            _rename_actor(login + store.ADMIN_SUFFIX, DELETED_ADMIN)
        db.session.execute(
            update(Order)
            .where(Order.user_id == user_id)
            .values(user_login=ANONYMOUS)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(MailMessage)
            .where(MailMessage.user_id == user_id, MailMessage.state == QUEUED)
            .values(state=SKIPPED)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(MailMessage)
            .where(MailMessage.user_id == user_id)
            .values(to_address=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(delete(CartLine).where(CartLine.user_id == user_id))  # what they meant to buy goes too
        db.session.execute(delete(CartCheckout).where(CartCheckout.user_id == user_id))
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id))
    return jsonify(cancelled=cancelled, kept_pending=kept_pending)
