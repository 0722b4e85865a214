"""Step 5 of the saga: a Pending order's quantity changes, and its hold with it (all or none).

An edit claims the order by moving `held` -> `adjusting` inside a write transaction, so a cancel
or another edit is refused ("being changed") while inventory is asked; the database lock is never
held across the call. An edit whose answer got lost is settled from what inventory holds
(`settle_adjusting`, also run by the sweeper).
"""

from flask_babel import gettext as _

from orders_app import history, states, store
from orders_app.checkout import close_session
from orders_app.clients.inventory import (
    HOLD_COMMITTED,
    HOLD_RELEASED,
    HoldConflict,
    HoldNotFound,
    InsufficientStock,
    InventoryUnavailable,
    ItemArchived,
    PriceChanged,
    current_inventory,
)
from orders_app.errors import (
    CHANGED_MEANWHILE,
    OrderError,
    no_longer_sold,
    price_changed_since,
    short_for_change,
    short_lines_for_change,
    too_large,
    too_small_after_change,
    unavailable,
)
from orders_app.extensions import db
from orders_app.models import (
    ADJUSTING,
    CANCELLED,
    COMMITTED,
    HELD,
    PENDING,
    RELEASED,
    SESSION_CLOSING,
    SESSION_OPEN,
    Order,
    utcnow,
)
from orders_app.placing import parse_inventory_id, parse_quantity
from orders_app.store import SWEEPER
from shared_ui.db import write_transaction


def change_quantity(order: Order, quantity, actor: str, expected_version: int | None = None) -> Order:
    """Set a one-line order's quantity (change_lines with its one line)."""
    quantity = parse_quantity(quantity)
    if order.one_line is None:
        raise OrderError(_("This order has several lines: change each line's quantity."), field="quantity")
    return change_lines(order, [(order.one_line.inventory_id, quantity)], actor, expected_version)


def change_lines(order: Order, lines, actor: str, expected_version: int | None = None) -> Order:
    """Set a Pending order's lines (absolute: the new quantity of each line it keeps; quantity 0 or a
    line left out removes it; the last line cannot go). The hold follows, all or none at inventory
    (more only if stock is free); the total is recomputed and the version goes up."""
    wanted = _parse_new_lines(order, lines)
    order_id = order.id
    if wanted != order.line_quantities and order.status == PENDING:
        store.check_version(order, expected_version)
        close_session(order_id, actor, "edit")  # the next Pay makes a link for the new total
    with write_transaction(db):
        order = store.claim(order_id, expected_version, guard=states.why_not_change)
        if wanted == order.line_quantities:
            return order
        if order.checkout_state in (SESSION_OPEN, SESSION_CLOSING):
            # A Pay made a link after close_session above, for the lines as they are now: the
            # customer looks again (the next edit expires that link first).
            raise OrderError(CHANGED_MEANWHILE, status=409, code="conflict")
        old, key = order.line_quantities, order.key
        names = {line.inventory_id: line.item_name for line in order.lines}
        # An order keeps the prices it was placed at: more of an item whose price has changed
        # since is for a new order (inventory checks it as it takes the units).
        prices = {line.inventory_id: line.unit_price_cents for line in order.lines}
        order.hold_state = ADJUSTING  # the claim: cancels and other edits wait for this one
        order.updated_at = utcnow()
    try:
        hold = current_inventory().change_hold(key, lines=wanted, held_lines=len(old), prices=prices)
    except PriceChanged as error:
        store.set_hold_state(order_id, ADJUSTING, HELD)
        raise price_changed_since(sorted(names.get(item_id, str(item_id)) for item_id in error.prices)) from None
    except InsufficientStock as error:
        store.set_hold_state(order_id, ADJUSTING, HELD)
        if len(old) == 1:
            [(item_id, current)] = old.items()
            raise short_for_change(item_id, error.available, current) from None
        short = error.short or {}
        raise short_lines_for_change(
            [(item_id, names.get(item_id, str(item_id)), left, old.get(item_id, 0)) for item_id, left in short.items()]
        ) from None
    except ItemArchived:
        store.set_hold_state(order_id, ADJUSTING, HELD)
        raise no_longer_sold() from None
    except (InventoryUnavailable, HoldNotFound, HoldConflict):
        hold = None
    if hold is None or not hold.is_for(wanted):
        # Unknown whether inventory applied it: the order takes whatever inventory holds.
        settled = settle_adjusting(order_id, actor)
        if settled is not None and settled.hold_state == HELD and settled.line_quantities == wanted:
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
            _apply_lines(order, wanted, actor, None)
            order.hold_state = HELD
    return order


def _parse_new_lines(order: Order, lines) -> dict[int, int]:
    """{item id: quantity} of the lines the order keeps; only its own items, at least one line."""
    if not isinstance(lines, list | tuple) or not lines:
        raise OrderError(_("Give the order's lines with their new quantities."), field="lines")
    wanted: dict[int, int] = {}
    for line in lines:
        item_id, quantity = (line.get("inventory_id"), line.get("quantity")) if isinstance(line, dict) else line
        item_id = parse_inventory_id(item_id)
        if item_id not in order.line_quantities:
            raise OrderError(_("This order has no line of item %(id)d.", id=item_id), field="lines")
        if quantity := parse_quantity(quantity, allow_zero=True):
            wanted[item_id] = quantity
    if not wanted:
        raise OrderError(
            _("An order keeps at least one line: cancel the order instead of removing its last line."), field="lines"
        )
    prices = {line.inventory_id: line.unit_price_cents for line in order.lines}
    total = sum(prices[item_id] * quantity for item_id, quantity in wanted.items())
    field = "quantity" if len(order.lines) == 1 else "lines"
    if states.missing_for_minimum(total, order.currency):  # it could never be paid: change nothing
        raise too_small_after_change(order, total, wanted)
    if states.over_maximum(total):
        raise too_large(order.currency, field=field)
    return wanted


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
            gone = history.note("inventory no longer holds the stock for this order")
            store.transition(order, states.EV_CANCELLED, SWEEPER, gone)
            order.hold_state = RELEASED
        elif hold.state == HOLD_COMMITTED:
            order.hold_state = COMMITTED
            store.flag(order, "inventory has this order's stock committed, but the order is not paid")
        else:
            held = {item_id: quantity for item_id, quantity in hold.lines if item_id in order.line_quantities}
            if held and held != order.line_quantities:
                _apply_lines(order, held, actor, history.note("as inventory holds it"))
            order.hold_state = HELD
    return order


def _apply_lines(order: Order, wanted: dict[int, int], actor: str, note: history.Note | None) -> None:
    """The order's lines become `wanted` (lines left out go), recorded in its history."""
    before = str(order.quantity) if order.one_line else order.summary
    kept = []
    for line in order.lines:
        if line.inventory_id in wanted:
            line.quantity = wanted[line.inventory_id]
            kept.append(line)
    order.set_lines(kept)
    order.version += 1
    order.updated_at = utcnow()
    after = str(order.quantity) if order.one_line and len(wanted) == 1 and before.isdigit() else order.summary
    action = "quantity_changed" if before.isdigit() else "lines_changed"
    store.record(order, actor, action, before[:80], after[:80], note)
