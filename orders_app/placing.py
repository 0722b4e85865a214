"""Step 1 of the saga (DESIGN "Stock and payment"): place an order, and the quote the order form shows.

The row is written Pending with `hold_state=requesting` (hidden from every list) before inventory
is asked to hold; then marked `held`, or deleted when inventory says no. A request that dies
halfway leaves a `requesting` or `abandoned` row that the sweeper (jobs.sweep) finishes with
`finish_requesting` / `give_up` from what inventory says.
"""

import os
import re
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Integer, bindparam, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from orders_app import history, idempotency, states, store
from orders_app.clients.inventory import (
    HOLD_HELD,
    HoldConflict,
    InsufficientStock,
    InventoryUnavailable,
    Item,
    ItemArchived,
    ItemNotFound,
    PriceChanged,
    current_inventory,
)
from orders_app.errors import (
    ACCOUNT_DELETED,
    NO_SUCH_ITEM,
    NOTHING_RESERVED,
    TRY_AGAIN,
    InjectedFault,
    OrderError,
    no_longer_sold,
    not_as_shown,
    prices_changed,
    short_lines,
    short_of_stock,
    too_large,
    too_small,
    too_small_alone,
    unavailable,
)
from orders_app.extensions import db
from orders_app.models import (
    ABANDONED,
    HELD,
    HIDDEN_HOLD_STATES,
    PENDING,
    REQUESTING,
    ErasedCustomer,
    Order,
    OrderLine,
    lines_summary,
    utcnow,
)
from orders_app.store import SWEEPER
from shared_ui.db import write_transaction

WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class Quote:
    item: Item
    quantity: int

    @property
    def total_cents(self) -> int:
        return self.item.price_cents * self.quantity


# ----- inputs --------------------------------------------------------------------------------


def parse_quantity(value, *, allow_zero: bool = False) -> int:
    """A whole number of units from 1 (0 where it removes a line) to ORDERS_MAX_QUANTITY, from a form
    string or JSON number."""
    least, most = (0 if allow_zero else 1), current_app.config["ORDERS_MAX_QUANTITY"]
    quantity = _whole_number(value)
    if quantity is None or not least <= quantity <= most:
        message = _("Enter a whole number of units from %(least)d to %(most)d.", least=least, most=most)
        raise OrderError(message, field="quantity")
    return quantity


def parse_inventory_id(value) -> int:
    item_id = _whole_number(value)
    if item_id is None or item_id < 1:
        raise OrderError(_("Choose an item to order."), field="inventory_id")
    return item_id


def parse_lines(lines) -> list[tuple[int, int]]:
    """[(item id, quantity)] from [{"inventory_id", "quantity"}] or (id, quantity) pairs: 1 to
    ORDERS_MAX_LINES lines, one per item (an item named twice has its quantities added)."""
    most = current_app.config["ORDERS_MAX_LINES"]
    if not isinstance(lines, list | tuple) or not 1 <= len(lines) <= most:
        raise OrderError(_("An order has from 1 to %(most)d lines.", most=most), field="lines")
    summed: dict[int, int] = {}
    for line in lines:
        if isinstance(line, dict):
            item_id, quantity = line.get("inventory_id"), line.get("quantity")
        elif isinstance(line, list | tuple) and len(line) == 2:
            item_id, quantity = line
        else:
            raise OrderError(_("Each line names an item and a quantity."), field="lines")
        item_id = parse_inventory_id(item_id)
        summed[item_id] = summed.get(item_id, 0) + parse_quantity(quantity)
    for quantity in summed.values():
        parse_quantity(quantity)  # the sum of an item named twice is a quantity too
    return list(summed.items())


def _whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    return None


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


def read_items(item_ids: list[int], when_down=TRY_AGAIN) -> list[Item]:
    """The items of an order's lines as inventory has them now, in one call; errors as read_item's."""
    try:
        found = current_inventory().items_by_id(item_ids)
    except InventoryUnavailable:
        raise unavailable(when_down) from None
    if any(item_id not in found for item_id in item_ids):
        raise OrderError(NO_SUCH_ITEM, field="inventory_id")
    if any(found[item_id].archived for item_id in item_ids):
        raise no_longer_sold()
    return [found[item_id] for item_id in item_ids]


def quote(inventory_id, quantity) -> Quote:
    """Unit price x quantity for the item as it is sold now; errors as for placing the order."""
    return quote_for(read_item(inventory_id), quantity)


def quote_for(item: Item, quantity) -> Quote:
    quantity = parse_quantity(quantity)
    if quantity > item.quantity:
        raise short_of_stock(item.quantity)
    quoted = Quote(item, quantity)
    currency = current_app.config["SHOP_CURRENCY"]
    if states.missing_for_minimum(quoted.total_cents, currency):
        raise too_small_alone(item.price_cents, quoted.total_cents, currency)
    if states.over_maximum(quoted.total_cents):
        raise too_large(currency, field="quantity")
    return quoted


# ----- step 1: place -------------------------------------------------------------------------


class RecentItems:
    """The items as inventory answered them for the orders of the last ORDERS_RECENT_ITEMS_SECONDS,
    kept per app (per worker process).

    An order is written with these names and prices and the hold sends the prices: inventory holds
    nothing when one is not the item's price now (409 price_changed), and the order is placed again
    from a fresh read. Stock, archiving and existence are the hold's to check in any case; so an
    order costs one call to inventory, not two, while the items it names were read a moment ago.
    """

    #: at most this many items are kept (a shop's busy items; the rest are read again)
    MOST = 4096

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.items: dict[int, tuple[Item, float]] = {}

    def get(self, item_ids: list[int]) -> list[Item] | None:
        """The items, when every one of them was read in the last `seconds`; else None."""
        oldest = time.monotonic() - self.seconds
        found = []
        for item_id in item_ids:
            item, read_at = self.items.get(item_id, (None, 0.0))
            if item is None or read_at < oldest:
                return None
            found.append(item)
        return found

    def put(self, items: list[Item]) -> None:
        if len(self.items) + len(items) > self.MOST:
            self.items.clear()
        now = time.monotonic()
        self.items.update((item.id, (item, now)) for item in items)

    def forget(self, item_ids) -> None:
        for item_id in item_ids:
            self.items.pop(item_id, None)


def recent_items() -> RecentItems:
    extensions = current_app.extensions
    if "orders_recent_items" not in extensions:
        extensions["orders_recent_items"] = RecentItems(current_app.config["ORDERS_RECENT_ITEMS_SECONDS"])
    return extensions["orders_recent_items"]


def _items_to_order(wanted: list[tuple[int, int]]) -> list[Item]:
    """The items of the order's lines: RecentItems' copy, or read now (and kept). A copy that says
    an item is short is not taken at its word: the items are read again."""
    item_ids = [item_id for item_id, _ in wanted]
    recent = recent_items()
    items = recent.get(item_ids) if recent.seconds > 0 else None
    if items is not None and all(quantity <= item.quantity for item, (_, quantity) in zip(items, wanted, strict=True)):
        return items
    items = read_items(item_ids, when_down=NOTHING_RESERVED)
    recent.put(items)
    return items


def place_order(
    user, lines, shown_prices: dict[int, int] | None = None, idempotency_key: idempotency.Key | None = None
) -> Order:
    """Place an order of `lines` ([{"inventory_id", "quantity"}] or (id, quantity) pairs): written
    Pending, every line's stock held at inventory (all or none) at the prices it was written with,
    then marked held; or nothing at all.

    The use case the order form, the API and the cart all call; the order is returned held.
    `shown_prices` ({item id: cents}, the order form's): the prices the customer's page showed; an
    item whose price is another now is not ordered (409 `price_changed`, naming today's price).
    `idempotency_key` (the API's): written with the order (idempotency.py); a twin request that
    wrote it first makes this one raise IntegrityError, with nothing written.
    """
    wanted = parse_lines(lines)
    try:
        return _place(user, wanted, shown_prices, idempotency_key)
    except (PriceChanged, _NotAsShown):
        # Written with a price inventory no longer has, or read one the page did not show
        # (RecentItems' copy, or a change between the read and the hold): nothing was held and the
        # row is gone. Once more, from a fresh read.
        recent_items().forget(item_id for item_id, _ in wanted)
    try:
        return _place(user, wanted, shown_prices, idempotency_key)
    except PriceChanged:
        raise prices_changed() from None  # changed again between a fresh read and the hold
    except _NotAsShown as error:
        raise not_as_shown([(item.name, item.price_cents) for item in error.items]) from None


def place_order_once(user, lines, key: idempotency.Key | None) -> tuple[Order, bool]:
    """place_order under the API's `Idempotency-Key`: (the order, whether it is the one an earlier
    request with this key placed, answered again instead of placing another)."""
    if key is None:
        return place_order(user, lines), False
    order = idempotency.placed_before(user.id, key)
    if order is not None:
        return order, True
    try:
        return place_order(user, lines, idempotency_key=key), False
    except (IntegrityError, OrderError):
        # A twin request with this key (a retry sent while the first still runs) wrote its order
        # first: this one's key write failed, or its checks met the twin's order (the Pending limit,
        # the stock the twin holds); nothing of this one stayed. Answer the twin's order.
        order = idempotency.placed_before(user.id, key)
        if order is None:
            raise
        return order, True


class _NotAsShown(Exception):
    """Items whose price is not the one the customer's page showed."""

    def __init__(self, items: list[Item]):
        super().__init__("price not as shown")
        self.items = items


def _place(
    user,
    wanted: list[tuple[int, int]],
    shown_prices: dict[int, int] | None = None,
    idempotency_key: idempotency.Key | None = None,
) -> Order:
    items = _items_to_order(wanted)
    if shown_prices:
        changed = [item for item in items if shown_prices.get(item.id, item.price_cents) != item.price_cents]
        if changed:  # nothing written yet; the hold checks that these prices are still inventory's
            raise _NotAsShown(changed)
    short = [
        (item.id, item.name, item.quantity)
        for item, (_, quantity) in zip(items, wanted, strict=True)
        if quantity > item.quantity
    ]
    if short:  # nothing written yet: the hold re-checks the stock
        raise short_lines(short, one_line=len(wanted) == 1)
    currency = current_app.config["SHOP_CURRENCY"]
    total = sum(item.price_cents * quantity for item, (_, quantity) in zip(items, wanted, strict=True))
    field = "quantity" if len(wanted) == 1 else "lines"
    if states.missing_for_minimum(total, currency):  # Stripe would never charge it: hold nothing, write nothing
        if len(wanted) == 1:
            raise too_small_alone(items[0].price_cents, total, currency)
        raise too_small(total, currency, field=field)
    if states.over_maximum(total):
        raise too_large(currency, field=field)
    names = {item.id: item.name for item in items}
    config = current_app.config
    now = utcnow()
    pay_by = now + timedelta(minutes=config["SHOP_PAYMENT_WINDOW_MINUTES"])
    order = Order(
        user_id=user.id,
        user_login=user.login,
        currency=currency,
        status=PENDING,
        hold_state=REQUESTING,
        pay_by=pay_by,
        hold_expires_at=pay_by + timedelta(minutes=config["ORDERS_HOLD_MARGIN_MINUTES"]),
        created_at=now,
        updated_at=now,
    )
    order.set_lines(
        [
            OrderLine(inventory_id=item.id, item_name=item.name, unit_price_cents=item.price_cents, quantity=quantity)
            for item, (_, quantity) in zip(items, wanted, strict=True)
        ]
    )
    with write_transaction(db):
        store.lock_customer(user.id)
        _check_customer(user)  # under the customer's lock, so two places at once count each other
        store.insert_new(order)
        if idempotency_key is not None:
            idempotency.write(user.id, idempotency_key, order.id)
    # The order (and its lines) as written, out of the session while the saga goes on, so the
    # commits below do not expire it: once marked held, the answer is these values plus the two
    # that changed.
    order_id, key, expires_at = order.id, order.key, order.hold_expires_at
    try:
        hold = current_inventory().hold(
            key, dict(wanted), expires_at, prices={item.id: item.price_cents for item in items}
        )
    except PriceChanged:
        store.forget(order_id)
        raise
    except InsufficientStock as error:
        store.forget(order_id)
        short = error.short or {wanted[0][0]: error.available}
        named = [(item_id, names.get(item_id, str(item_id)), left) for item_id, left in short.items()]
        raise short_lines(named, one_line=len(wanted) == 1) from None
    except ItemArchived:
        store.forget(order_id)
        raise no_longer_sold() from None
    except ItemNotFound:
        store.forget(order_id)
        raise OrderError(NO_SUCH_ITEM, field="inventory_id") from None
    except InventoryUnavailable:
        give_up(order_id)  # it may have been held before the answer got lost
        placed = db.session.get(Order, order_id)
        if placed is not None and placed.hold_state == HELD:
            return placed  # a sweeper found the hold and placed the order meanwhile
        raise unavailable() from None
    except HoldConflict:
        hold = None  # the key is taken by another item or quantity
    if hold is None or not hold.is_for(dict(wanted)):
        # Not this order's hold (a key left from an orders database that was reset): keep off it.
        current_app.logger.error("inventory holds %s for another order: %s", key, hold)
        store.forget(order_id)
        raise unavailable(_("the inventory service holds something else for this order; nothing was reserved"))
    fault_point("after_hold")
    marked_at = _mark_held(order_id, store.actor_name(user), order.summary)
    if marked_at is None:
        _release_quietly(key)  # the sweeper gave up on this row already
        raise unavailable()
    if marked_at is ALREADY_HELD:
        return db.session.get(Order, order_id)  # a sweeper placed it meanwhile: read as it wrote it
    set_committed_value(order, "hold_state", HELD)
    set_committed_value(order, "updated_at", marked_at)
    db.session.add(order)  # persistent again, as committed: no flush, no read
    return order


def _check_customer(user) -> None:
    """No order for an account deleted a moment ago (its login still passes here for a few seconds:
    models.ErasedCustomer), and at most SHOP_MAX_PENDING_ORDERS Pending orders per customer, so no one keeps
    stock from everyone. One statement answers both."""
    most = current_app.config["SHOP_MAX_PENDING_ORDERS"]
    since = utcnow() - store.ERASING
    # On the session's connection: a Core statement of table columns, no ORM execution step.
    found = db.session.connection().execute(_CUSTOMER_CHECK, {"user_id": user.id, "most": most, "since": since})
    pending, erased = found.one()
    if erased:
        raise OrderError(ACCOUNT_DELETED, status=401, code="unauthorized")
    if pending >= most:
        message = ngettext(
            "You have %(num)d pending order: pay or cancel it before placing another.",
            "You have %(num)d pending orders: pay or cancel one before placing another.",
            pending,
        )
        raise OrderError(message, status=409, code="too_many_pending")


# The Pending orders are counted up to the limit only, from the index (user_id, status, hold_state)
# alone: a customer's past orders cost nothing, and no order's row is read. The erasure is one
# primary-key lookup. Built once: building and keying the statement cost more than SQLite takes to run it.
_ORDERS, _ORDER_LINES, _ERASED = Order.__table__, OrderLine.__table__, ErasedCustomer.__table__
_PENDING_COUNT = select(func.count()).select_from(
    select(_ORDERS.c.id)
    .where(_ORDERS.c.user_id == bindparam("user_id"), _ORDERS.c.status == PENDING, _ORDERS.c.hold_state != ABANDONED)
    .limit(bindparam("most", type_=Integer))
    .subquery()
)
_CUSTOMER_CHECK = select(
    _PENDING_COUNT.scalar_subquery(),
    exists().where(_ERASED.c.user_id == bindparam("user_id"), _ERASED.c.erased_at >= bindparam("since")),
)


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


def mark_held(order_id: int, actor: str, summary: str | None = None) -> bool:
    """requesting -> held, recorded in the order's history; False when the row is gone or no longer
    requesting (someone gave up on it). `summary` is the order's (read from its lines when None)."""
    return _mark_held(order_id, actor, summary) is not None


#: what _mark_held answers when the order was held already
ALREADY_HELD = object()


def _mark_held(order_id: int, actor: str, summary: str | None):
    """mark_held: when it is this call that marked it, the `updated_at` written; ALREADY_HELD; or None.

    One conditional UPDATE under the write lock (on PostgreSQL it locks the row and re-checks the
    state) and the history row: no ORM load of the order and its lines.
    """
    with write_transaction(db):
        # On the session's connection: through Session.execute an UPDATE goes through the ORM's
        # bulk-update step, which cost more than the statement. No loaded order is synchronised.
        connection = db.session.connection()
        now = utcnow()
        marked = connection.execute(_MARK_HELD, {"order_id": order_id, "now": now})
        if marked.rowcount != 1:
            state = connection.execute(_HOLD_STATE, {"order_id": order_id}).scalar()
            return ALREADY_HELD if state == HELD else None
        if summary is None:
            lines = connection.execute(_LINES, {"order_id": order_id})
            summary = lines_summary(lines)
        if actor == SWEEPER:
            note = history.note("%(lines)s; stock held (the sweeper finished placing it)", lines=summary)
        else:
            note = history.note("%(lines)s; stock held", lines=summary)
        store.record_for(order_id, actor, "placed", None, PENDING, note)
    return now


_MARK_HELD = (
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("order_id"), _ORDERS.c.hold_state == REQUESTING)
    .values(hold_state=HELD, updated_at=bindparam("now"))
)
_HOLD_STATE = select(_ORDERS.c.hold_state).where(_ORDERS.c.id == bindparam("order_id"))
_LINES = (
    select(_ORDER_LINES.c.quantity, _ORDER_LINES.c.item_name)
    .where(_ORDER_LINES.c.order_id == bindparam("order_id"))
    .order_by(_ORDER_LINES.c.position)
)


def give_up(order_id: int) -> bool:
    """Abandon an order that was not placed: claim it, release what inventory may hold, delete it.

    The claim (requesting -> abandoned) comes first, so a sweeper and the request that wrote the
    row never both act on it: whoever claims first decides. When inventory does not answer the
    release, the row stays `abandoned` (hidden) and the sweeper tries again. True when it is gone.
    """
    with write_transaction(db):
        order = store.locked(order_id)
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
    store.forget(order_id)
    return True


def _release_quietly(key: str) -> None:
    try:
        current_inventory().release(key)
    except (InventoryUnavailable, HoldConflict):
        current_app.logger.error("could not release %s; inventory's own sweeper will at its expiry", key)


def finish_requesting(order_id: int) -> str:
    order = db.session.get(Order, order_id)
    if order is None or order.hold_state != REQUESTING:
        return "skipped"
    try:
        hold = current_inventory().get_hold(order.key)
    except InventoryUnavailable:
        return "skipped"
    if hold is not None and hold.is_for(order.line_quantities):
        return "placed" if mark_held(order_id, SWEEPER) else "skipped"
    if hold is not None and hold.state == HOLD_HELD:
        store.forget(order_id)  # inventory holds something else under this key: not ours to release
        return "deleted"
    return "deleted" if give_up(order_id) else "skipped"
