"""The stock rules: holds, commits, releases, the sweeper and admin adjustments, in one place.

Stock on hand (`Item.quantity`) changes only through `_take` and `_give`: one conditional
UPDATE (`... WHERE quantity >= n`, checked by the row it returns) inside the caller's write
transaction, with a `stock_movements` row written in the same transaction. So stock never goes
below zero whatever the concurrency (the CHECK constraint would refuse it anyway), and a movement
exists exactly when stock moved.

Every call on a reservation is idempotent by its key: the reservation row (unique key) is the
record of what was done, so a repeated call finds it and answers from it without moving stock
again. On SQLite the write transaction begins IMMEDIATE, so two calls with one key run one after
the other; elsewhere the unique key turns the second insert into an IntegrityError, answered the
same way.
"""

from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from inventory_app.extensions import db
from inventory_app.models import COMMITTED, HELD, RELEASED, Item, Reservation, StockMovement, utcnow
from shared_ui.db import write_transaction

# Why stock moved (StockMovement.reason).
CREATED, ADJUSTED, SEEDED = "created", "adjusted", "seeded"
HOLD, HOLD_INCREASED, HOLD_DECREASED = "held", "hold_increased", "hold_decreased"
HOLD_RELEASED, HOLD_EXPIRED, RETAKEN, RESTOCKED = "released", "expired", "retaken", "restocked"


class StockError(Exception):
    """A stock rule said no; `status` and `code` are how the APIs answer it."""

    def __init__(self, status: int, code: str, message: str, *, available: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.available = available


# --- holds (orders_app, through the internal API) -------------------------------------------------


def hold(key: str, item_id: int, quantity: int, expires_at: datetime, *, actor: str = "service"):
    """Hold `quantity` units of an item under `key` until `expires_at` (naive UTC).

    Returns (reservation, created). A key that exists already returns its reservation as it is
    now, with created=False, when it is for the same item and quantity; else `key_conflict`.
    """
    try:
        with write_transaction(db, keep_loaded=True):  # the answer is built from these rows: no reload
            existing = _find(key)
            if existing is not None:
                return _same_hold(existing, item_id, quantity), False
            item = db.session.get(Item, item_id)
            if item is None:
                raise StockError(404, "item_not_found", f"There is no item {item_id}.")
            if item.is_archived:
                raise StockError(410, "item_archived", f"{item.name} is no longer sold.")
            if _take(item_id, quantity, reason=HOLD, key=key, actor=actor) is None:
                raise _short(item_id, quantity)
            db.session.expire(item)  # _take changed its quantity in SQL: not kept loaded as it was
            reservation = Reservation(key=key, item_id=item_id, quantity=quantity, state=HELD, expires_at=expires_at)
            db.session.add(reservation)
            db.session.flush()
        return reservation, True
    except IntegrityError:
        # Another transaction inserted this key first (databases without BEGIN IMMEDIATE).
        existing = _find(key, lock=False)
        if existing is None:
            raise
        return _same_hold(existing, item_id, quantity), False


def change_hold(key: str, *, quantity: int | None = None, expires_at: datetime | None = None, actor: str = "service"):
    """Set a hold's quantity and/or deadline to these absolute values; more units take the difference."""
    with write_transaction(db):
        reservation = _get(key)
        if quantity is not None and quantity != reservation.quantity:
            if reservation.state != HELD:
                raise StockError(409, "hold_not_held", f"This hold is {reservation.state}; its quantity is fixed.")
            difference = quantity - reservation.quantity
            if difference > 0:
                if _take(reservation.item_id, difference, reason=HOLD_INCREASED, key=key, actor=actor) is None:
                    raise _short(reservation.item_id, difference)
            else:
                _give(reservation.item_id, -difference, reason=HOLD_DECREASED, key=key, actor=actor)
            reservation.quantity = quantity
        if expires_at is not None and reservation.state == HELD:
            reservation.expires_at = expires_at
    return reservation


def commit(key: str, *, actor: str = "service") -> Reservation:
    """held -> committed (sold). A released hold takes its units again if they are on hand."""
    with write_transaction(db):
        reservation = _get(key)
        if reservation.state == RELEASED:
            # A payment arrived after the hold lapsed: sell the units if they are still there,
            # even when the item was archived meanwhile (the customer has paid).
            units = reservation.quantity
            if _take(reservation.item_id, units, reason=RETAKEN, key=key, actor=actor, archived=True) is None:
                raise _short(reservation.item_id, reservation.quantity)
        if reservation.state != COMMITTED:
            reservation.state = COMMITTED
    return reservation


def release(key: str, *, restock: bool = False, actor: str = "service") -> Reservation:
    """held -> released, units back on hand; a committed hold only with `restock` (a refund)."""
    with write_transaction(db):
        reservation = _get(key)
        if reservation.state == COMMITTED and not restock:
            raise StockError(409, "hold_committed", "This hold is sold; release it with restock: true to restock.")
        if reservation.state != RELEASED:
            reason = RESTOCKED if reservation.state == COMMITTED else HOLD_RELEASED
            _give(reservation.item_id, reservation.quantity, reason=reason, key=key, actor=actor)
            reservation.state = RELEASED
    return reservation


def find_reservation(key: str) -> Reservation | None:
    return _find(key, lock=False)


def sweep_expired(now: datetime | None = None, limit: int = 500) -> int:
    """Release held reservations past their deadline; how many. Safe when two sweepers run at once."""
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
            _give(reservation.item_id, reservation.quantity, reason=HOLD_EXPIRED, key=reservation.key, actor="sweeper")
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
        select(Reservation.item_id, func.sum(Reservation.quantity))
        .where(Reservation.state == HELD, Reservation.item_id.in_(ids))
        .group_by(Reservation.item_id)
    )
    return {item_id: int(total) for item_id, total in rows}


def totals(item_id: int) -> dict[str, int]:
    """Units of this item held and committed (sold) through reservations."""
    rows = db.session.execute(
        select(Reservation.state, func.sum(Reservation.quantity))
        .where(Reservation.item_id == item_id, Reservation.state.in_((HELD, COMMITTED)))
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
    return db.session.scalar(select(Reservation.id).where(Reservation.item_id == item_id).limit(1)) is not None


# --- the two ways stock on hand moves ----------------------------------------------------------


# The statements every hold, change and release runs, built once (building and keying a statement
# costs more than SQLite takes to run it; make bench). The archived check is in the WHERE clause, so
# an item archived after the caller read it is not sold.
_TAKE = (
    update(Item)
    .where(Item.id == bindparam("item_id"), Item.quantity >= bindparam("n"))
    .values(quantity=Item.quantity - bindparam("n"))
    .returning(Item.quantity)
    .execution_options(synchronize_session=False)
)
_TAKE_SOLD = _TAKE.where(Item.archived_at.is_(None))
_GIVE = (
    update(Item)
    .where(Item.id == bindparam("item_id"))
    .values(quantity=Item.quantity + bindparam("n"))
    .returning(Item.quantity)
    .execution_options(synchronize_session=False)
)


def _take(item_id: int, n: int, *, reason: str, key: str, actor: str, archived: bool = False) -> int | None:
    """Take `n` units if that many are on hand (and the item is sold); the quantity left, or None."""
    statement = _TAKE if archived else _TAKE_SOLD
    left = db.session.execute(statement, {"item_id": item_id, "n": n}).scalar_one_or_none()
    if left is not None:
        record(item_id, -n, left, reason, key=key, actor=actor)
    return left


def _give(item_id: int, n: int, *, reason: str, key: str, actor: str) -> int:
    """Put `n` units back on hand; the quantity after."""
    after = db.session.execute(_GIVE, {"item_id": item_id, "n": n}).scalar_one()
    record(item_id, n, after, reason, key=key, actor=actor)
    return after


def _short(item_id: int, wanted: int) -> StockError:
    """Why `wanted` units could not be taken: archived (410), or too few on hand (409, with how many)."""
    row = db.session.execute(select(Item.quantity, Item.archived_at).where(Item.id == item_id)).one_or_none()
    if row is None:  # erased meanwhile
        return StockError(404, "item_not_found", f"There is no item {item_id}.")
    if row.archived_at is not None:
        return StockError(410, "item_archived", "This item is no longer sold.")
    return StockError(
        409,
        "insufficient_stock",
        f"Only {row.quantity} left." if row.quantity else "This item is out of stock.",
        available=row.quantity,
    )


_FIND = select(Reservation).where(Reservation.key == bindparam("key"))
_FIND_LOCKED = _FIND.with_for_update()


def _find(key: str, lock: bool = True) -> Reservation | None:
    return db.session.scalar(_FIND_LOCKED if lock else _FIND, {"key": key})


def _get(key: str) -> Reservation:
    reservation = _find(key)
    if reservation is None:
        raise StockError(404, "hold_not_found", f"There is no hold {key!r}.")
    return reservation


def _same_hold(existing: Reservation, item_id: int, quantity: int) -> Reservation:
    if existing.item_id != item_id or existing.quantity != quantity:
        raise StockError(409, "key_conflict", f"Hold {existing.key!r} exists for another item or quantity.")
    return existing
