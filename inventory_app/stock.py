"""The stock rules: holds, commits, releases, the sweeper and admin adjustments, in one place.

Stock on hand (`Item.quantity`) changes only through `_take` and `_give`: one conditional
UPDATE (`... WHERE quantity >= n`, checked by the row it returns) inside the caller's write
transaction, with a `stock_movements` row written in the same transaction. So stock never goes
below zero whatever the concurrency (the CHECK constraint would refuse it anyway), and a movement
exists exactly when stock moved.

A reservation holds lines, one per item (lines naming one item are summed first). Every rule moves
all of a reservation's lines in ascending item id, so two reservations never wait on each other's
rows in opposite orders (no deadlock on PostgreSQL), and all or none: a line that cannot be had is
noted, the others are still tried so that the error names every short line, and raising rolls the
whole transaction back. A short line's `available` is the free units on hand, beyond what the
reservation already holds.

Every call on a reservation is idempotent by its key: the reservation row (unique key) is the
record of what was done, so a repeated call finds it and answers from it without moving stock
again. On SQLite the write transaction begins IMMEDIATE, so two calls with one key run one after
the other; elsewhere the unique key turns the second insert into an IntegrityError, answered the
same way.
"""

from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from inventory_app.extensions import db
from inventory_app.models import (
    COMMITTED,
    HELD,
    RELEASED,
    Item,
    Reservation,
    ReservationLine,
    StockMovement,
    utcnow,
)
from shared_ui.db import write_transaction

# Why stock moved (StockMovement.reason).
CREATED, ADJUSTED, SEEDED = "created", "adjusted", "seeded"
HOLD, HOLD_INCREASED, HOLD_DECREASED = "held", "hold_increased", "hold_decreased"
HOLD_RELEASED, HOLD_EXPIRED, RETAKEN, RESTOCKED = "released", "expired", "retaken", "restocked"

#: {item id: units}: what a reservation holds, one entry per item
Units = dict[int, int]


class StockError(Exception):
    """A stock rule said no; `status` and `code` are how the APIs answer it.

    `short` lists every line that could not be had, `[(item_id, available)]`; `available` is the
    one short item's count when the request named one item (the one-item API's field); `item_id`
    names the item a 404 or 410 is about.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        available: int | None = None,
        short: list[tuple[int, int]] | None = None,
        item_id: int | None = None,
        prices: dict[int, int] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.available = available
        self.short = short
        self.item_id = item_id
        #: {item id: its price in cents now} of the lines whose quoted price is not the item's (409 price_changed)
        self.prices = prices
        #: every line it names showed enough when it was read back: units came back meanwhile
        #: (another transaction's release, seen under READ COMMITTED), so trying again may succeed
        self.moved = False


def summed(lines: Iterable[tuple[int, int]]) -> Units:
    """Lines naming the same item as one line of their total, in ascending item id."""
    units: Units = {}
    for item_id, quantity in lines:
        units[item_id] = units.get(item_id, 0) + quantity
    return dict(sorted(units.items()))


# --- holds (orders_app, through the internal API) -------------------------------------------------


def hold(
    key: str,
    lines: Iterable[tuple[int, int]],
    expires_at: datetime,
    *,
    actor: str = "service",
    prices: dict[int, int] | None = None,
):
    """Hold every line's units under `key` until `expires_at` (naive UTC): all lines or none.

    `prices` ({item id: cents}, some lines or all) are the prices the caller quoted: when an item's
    price is another now, nothing is held (409 `price_changed`, naming each such item's price now).
    Returns (reservation, created). A key that exists already returns its reservation as it is
    now, with created=False, when it holds the same units; else `key_conflict`.
    """
    units = summed(lines)
    return _again_if_moved(lambda: _hold_once(key, units, expires_at, actor, prices or {}))


def _again_if_moved(rule):
    """Run a rule; once more when it was refused only because stock moved while it ran."""
    try:
        return rule()
    except StockError as error:
        if not error.moved:
            raise
    return rule()


def _hold_once(key: str, units: Units, expires_at: datetime, actor: str, prices: dict[int, int]):
    try:
        with write_transaction(db, keep_loaded=True):  # the answer is built from these rows: no reload
            if _on_stock(_KEY_TAKEN, {"key": key}).first() is not None:
                return _same_hold(_find(key), units), False
            taken = _take_all(units, reason=HOLD, key=key, actor=actor)
            if changed := {
                item_id: taken[item_id] for item_id, quoted in prices.items() if taken.get(item_id, quoted) != quoted
            }:
                raise _price_changed(changed)  # rolled back: nothing taken
            reservation = _insert_reservation(key, units, expires_at)
        return reservation, True
    except IntegrityError:
        # Another transaction inserted this key first (databases without BEGIN IMMEDIATE).
        existing = _find(key, lock=False)
        if existing is None:
            raise
        return _same_hold(existing, units), False


def _insert_reservation(key: str, units: Units, expires_at: datetime) -> Reservation:
    """Write a held reservation and its lines (plain INSERTs: the unit of work cost a third of a hold);
    the answer is the reservation as written, outside the session."""
    connection = db.session.connection()
    reservation_id = connection.execute(
        _INSERT_RESERVATION, {"key": key, "state": HELD, "expires_at": expires_at}
    ).scalar_one()
    rows = [{"reservation_id": reservation_id, "item_id": item_id, "quantity": n} for item_id, n in units.items()]
    connection.execute(_INSERT_LINE, rows)
    reservation = Reservation(id=reservation_id, key=key, state=HELD, expires_at=expires_at)
    reservation.lines = [ReservationLine(**row) for row in rows]
    return reservation


def change_hold(
    key: str,
    *,
    lines: Iterable[tuple[int, int]] | None = None,
    quantity: int | None = None,
    expires_at: datetime | None = None,
    actor: str = "service",
    prices: dict[int, int] | None = None,
) -> Reservation:
    """Set a hold's lines and/or deadline to these absolute values: all lines or none.

    More of an item takes the difference, less or a line left out gives it back. `quantity` is the
    one-item form: the new quantity of a reservation's only line. `prices` ({item id: cents}) are
    the prices the caller's order has: more of an item whose price is another now is not taken
    (409 `price_changed`, nothing changed); less of it always may be.
    """
    return _again_if_moved(lambda: _change_once(key, lines, quantity, expires_at, actor, prices or {}))


def _change_once(key, lines, quantity, expires_at, actor, prices) -> Reservation:
    with write_transaction(db):
        reservation = _get(key)
        units = summed(lines) if lines is not None else None
        if quantity is not None:
            units = _one_line(reservation, quantity)
        if units is not None and units != reservation.units():
            if reservation.state != HELD:
                raise StockError(409, "hold_not_held", f"This hold is {reservation.state}; its lines are fixed.")
            _move_to(reservation, units, key=key, actor=actor, prices=prices)
        if expires_at is not None and reservation.state == HELD:
            reservation.expires_at = expires_at
    return reservation


def commit(key: str, *, actor: str = "service") -> Reservation:
    """held -> committed (sold). A released hold takes its units again if they are all on hand."""
    with write_transaction(db):
        reservation = _get(key)
        if reservation.state == RELEASED:
            # A payment arrived after the hold lapsed: sell the units if they are still there,
            # even when an item was archived meanwhile (the customer has paid).
            _take_all(reservation.units(), reason=RETAKEN, key=key, actor=actor, archived=True)
        if reservation.state != COMMITTED:
            reservation.state = COMMITTED
    return reservation


def release(key: str, *, restock: bool = False, actor: str = "service") -> Reservation:
    """held -> released, every line's units back on hand; a committed hold only with `restock` (a refund).

    An unknown key is a 404, and spent: orders_app releases a key when it gave up waiting for its
    hold, and a hold still on its way (slow on a busy database) must then take nothing when it comes,
    since no order will pay for it. The key is written released, with no lines."""
    try:
        return _release_once(key, restock, actor)
    except IntegrityError:
        return _release_once(key, restock, actor)  # its hold was written at the same moment: release that


def _release_once(key: str, restock: bool, actor: str) -> Reservation:
    with write_transaction(db):
        reservation = _find(key)
        if reservation is None:
            spent = {"key": key, "state": RELEASED, "expires_at": utcnow()}
            db.session.connection().execute(_INSERT_RESERVATION, spent)
        elif reservation.lines:
            if reservation.state == COMMITTED and not restock:
                raise StockError(409, "hold_committed", "This hold is sold; release it with restock: true to restock.")
            if reservation.state != RELEASED:
                reason = RESTOCKED if reservation.state == COMMITTED else HOLD_RELEASED
                _give_all(reservation.units(), reason=reason, key=key, actor=actor)
                reservation.state = RELEASED
            return reservation
    raise _no_hold(key)


def find_reservation(key: str) -> Reservation | None:
    """The reservation under `key`; None when there is none (or only its key, released before any hold)."""
    reservation = _find(key, lock=False)
    return reservation if reservation is not None and reservation.lines else None


def sweep_expired(now: datetime | None = None, limit: int = 500) -> int:
    """Release held reservations past their deadline (every line); how many. Safe when two sweepers run at once."""
    now = now or utcnow()
    overdue = select(Reservation.id).where(Reservation.state == HELD, Reservation.expires_at <= now).limit(1)
    if db.session.scalar(overdue) is None:
        return 0  # the usual case: a plain read, so the sweeper never queues behind buyers for nothing
    with write_transaction(db):
        expired = db.session.scalars(
            select(Reservation)
            .where(Reservation.state == HELD, Reservation.expires_at <= now)
            .order_by(Reservation.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for reservation in expired:
            _give_all(reservation.units(), reason=HOLD_EXPIRED, key=reservation.key, actor="sweeper")
            reservation.state = RELEASED
    return len(expired)


# --- admin adjustments (inside the caller's write transaction) ------------------------------------


def adjust_on_hand(item_id: int, quantity: int, *, expected: int | None, actor: str) -> None:
    """Set the units on hand to `quantity`; with `expected`, only if stock has not moved since.

    Must run inside `write_transaction`. Raises `quantity_changed` (409) when it has moved.
    """
    current = db.session.scalar(select(Item.quantity).where(Item.id == item_id))
    if expected is not None and current != expected:
        raise StockError(
            409,
            "quantity_changed",
            _("The stock changed to %(num)d since you read it; check it and try again.", num=current),
            available=current,
        )
    if quantity == current:
        return
    moved = db.session.execute(
        update(Item)
        .where(Item.id == item_id, Item.quantity == current)
        .values(quantity=quantity)
        .returning(Item.quantity)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if moved is None:  # only without BEGIN IMMEDIATE: someone moved it between our read and write
        raise StockError(409, "quantity_changed", _("The stock changed while saving; check it and try again."))
    record(item_id, quantity - current, quantity, ADJUSTED, actor=actor)


def record(item_id: int, delta: int, quantity_after: int, reason: str, *, key: str | None = None, actor=None):
    """Write the movement row for a change of stock on hand (inside the caller's transaction)."""
    db.session.add(
        StockMovement(item_id=item_id, delta=delta, quantity_after=quantity_after, reason=reason, key=key, actor=actor)
    )


# --- reading ------------------------------------------------------------------------------------


def held_by_item(item_ids: Iterable[int]) -> dict[int, int]:
    """{item id: units held by pending orders} for these items (absent: none)."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ReservationLine.item_id, func.sum(ReservationLine.quantity))
        .join(Reservation)
        .where(Reservation.state == HELD, ReservationLine.item_id.in_(ids))
        .group_by(ReservationLine.item_id)
    )
    return {item_id: int(total) for item_id, total in rows}


def held_units():
    """A subquery of (item_id, units) held by pending orders, per item (the admin table sorts by it)."""
    return (
        select(ReservationLine.item_id, func.sum(ReservationLine.quantity).label("units"))
        .join(Reservation)
        .where(Reservation.state == HELD)
        .group_by(ReservationLine.item_id)
        .subquery()
    )


def totals(item_id: int) -> dict[str, int]:
    """Units of this item held and committed (sold) through reservations."""
    rows = db.session.execute(
        select(Reservation.state, func.sum(ReservationLine.quantity))
        .join(Reservation)
        .where(ReservationLine.item_id == item_id, Reservation.state.in_((HELD, COMMITTED)))
        .group_by(Reservation.state)
    )
    found = {state: int(total) for state, total in rows}
    return {"held": found.get(HELD, 0), "committed": found.get(COMMITTED, 0)}


def movements_of(item_id: int, limit: int = 200) -> list[StockMovement]:
    """The item's latest stock movements, newest first."""
    query = select(StockMovement).where(StockMovement.item_id == item_id).order_by(StockMovement.id.desc())
    return db.session.scalars(query.limit(limit)).all()


def ever_reserved(item_id: int) -> bool:
    """True when any order ever held this item: past orders refer to it."""
    query = select(ReservationLine.id).where(ReservationLine.item_id == item_id).limit(1)
    return db.session.scalar(query) is not None


# --- the two ways stock on hand moves ----------------------------------------------------------


# The statements every hold, change and release runs, built once (building and keying a statement
# costs more than SQLite takes to run it; make bench). The archived check is in the WHERE clause, so
# an item archived after the caller read it is not sold.
#: the stock statements on the inventory table itself, run on the session's connection: through
#: Session.execute an UPDATE of the mapped class goes through the ORM's bulk-update step, a tenth of a
#: hold's CPU (bench/NOTES.md, fifth round). No ORM object is synchronised either way.
ITEMS = Item.__table__
_TAKE = (
    update(ITEMS)
    .where(ITEMS.c.id == bindparam("item_id"), ITEMS.c.quantity >= bindparam("n"))
    .values(quantity=ITEMS.c.quantity - bindparam("n"))
    .returning(ITEMS.c.quantity, ITEMS.c.price_cents)
)
_TAKE_SOLD = _TAKE.where(ITEMS.c.archived_at.is_(None))
_GIVE = (
    update(ITEMS)
    .where(ITEMS.c.id == bindparam("item_id"))
    .values(quantity=ITEMS.c.quantity + bindparam("n"))
    .returning(ITEMS.c.quantity)
)

_INSERT_MOVEMENT = insert(StockMovement.__table__)
_RESERVATIONS = Reservation.__table__
_INSERT_RESERVATION = insert(_RESERVATIONS).returning(_RESERVATIONS.c.id)
_INSERT_LINE = insert(ReservationLine.__table__)
#: is the key taken (locked where the database has row locks); the ORM loads it only when it is
_KEY_TAKEN = select(_RESERVATIONS.c.id).where(_RESERVATIONS.c.key == bindparam("key")).with_for_update()


def _on_stock(statement, parameters: dict):
    """Run a stock statement in the session's transaction, after its pending changes (Session.execute's autoflush)."""
    db.session.flush()
    return db.session.connection().execute(statement, parameters)


def _take(item_id: int, n: int, *, reason: str, key: str, actor: str, archived: bool = False) -> int | None:
    """Take `n` units if that many are on hand (and the item is sold); the item's price, or None."""
    statement = _TAKE if archived else _TAKE_SOLD
    taken = _on_stock(statement, {"item_id": item_id, "n": n}).first()
    if taken is None:
        return None
    _moved(item_id, -n, taken.quantity, reason, key=key, actor=actor)
    return taken.price_cents


def _give(item_id: int, n: int, *, reason: str, key: str, actor: str) -> int:
    """Put `n` units back on hand; the quantity after."""
    after = _on_stock(_GIVE, {"item_id": item_id, "n": n}).scalar_one()
    _moved(item_id, n, after, reason, key=key, actor=actor)
    return after


def _moved(item_id: int, delta: int, quantity_after: int, reason: str, *, key: str, actor: str) -> None:
    """`record`, as one INSERT on the session's connection right after the stock statement."""
    row = {"item_id": item_id, "delta": delta, "quantity_after": quantity_after, "reason": reason, "key": key}
    db.session.connection().execute(_INSERT_MOVEMENT, row | {"actor": actor})


def _take_all(units: Units, *, reason: str, key: str, actor: str, archived: bool = False) -> dict[int, int]:
    """Take every line's units, in ascending item id: all of them, or StockError naming every short line.
    Returns {item id: its price in cents}, read by the statements that took the units."""
    prices = {
        item_id: _take(item_id, n, reason=reason, key=key, actor=actor, archived=archived)
        for item_id, n in sorted(units.items())
    }
    if failed := [item_id for item_id, price in prices.items() if price is None]:
        wanted = {item_id: units[item_id] for item_id in failed}
        raise _short(wanted, one_item=len(units) == 1, archived_sold=archived)  # rolled back
    return prices


def _give_all(units: Units, *, reason: str, key: str, actor: str) -> None:
    for item_id, n in sorted(units.items()):
        _give(item_id, n, reason=reason, key=key, actor=actor)


def _move_to(reservation: Reservation, units: Units, *, key: str, actor: str, prices: dict[int, int]) -> None:
    """Take or give back each item's difference between the reservation's lines and `units`, then
    set them; more of an item only at its quoted price, if `prices` quotes one (else rolled back)."""
    held = reservation.units()
    failed, changed = {}, {}
    for item_id in sorted(held.keys() | units.keys()):
        difference = units.get(item_id, 0) - held.get(item_id, 0)
        if difference > 0:
            price = _take(item_id, difference, reason=HOLD_INCREASED, key=key, actor=actor)
            if price is None:
                failed[item_id] = difference
            elif prices.get(item_id, price) != price:
                changed[item_id] = price
        elif difference < 0:
            _give(item_id, -difference, reason=HOLD_DECREASED, key=key, actor=actor)
    if failed:
        raise _short(failed, one_item=len(units) == 1)
    if changed:
        raise _price_changed(changed)
    lines = {line.item_id: line for line in reservation.lines}
    reservation.lines = [_line(lines.get(item_id), item_id, quantity) for item_id, quantity in units.items()]


def _line(line: ReservationLine | None, item_id: int, quantity: int) -> ReservationLine:
    if line is None:
        return ReservationLine(item_id=item_id, quantity=quantity)
    line.quantity = quantity
    return line


def _one_line(reservation: Reservation, quantity: int) -> Units:
    """The one-item form of a change: the new quantity of the reservation's only line."""
    if len(reservation.lines) != 1:
        raise StockError(422, "invalid_field", "This hold has several lines: send lines, not quantity.")
    return {reservation.lines[0].item_id: quantity}


def _short(wanted: Units, *, one_item: bool, archived_sold: bool = False) -> StockError:
    """Why these items' units ({item id: units the rule tried to take}) could not be taken: an
    unknown item (404) or an archived one (410) first, else too few on hand (409, naming every item
    that is still short when read back, with how many are left; `moved` when none is).

    `archived_sold`: the rule sells archived items too (a paid order taking its stock again), so
    an archived item is not why it failed: only too few on hand is."""
    item_ids = list(wanted)
    rows = {
        row.id: row
        for row in db.session.execute(select(Item.id, Item.quantity, Item.archived_at).where(Item.id.in_(item_ids)))
    }
    for item_id in item_ids:
        if item_id not in rows:  # never existed, or erased meanwhile
            return StockError(404, "item_not_found", f"There is no item {item_id}.", item_id=item_id)
    for item_id in item_ids:
        if rows[item_id].archived_at is not None and not archived_sold:
            return StockError(410, "item_archived", "This item is no longer sold.", item_id=item_id)
    short = [(item_id, rows[item_id].quantity) for item_id in item_ids if rows[item_id].quantity < wanted[item_id]]
    moved = not short
    short = short or [(item_id, rows[item_id].quantity) for item_id in item_ids]
    error = _short_error(short, one_item=one_item)
    error.moved = moved
    return error


def _short_error(short: list[tuple[int, int]], *, one_item: bool) -> StockError:
    if one_item:
        left = short[0][1]
        message = f"Only {left} left." if left else "This item is out of stock."
        return StockError(409, "insufficient_stock", message, available=left, short=short)
    message = f"Not enough stock for {len(short)} of the lines."
    return StockError(409, "insufficient_stock", message, short=short)


def _price_changed(prices: dict[int, int]) -> StockError:
    if len(prices) == 1:
        [(item_id, cents)] = prices.items()
        message = f"The price of item {item_id} is now {cents} cents."
    else:
        message = f"The prices of {len(prices)} items changed."
    return StockError(409, "price_changed", message, prices=prices, item_id=next(iter(prices)))


_FIND = select(Reservation).where(Reservation.key == bindparam("key"))
_FIND_LOCKED = _FIND.with_for_update()


def _find(key: str, lock: bool = True) -> Reservation | None:
    return db.session.scalar(_FIND_LOCKED if lock else _FIND, {"key": key})


def _get(key: str) -> Reservation:
    reservation = _find(key)
    if reservation is None or not reservation.lines:  # (no lines: a key released before any hold came)
        raise _no_hold(key)
    return reservation


def _no_hold(key: str) -> StockError:
    return StockError(404, "hold_not_found", f"There is no hold {key!r}.")


def _same_hold(existing: Reservation, units: Units) -> Reservation:
    if existing.units() != units:
        raise StockError(409, "key_conflict", f"Hold {existing.key!r} exists for other items or quantities.")
    return existing
