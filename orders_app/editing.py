"""Step 5 of the saga: a Pending order's quantity changes, and its hold with it (all or none).

An edit claims the order by moving `held` -> `adjusting` inside a write transaction, so a cancel
or another edit is refused ("being changed") while inventory is asked; the database lock is never
held across the call. An edit whose answer got lost is settled from what inventory holds
(`settle_adjusting`, also run by the sweeper).
"""

from flask_babel import gettext as _

from orders_app import states, store
from orders_app.checkout import close_session
from orders_app.clients.inventory import (
    HOLD_COMMITTED,
    HOLD_RELEASED,
    HoldConflict,
    HoldNotFound,
    InsufficientStock,
    InventoryUnavailable,
    ItemArchived,
    current_inventory,
)
from orders_app.errors import OrderError, no_longer_sold, short_for_change, unavailable
from orders_app.extensions import db
from orders_app.models import ADJUSTING, CANCELLED, COMMITTED, HELD, PENDING, RELEASED, Order, utcnow
from orders_app.placing import parse_quantity
from orders_app.store import SWEEPER
from shared_ui.db import write_transaction


def change_quantity(order: Order, quantity, actor: str, expected_version: int | None = None) -> Order:
    """Set a Pending order's quantity: the hold follows (more only if stock is free), total recomputed."""
    quantity = parse_quantity(quantity)
    order_id = order.id
    if quantity != order.quantity and order.status == PENDING:
        store.check_version(order, expected_version)
        close_session(order_id, actor, "edit")  # the next Pay makes a link for the new total
    with write_transaction(db):
        order = store.claim(order_id, expected_version, guard=states.why_not_change)
        if quantity == order.quantity:
            return order
        old, key, item_id = order.quantity, order.key, order.inventory_id
        order.hold_state = ADJUSTING  # the claim: cancels and other edits wait for this one
        order.updated_at = utcnow()
    try:
        hold = current_inventory().change_hold(key, quantity=quantity)
    except InsufficientStock as error:
        store.set_hold_state(order_id, ADJUSTING, HELD)
        raise short_for_change(error.available, old) from None
    except ItemArchived:
        store.set_hold_state(order_id, ADJUSTING, HELD)
        raise no_longer_sold() from None
    except (InventoryUnavailable, HoldNotFound, HoldConflict):
        hold = None
    if hold is None or not hold.is_for(item_id, quantity):
        # Unknown whether inventory applied it: the order takes whatever inventory holds.
        settled = settle_adjusting(order_id, actor)
        if settled is not None and settled.hold_state == HELD and settled.quantity == quantity:
            return settled
        if settled is None:
            raise unavailable(
                _("the inventory service is not answering; your order will be checked again with it shortly")
            )
        if settled.status == CANCELLED:
            raise OrderError(
                _("The stock of this order is no longer held, so it was cancelled."), status=409, code="not_pending"
            )
        raise unavailable(_("the inventory service is not answering; the quantity was not changed"))
    with write_transaction(db):
        order = store.locked(order_id)
        if order.hold_state == ADJUSTING:
            _apply_quantity(order, quantity, actor, "quantity_changed", None)
            order.hold_state = HELD
    return order


def settle_adjusting(order_id: int, actor: str = SWEEPER) -> Order | None:
    """Settle an `adjusting` order with what inventory holds; None while inventory does not answer."""
    order = db.session.get(Order, order_id)
    if order is None:
        return None
    try:
        hold = current_inventory().get_hold(order.key)
    except InventoryUnavailable:
        return None
    with write_transaction(db):
        order = store.locked(order_id)
        if order.hold_state != ADJUSTING:
            return order
        if hold is None or hold.state == HOLD_RELEASED:
            store.transition(order, states.EV_CANCELLED, SWEEPER, "inventory no longer holds the stock for this order")
            order.hold_state = RELEASED
        elif hold.state == HOLD_COMMITTED:
            order.hold_state = COMMITTED
            store.flag(order, "inventory has this order's stock committed, but the order is not paid")
        else:
            if hold.quantity != order.quantity:
                _apply_quantity(order, hold.quantity, actor, "quantity_changed", "as inventory holds it")
            order.hold_state = HELD
    return order


def _apply_quantity(order: Order, quantity: int, actor: str, action: str, note: str | None) -> None:
    old = order.quantity
    order.one_line.quantity = quantity
    order.set_lines(list(order.lines))
    order.version += 1
    order.updated_at = utcnow()
    store.record(order, actor, action, str(old), str(quantity), note)
