"""The order saga (DESIGN "Stock and payment: one saga, one clock"): place, change, cancel, sweep.

Pages, the JSON API, the CLI and the jobs process all call these functions; none of them holds
a second copy of a rule.

Two systems, one truth. Stock lives at inventory, orders live here, and no transaction spans
both; so every step first records in the order row what it is about to do (`hold_state`, see
models.py), then calls inventory (idempotent, keyed `order-<id>`), then records the outcome. A
request that dies halfway leaves a row in a `requesting`, `adjusting`, `abandoned` or
`releasing` state, and `sweep` finishes it from what inventory says. So there is never, for
longer than a sweep, a hold without a Pending order nor a Pending order without a hold.

Concurrency of edit and cancel. Both begin with a claim inside `write_transaction` (BEGIN
IMMEDIATE on SQLite, SELECT ... FOR UPDATE elsewhere): the row is read under the write lock,
its status, hold state and (when the caller saw one) version are checked, and the claim is
written before the lock is let go. An edit claims by moving `held` -> `adjusting`, a cancel by
moving Pending/`held` -> Cancelled/`releasing`; both require `held`, so while one is talking to
inventory the other is refused ("being changed, try again") instead of interleaving with it.
The database lock is never held across a call to inventory.

Payments (checkout.py, payments.py) build on this module: an edit or a cancel first closes the
order's open Checkout Session at Stripe (checkout.close_session), and a cancel hands what it owes
(the release, a refund) to payments.follow_up. Those two modules import this one, so this one
imports them inside the functions that need them.
"""

import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import bindparam, delete, func, or_, select

from orders_app import notices
from orders_app.clients.inventory import (
    HOLD_COMMITTED,
    HOLD_HELD,
    HOLD_RELEASED,
    HoldConflict,
    HoldNotFound,
    InsufficientStock,
    InventoryUnavailable,
    Item,
    ItemArchived,
    ItemNotFound,
    current_inventory,
)
from orders_app.extensions import db
from orders_app.models import (
    ABANDONED,
    ADJUSTING,
    CANCELLED,
    COMMITTED,
    HELD,
    HIDDEN_HOLD_STATES,
    PENDING,
    REFUND_DUE,
    RELEASED,
    RELEASING,
    REQUESTING,
    RESTOCKING,
    SESSION_COMPLETE,
    SESSION_PROCESSING,
    Order,
    OrderEvent,
    utcnow,
)
from shared_ui.db import write_transaction

# Messages people read: translated into the language of the request that shows them (lazy).
NOTHING_RESERVED = _l("the inventory service is not answering; nothing was reserved")
NO_LONGER_SOLD = _l("this item is no longer sold")
NO_SUCH_ITEM = _l("there is no such item")
BUSY = _l("This order is being changed right now; try again in a moment.")
CHANGED_MEANWHILE = _l("This order changed since you opened it; look at it again before changing it.")
NO_SUCH_ORDER = _l("There is no such order.")
TRY_AGAIN = _l("the inventory service is not answering; please try again in a moment")
ONLY_OWNER_PAYS = _l("Only the customer who placed an order can pay for it.")
ONLY_OWNER_CHANGES = _l("Only the customer who placed an order can change its quantity.")


def check_owner(order, user, rule) -> None:
    """Paying and changing the quantity are the customer's own (an admin sees and cancels any order,
    but never pays for or edits one): anyone else gets `rule` as a 403."""
    if order.user_id != user.id:
        raise OrderError(rule, status=403, code="forbidden")
#: an order's status inside a sentence ("This order is paid; ...")
STATUS_WORDS = {"Pending": _l("pending"), "Paid": _l("paid"), "Cancelled": _l("cancelled")}
SWEEPER = "sweeper"
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class OrderError(Exception):
    """A rule said no. `status`/`code` are how the API answers; `field` the input it is about."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 422,
        code: str = "invalid_field",
        field: str | None = None,
        available: int | None = None,
    ):
        message = str(message)  # a lazy translation becomes text in the language of this request
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.available = available


class InjectedFault(BaseException):
    """Raised by the test-only fault hook; a BaseException so nothing on the way catches it."""


@dataclass(frozen=True)
class Quote:
    item: Item
    quantity: int

    @property
    def total_cents(self) -> int:
        return self.item.price_cents * self.quantity


def actor_name(user) -> str:
    """How a user appears in an order's history."""
    return f"{user.login} (admin)" if user.is_admin else user.login


# ----- inputs --------------------------------------------------------------------------------


def parse_quantity(value) -> int:
    """A whole number of units from 1 to ORDERS_MAX_QUANTITY, from a form string or JSON number."""
    most = current_app.config["ORDERS_MAX_QUANTITY"]
    quantity = _whole_number(value)
    if quantity is None or not 1 <= quantity <= most:
        raise OrderError(_("Enter a whole number of units from 1 to %(most)d.", most=most), field="quantity")
    return quantity


def parse_inventory_id(value) -> int:
    item_id = _whole_number(value)
    if item_id is None or item_id < 1:
        raise OrderError(_("Choose an item to order."), field="inventory_id")
    return item_id


def _whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    return None


# ----- errors in plain words -----------------------------------------------------------------


def short_of_stock(available: int | None) -> OrderError:
    if available is None:
        message = _("not enough left in stock")
    elif available <= 0:
        message = _("only 0 left: this item is sold out")
    else:
        message = ngettext("only %(num)d left", "only %(num)d left", available)
    return OrderError(message, status=409, code="insufficient_stock", field="quantity", available=available)


def short_for_change(available: int | None, current: int) -> OrderError:
    if available is None:
        return short_of_stock(None)
    more = max(available, 0)
    message = _("only %(more)d more left (this order can have at most %(most)d)", more=more, most=current + more)
    return OrderError(message, status=409, code="insufficient_stock", field="quantity", available=available)


def no_longer_sold() -> OrderError:
    return OrderError(NO_LONGER_SOLD, status=410, code="item_archived", field="inventory_id")


def unavailable(message: str = NOTHING_RESERVED) -> OrderError:
    return OrderError(message, status=503, code="inventory_unavailable")


def not_pending(order: Order) -> OrderError:
    return OrderError(
        _("This order is %(status)s; only pending orders can be changed or cancelled.", status=status_word(order)),
        status=409,
        code="not_pending",
    )


def status_word(order: Order) -> str:
    """The order's status as a word inside a sentence, in the reader's language: "paid"."""
    return str(STATUS_WORDS.get(order.status, order.status.lower()))


# ----- reading -------------------------------------------------------------------------------


def read_item(inventory_id, when_down=TRY_AGAIN) -> Item:
    """The item as inventory has it now, or an OrderError in words a customer understands."""
    item_id = parse_inventory_id(inventory_id)
    try:
        item = current_inventory().item(item_id)
    except ItemNotFound:
        raise OrderError(NO_SUCH_ITEM, field="inventory_id") from None
    except InventoryUnavailable:
        raise unavailable(when_down) from None
    if item.archived:
        raise no_longer_sold()
    return item


def quote(inventory_id, quantity) -> Quote:
    """Unit price x quantity for the item as it is sold now; errors as for placing the order."""
    return quote_for(read_item(inventory_id), quantity)


def quote_for(item: Item, quantity) -> Quote:
    quantity = parse_quantity(quantity)
    if quantity > item.quantity:
        raise short_of_stock(item.quantity)
    return Quote(item, quantity)


def order_for(user, order_id: int) -> Order | None:
    """The order if `user` may see it: their own placed order, or any order for an admin."""
    query = select(Order).where(Order.id == order_id)
    if not user.is_admin:
        query = query.where(Order.user_id == user.id, Order.hold_state.not_in(HIDDEN_HOLD_STATES))
    return db.session.scalar(query)


def list_orders(*, user_id: int | None, status: str | None, page: int, per_page: int) -> tuple[list[Order], int]:
    """Placed orders, newest first, of one user (or of everyone when user_id is None)."""
    query = select(Order).where(Order.hold_state.not_in(HIDDEN_HOLD_STATES))
    if user_id is not None:
        query = query.where(Order.user_id == user_id)
    if status:
        query = query.where(Order.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(Order.created_at.desc(), Order.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


# ----- step 1: place -------------------------------------------------------------------------


def place_order(user, inventory_id, quantity) -> Order:
    """Write the order Pending, hold its stock at inventory, then mark it held (or undo it all)."""
    item = read_item(inventory_id, when_down=NOTHING_RESERVED)
    quantity = quote_for(item, quantity).quantity  # nothing written yet: the hold re-checks the stock
    config = current_app.config
    now = utcnow()
    pay_by = now + timedelta(minutes=config["SHOP_PAYMENT_WINDOW_MINUTES"])
    order = Order(
        user_id=user.id,
        user_login=user.login,
        inventory_id=item.id,
        item_name=item.name,
        unit_price_cents=item.price_cents,
        quantity=quantity,
        total_cents=item.price_cents * quantity,
        currency=config["SHOP_CURRENCY"],
        status=PENDING,
        hold_state=REQUESTING,
        pay_by=pay_by,
        hold_expires_at=pay_by + timedelta(minutes=config["ORDERS_HOLD_MARGIN_MINUTES"]),
        created_at=now,
        updated_at=now,
    )
    with write_transaction(db, keep_loaded=True):
        db.session.add(order)
    order_id, key, expires_at = order.id, order.key, order.hold_expires_at  # as written: no reload
    try:
        hold = current_inventory().hold(key, item.id, quantity, expires_at)
    except InsufficientStock as error:
        _forget(order_id)
        raise short_of_stock(error.available) from None
    except ItemArchived:
        _forget(order_id)
        raise no_longer_sold() from None
    except ItemNotFound:
        _forget(order_id)
        raise OrderError(NO_SUCH_ITEM, field="inventory_id") from None
    except InventoryUnavailable:
        _give_up(order_id)  # it may have been held before the answer got lost
        placed = db.session.get(Order, order_id)
        if placed is not None and placed.hold_state == HELD:
            return placed  # a sweeper found the hold and placed the order meanwhile
        raise unavailable() from None
    except HoldConflict:
        hold = None  # the key is taken by another item or quantity
    if hold is None or not _is_hold_for(hold, item.id, quantity):
        # Not this order's hold (a key left from an orders database that was reset): keep off it.
        current_app.logger.error("inventory holds %s for another order: %s", key, hold)
        _forget(order_id)
        raise unavailable(_("the inventory service holds something else for this order; nothing was reserved"))
    fault_point("after_hold")
    if not _mark_held(order_id, actor_name(user)):
        _release_quietly(key)  # the sweeper gave up on this row already
        raise unavailable()
    return db.session.get(Order, order_id)


def fault_point(name: str) -> None:
    """Test-only crash between two saga steps (ORDERS_FAULT_AFTER_HOLD; only when SHOP_ENV=test)."""
    config = current_app.config
    if config.get("SHOP_ENV") != "test":
        return
    mode = config.get(f"ORDERS_FAULT_{name.upper()}")
    if mode == "exit":
        os._exit(1)  # the worker dies as if killed: no cleanup, no answer
    if mode == "raise":
        raise InjectedFault(name)


def _is_hold_for(hold, item_id: int, quantity: int) -> bool:
    return hold.state == HOLD_HELD and hold.item_id == item_id and hold.quantity == quantity


def _mark_held(order_id: int, actor: str) -> bool:
    """requesting -> held; False when the row is gone (someone gave up on it).

    The order stays loaded as committed, so the caller's answer needs no second read.
    """
    with write_transaction(db, keep_loaded=True):
        order = _locked(order_id)
        if order is None or order.hold_state not in (REQUESTING, HELD):
            return False
        if order.hold_state == REQUESTING:
            order.hold_state = HELD
            order.updated_at = utcnow()
            note = f"{order.quantity} × {order.item_name}; stock held"
            if actor == SWEEPER:
                note += " (the sweeper finished placing it)"
            _record(order, actor, "placed", None, PENDING, note)
    return True


def _forget(order_id: int) -> None:
    """Delete an order that was never placed (inventory holds nothing for it)."""
    with write_transaction(db):
        db.session.execute(
            delete(Order).where(Order.id == order_id, Order.hold_state.in_(HIDDEN_HOLD_STATES)),
            execution_options={"synchronize_session": False},
        )


def _give_up(order_id: int) -> bool:
    """Abandon an order that was not placed: claim it, release what inventory may hold, delete it.

    The claim (requesting -> abandoned) comes first, so a sweeper and the request that wrote the
    row never both act on it: whoever claims first decides. When inventory does not answer the
    release, the row stays `abandoned` (hidden) and the sweeper tries again. True when it is gone.
    """
    with write_transaction(db):
        order = _locked(order_id)
        if order is None:
            return True
        if order.hold_state not in HIDDEN_HOLD_STATES:
            return False  # placed meanwhile: it stands
        order.hold_state = ABANDONED
        order.updated_at = utcnow()
        key = order.key
    try:
        current_inventory().release(key)
    except (InventoryUnavailable, HoldConflict):
        return False
    _forget(order_id)
    return True


def _release_quietly(key: str) -> None:
    try:
        current_inventory().release(key)
    except (InventoryUnavailable, HoldConflict):
        current_app.logger.error("could not release %s; inventory's own sweeper will at its expiry", key)


# ----- step 5: edit --------------------------------------------------------------------------


def change_quantity(order: Order, quantity, actor: str, expected_version: int | None = None) -> Order:
    """Set a Pending order's quantity: the hold follows (more only if stock is free), total recomputed."""
    from orders_app import checkout  # builds on this module (see the module docstring)

    quantity = parse_quantity(quantity)
    order_id = order.id
    if quantity != order.quantity and order.status == PENDING:
        _check_version(order, expected_version)
        checkout.close_session(order_id, actor, "edit")  # the next Pay makes a link for the new total
    with write_transaction(db):
        order = _claim(order_id, expected_version)
        if quantity == order.quantity:
            return order
        old, key, item_id = order.quantity, order.key, order.inventory_id
        order.hold_state = ADJUSTING  # the claim: cancels and other edits wait for this one
        order.updated_at = utcnow()
    try:
        hold = current_inventory().change_hold(key, quantity=quantity)
    except InsufficientStock as error:
        _set_hold_state(order_id, ADJUSTING, HELD)
        raise short_for_change(error.available, old) from None
    except ItemArchived:
        _set_hold_state(order_id, ADJUSTING, HELD)
        raise no_longer_sold() from None
    except (InventoryUnavailable, HoldNotFound, HoldConflict):
        hold = None
    if hold is None or not _is_hold_for(hold, item_id, quantity):
        # Unknown whether inventory applied it: the order takes whatever inventory holds.
        settled = reconcile(order_id, actor)
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
        order = _locked(order_id)
        if order.hold_state == ADJUSTING:
            _apply_quantity(order, quantity, actor, "quantity_changed", None)
            order.hold_state = HELD
    return order


def reconcile(order_id: int, actor: str = SWEEPER) -> Order | None:
    """Settle an `adjusting` order with what inventory holds; None while inventory does not answer."""
    order = db.session.get(Order, order_id)
    if order is None:
        return None
    try:
        hold = current_inventory().get_hold(order.key)
    except InventoryUnavailable:
        return None
    with write_transaction(db):
        order = _locked(order_id)
        if order.hold_state != ADJUSTING:
            return order
        if hold is None or hold.state == HOLD_RELEASED:
            _cancel_in_place(order, SWEEPER, "inventory no longer holds the stock for this order")
            order.hold_state = RELEASED
        elif hold.state == HOLD_COMMITTED:
            order.hold_state = COMMITTED
            _flag(order, "inventory has this order's stock committed, but the order is not paid")
        else:
            if hold.quantity != order.quantity:
                _apply_quantity(order, hold.quantity, actor, "quantity_changed", "as inventory holds it")
            order.hold_state = HELD
    return order


def _apply_quantity(order: Order, quantity: int, actor: str, action: str, note: str | None) -> None:
    old = order.quantity
    order.quantity = quantity
    order.total_cents = order.unit_price_cents * quantity
    order.version += 1
    order.updated_at = utcnow()
    _record(order, actor, action, str(old), str(quantity), note)


# ----- step 4: cancel ------------------------------------------------------------------------


def cancel_order(order: Order, actor: str, note: str | None = None, expected_version: int | None = None) -> Order:
    """Cancel a Pending order and give its stock back (now, or through the sweeper if inventory is down).

    Its open Checkout Session is expired at Stripe first; if Stripe says it was paid, the payment
    is applied instead and the cancel refused.
    """
    from orders_app import checkout, payments  # they build on this module (see the module docstring)

    order_id = order.id
    if order.status == PENDING:
        _check_version(order, expected_version)
        checkout.close_session(order_id, actor, "cancel")
    with write_transaction(db):
        order = _claim(order_id, expected_version)
        _cancel_in_place(order, actor, note)
        order.hold_state = RELEASING
        if order.checkout_state == SESSION_COMPLETE and order.payment_intent and order.refund_state is None:
            order.refund_state = REFUND_DUE  # a payment the shop did not accept goes back
    payments.follow_up(order_id)
    return db.session.get(Order, order_id)


def release_hold(order_id: int) -> bool:
    """`releasing` (held stock) or `restocking` (sold stock of a refunded order) -> `released` once
    inventory has the stock back; False to try again later."""
    order = db.session.get(Order, order_id)
    if order is None or order.hold_state not in (RELEASING, RESTOCKING):
        return False
    state = order.hold_state
    try:
        current_inventory().release(order.key, restock=state == RESTOCKING)
    except InventoryUnavailable:
        return False
    except HoldConflict:
        with write_transaction(db):
            _flag(_locked(order_id), "inventory refused to release this order's stock")
        return False
    with write_transaction(db):
        order = _locked(order_id)
        if order.hold_state == state:
            order.hold_state = RELEASED
            order.updated_at = utcnow()
            was = COMMITTED if state == RESTOCKING else HELD
            _record(order, "inventory", "stock_released", was, RELEASED, f"{order.quantity} back in stock")
    return True


def _cancel_in_place(order: Order, actor: str, note: str | None) -> None:
    now = utcnow()
    order.status = CANCELLED
    order.cancelled_at = now
    order.updated_at = now
    order.version += 1
    _record(order, actor, "cancelled", PENDING, CANCELLED, note)
    notices.order_cancelled(order)  # in the cancelling transaction, once per order


# ----- the sweeper ---------------------------------------------------------------------------


def sweep(now: datetime | None = None, stale_seconds: int | None = None, batch: int = 100) -> dict:
    """Finish what requests left halfway, and cancel Pending orders past their hold deadline.

    - `requesting` older than ORDERS_STALE_SECONDS: inventory holds it -> placed; else released
      (if anything) and deleted;
    - `abandoned`: released, then deleted;
    - `adjusting` older than ORDERS_STALE_SECONDS: takes the quantity inventory holds;
    - `releasing` / `restocking`: released;
    - Pending and `held` past `hold_expires_at`: cancelled (its Checkout Session expired first) and
      released; not while a boleto awaits payment.
    Every step is a conditional change of one row plus idempotent calls, so two sweepers at once
    (or a sweeper racing a request) do no harm. Returns counts of what it did.
    """
    now = now or utcnow()
    if stale_seconds is None:
        stale_seconds = current_app.config["ORDERS_STALE_SECONDS"]
    stale = now - timedelta(seconds=stale_seconds)
    done: Counter = Counter()
    for order_id in _ids(Order.hold_state == REQUESTING, Order.created_at <= stale, batch=batch):
        done[_finish_requesting(order_id)] += 1
    for order_id in _ids(Order.hold_state == ABANDONED, batch=batch):
        done["deleted" if _give_up(order_id) else "skipped"] += 1
    for order_id in _ids(Order.hold_state == ADJUSTING, Order.updated_at <= stale, batch=batch):
        done["reconciled" if reconcile(order_id) else "skipped"] += 1
    for order_id in _ids(Order.hold_state.in_((RELEASING, RESTOCKING)), batch=batch):
        done["released" if release_hold(order_id) else "skipped"] += 1
    # A boleto in hand keeps its order until Stripe says it settled or lapsed (payments.reconcile).
    not_awaiting = or_(Order.checkout_state.is_(None), Order.checkout_state != SESSION_PROCESSING)
    overdue = (Order.status == PENDING, Order.hold_state == HELD, Order.hold_expires_at <= now, not_awaiting)
    for order_id in _ids(*overdue, batch=batch):
        try:
            cancel_order(db.session.get(Order, order_id), SWEEPER, "Not paid in time: the hold expired")
        except OrderError:
            done["skipped"] += 1  # a customer or another sweeper got there first
        else:
            done["expired"] += 1
    return {name: count for name, count in done.items() if count}


def _finish_requesting(order_id: int) -> str:
    order = db.session.get(Order, order_id)
    if order is None or order.hold_state != REQUESTING:
        return "skipped"
    try:
        hold = current_inventory().get_hold(order.key)
    except InventoryUnavailable:
        return "skipped"
    if hold is not None and _is_hold_for(hold, order.inventory_id, order.quantity):
        return "placed" if _mark_held(order_id, SWEEPER) else "skipped"
    if hold is not None and hold.state == HOLD_HELD:
        _forget(order_id)  # inventory holds something else under this key: not ours to release
        return "deleted"
    return "deleted" if _give_up(order_id) else "skipped"


def _ids(*conditions, batch: int) -> list[int]:
    return list(db.session.scalars(select(Order.id).where(*conditions).order_by(Order.id).limit(batch)))


# ----- shared steps --------------------------------------------------------------------------


_LOCKED = (
    select(Order).where(Order.id == bindparam("order_id")).with_for_update().execution_options(populate_existing=True)
)


def _locked(order_id: int) -> Order | None:
    """The row, read inside write_transaction (FOR UPDATE where the database has row locks)."""
    return db.session.scalar(_LOCKED, {"order_id": order_id})


def _check_version(order: Order, expected_version: int | None) -> None:
    """The version the customer saw, checked before anything is asked of Stripe (and again in the claim)."""
    if expected_version is not None and expected_version != order.version:
        raise OrderError(CHANGED_MEANWHILE, status=409, code="conflict")


def _claim(order_id: int, expected_version: int | None) -> Order:
    """The order, checked to be changeable, inside the caller's write transaction."""
    order = _locked(order_id)
    if order is None:
        raise OrderError(NO_SUCH_ORDER, status=404, code="not_found")
    if order.status != PENDING:
        raise not_pending(order)
    if order.hold_state != HELD:
        raise OrderError(BUSY, status=409, code="conflict")
    if expected_version is not None and expected_version != order.version:
        raise OrderError(CHANGED_MEANWHILE, status=409, code="conflict")
    return order


def _set_hold_state(order_id: int, expected: str, new: str) -> None:
    with write_transaction(db):
        order = _locked(order_id)
        if order is not None and order.hold_state == expected:
            order.hold_state = new
            order.updated_at = utcnow()


def resolve_attention(order_id: int, actor: str) -> tuple[Order | None, bool]:
    """An admin has dealt with a flagged order: the flag goes, the history keeps why it was raised.

    (order, resolved): (None, False) when there is no such order; an order that is not flagged (any
    more: another admin was first) is left as it is.
    """
    with write_transaction(db, keep_loaded=True):
        order = _locked(order_id)
        if order is None or not order.needs_attention:
            return order, False
        reason = order.attention_reason
        order.needs_attention = False
        order.attention_reason = None
        order.updated_at = utcnow()
        _record(order, actor, "attention_resolved", None, None, reason)
    return order, True


def _flag(order: Order, reason: str) -> None:
    order.needs_attention = True
    order.attention_reason = reason
    order.updated_at = utcnow()
    current_app.logger.error("order %s needs attention: %s", order.id, reason)


def _record(order: Order, actor: str, action: str, from_value, to_value, note: str | None) -> None:
    db.session.add(
        OrderEvent(order=order, actor=actor, action=action, from_value=from_value, to_value=to_value, note=note)
    )
