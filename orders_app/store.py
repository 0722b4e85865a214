"""The orders' store: rows read under the write lock, the one place a status changes, the history,
and the queries the pages and the jobs share."""

import functools
import time
from collections.abc import Iterator
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached

from orders_app import notices, states
from orders_app.errors import CHANGED_MEANWHILE, NO_SUCH_ORDER, OrderError, refused
from orders_app.extensions import db
from orders_app.history import Note
from orders_app.models import (
    HIDDEN_HOLD_STATES,
    DatabaseIdentity,
    ErasedCustomer,
    Order,
    OrderEvent,
    OrderLine,
    StripeEvent,
    utcnow,
)
from shared_ui.db import prune_before, serialize, write_transaction

#: how the jobs appear in an order's history
SWEEPER = "sweeper"
#: how inventory's answers (stock sold, returned, gone) appear in an order's history
INVENTORY = "inventory"
#: after an administrator's login in the history (a login has no spaces or brackets)
ADMIN_SUFFIX = " (admin)"

_LOCKED = (
    select(Order).where(Order.id == bindparam("order_id")).with_for_update().execution_options(populate_existing=True)
)


def locked(order_id: int) -> Order | None:
    """The row, read inside write_transaction (FOR UPDATE where the database has row locks)."""
    return db.session.scalar(_LOCKED, {"order_id": order_id})


def database_id() -> str:
    """This orders database's own random id (read once per app; its migration wrote it)."""
    cache = current_app.extensions.setdefault("orders_database_id", {})
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if url not in cache:
        cache[url] = db.session.scalar(select(DatabaseIdentity.database_id).where(DatabaseIdentity.id == 1))
    return cache[url]


def shop_key(*parts) -> str:
    """A key no other shop and no other database of this shop makes: `{instance}:{database id}:...`."""
    return ":".join([current_app.config["SHOP_INSTANCE_ID"], database_id(), *map(str, parts)])


def actor_name(user) -> str:
    """How a user appears in an order's history."""
    return f"{user.login}{ADMIN_SUFFIX}" if user.is_admin else user.login


def transition(order: Order, event: str, actor: str, note: Note | str | None) -> None:
    """Move the (locked) order's status by the table in states.py, and record it in its history.

    The only place an order's status is assigned after it is written.
    """
    before = order.status
    order.status = states.next_status(before, event)
    now = utcnow()
    order.updated_at = now
    order.version += 1
    if order.status == states.PAID:
        order.paid_at = now
    elif order.status == states.CANCELLED:
        order.cancelled_at = now
    action = "paid" if order.status == states.PAID else "cancelled"
    record(order, actor, action, before, order.status, note)
    # The receipt or the cancellation notice, in this transaction: once per order, however many
    # callers (webhook, success page, reconcile) apply the same change.
    if order.status == states.PAID:
        notices.order_paid(order)
    elif order.status == states.CANCELLED:
        notices.order_cancelled(order, _why_cancelled(order, event, actor, before))


def _why_cancelled(order: Order, event: str, actor: str, before: str) -> str | None:
    """What the cancellation notice says of why: the customer did, the shop did (an administrator), the
    order was not paid in time (its payment link or boleto lapsed, or its hold ran out), or it was
    paid after its hold ran out and its stock was gone."""
    if event == states.EV_STOCK_GONE:
        return notices.STOCK_GONE
    if actor == order.user_login:
        return notices.BY_CUSTOMER
    if actor.endswith(ADMIN_SUFFIX):
        return notices.BY_SHOP
    return notices.NOT_PAID if before == states.PENDING else None


def record(order: Order, actor: str, action: str, from_value, to_value, note: Note | str | None) -> None:
    """One line of the order's history; a `history.note(...)` is kept so pages can translate it."""
    db.session.add(
        OrderEvent(
            order=order, actor=actor, action=action, from_value=from_value, to_value=to_value, **note_columns(note)
        )
    )


def record_for(order_id: int, actor: str, action: str, from_value, to_value, note: Note | str | None) -> None:
    """One line of the history of an order that is not loaded (one INSERT, no unit of work)."""
    db.session.connection().execute(
        _RECORD,
        {
            "order_id": order_id,
            "at": utcnow(),
            "actor": actor,
            "action": action,
            "from_value": from_value,
            "to_value": to_value,
            **note_columns(note),
        },
    )


def note_columns(note: Note | str | None) -> dict:
    """The history's two note columns: the English text, and the message and arguments when known."""
    if isinstance(note, Note):
        return {"note": note.english, "note_data": note.data()}
    return {"note": note, "note_data": None}


_RECORD = insert(OrderEvent.__table__)


def flag(order: Order, reason: str) -> None:
    """Ask an admin to look at the order."""
    order.needs_attention = True
    order.attention_reason = reason
    order.updated_at = utcnow()
    current_app.logger.error("order %s needs attention: %s", order.id, reason)


def check_version(order: Order, expected_version: int | None) -> None:
    """The version the customer saw, checked before anything is asked of Stripe (and again in the claim)."""
    if expected_version is not None and expected_version != order.version:
        raise OrderError(CHANGED_MEANWHILE, status=409, code="conflict")


def claim(order_id: int, expected_version: int | None, guard=states.why_not_cancel) -> Order:
    """The order, checked by `guard` to be changeable, inside the caller's write transaction."""
    order = locked(order_id)
    if order is None:
        raise OrderError(NO_SUCH_ORDER, status=404, code="not_found")
    refused(order, guard(order))
    check_version(order, expected_version)
    return order


def set_hold_state(order_id: int, expected: str, new: str) -> None:
    """`expected` -> `new`, when the order is still `expected` (in its own write transaction)."""
    with write_transaction(db):
        order = locked(order_id)
        if order is not None and order.hold_state == expected:
            order.hold_state = new
            order.updated_at = utcnow()


def lock_customer(user_id: int) -> None:
    """Within a write transaction: one placing (or erasing) of this customer's orders at a time, so
    that each counts the orders the others wrote (SQLite's write lock does it already; PostgreSQL
    takes an advisory lock)."""
    serialize(db, f"orders.customer:{user_id}")


#: how long after an account's erasure began no order is placed for it: far longer than the other
#: apps trust a cached user record (USER_CACHE_SECONDS) once users_app has ended the account. After
#: it, users_app's word alone counts (an erasure users_app gave up on leaves the account as it was).
ERASING = timedelta(minutes=5)


def mark_erased(user_id: int) -> None:
    """Within a write transaction: the account's erasure begins now (after any placing under way)."""
    lock_customer(user_id)
    # Written anew rather than updated: the hourly prune may delete an old row meanwhile.
    db.session.execute(delete(ErasedCustomer).where(ErasedCustomer.user_id == user_id))
    db.session.add(ErasedCustomer(user_id=user_id, erased_at=utcnow()))


def erased_lately(user_id: int) -> bool:
    """Within a write transaction, before writing anything of the customer's: whether the account's
    erasure began less than ERASING ago (after that, users_app's word alone counts)."""
    lock_customer(user_id)
    since = utcnow() - ERASING
    found = select(ErasedCustomer.user_id).where(ErasedCustomer.user_id == user_id, ErasedCustomer.erased_at >= since)
    return db.session.scalar(found) is not None


def prune_erased() -> dict | None:
    """The jobs process's hourly step: erasures older than ERASING are forgotten."""
    return prune_before(db, ErasedCustomer.erased_at, utcnow() - ERASING)


def insert_new(order: Order) -> None:
    """Write a new (transient) order and its lines inside the caller's write transaction, as plain
    INSERTs (the unit of work cost more than the statements); afterwards the order and its lines
    hold every column as written, detached: `db.session.add` makes them persistent, as committed."""
    connection = db.session.connection()
    order.id = connection.execute(_INSERT_ORDER, _row_of(order)).scalar_one()
    for line in order.lines:
        line.order_id = order.id
        line.id = connection.execute(_INSERT_LINE, _row_of(line)).scalar_one()
    for written in (order, *order.lines):
        make_transient_to_detached(written)


_INSERT_ORDER = insert(Order.__table__).returning(Order.__table__.c.id)
_INSERT_LINE = insert(OrderLine.__table__).returning(OrderLine.__table__.c.id)


def _row_of(written) -> dict:
    """The object's column values for its INSERT; a column not set takes its scalar default, or None
    (set on the object too, so that it holds what the row holds)."""
    row = {}
    state = written.__dict__
    for key, default in _columns_of(type(written)):
        if key not in state:
            if default is not None and not default.is_scalar:
                raise ValueError(f"{type(written).__name__}.{key} has a default that is not a plain value: set it")
            setattr(written, key, default.arg if default is not None else None)
        row[key] = state[key]
    return row


@functools.cache
def _columns_of(model: type) -> tuple:
    """(attribute name, its column's Python-side default) of every column but the id, read once a class."""
    return tuple(
        (attribute.key, attribute.columns[0].default)
        for attribute in sa_inspect(model).column_attrs
        if attribute.key != "id"
    )


def forget(order_id: int) -> None:
    """Delete an order that was never placed (inventory holds nothing for it)."""
    with write_transaction(db):
        db.session.execute(
            delete(Order).where(Order.id == order_id, Order.hold_state.in_(HIDDEN_HOLD_STATES)),
            execution_options={"synchronize_session": False},
        )


# ----- queries ----------------------------------------------------------------------------------


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


def ids(*conditions, batch: int) -> list[int]:
    """Ids of up to `batch` matching orders, oldest first."""
    return list(db.session.scalars(select(Order.id).where(*conditions).order_by(Order.id).limit(batch)))


def all_ids(*conditions, batch: int, deadline: float) -> Iterator[int]:
    """Ids of the matching orders, oldest first, fetched a page at a time while time is left."""
    after = 0
    while time.monotonic() < deadline:
        page = list(
            db.session.scalars(select(Order.id).where(*conditions, Order.id > after).order_by(Order.id).limit(batch))
        )
        # (time is checked before every order, not every page: a page of slow orders ends the run too)
        yield from until(deadline, page)
        if len(page) < batch:
            return
        after = page[-1]


def until(deadline: float, order_ids) -> Iterator[int]:
    """The ids, one at a time, until time.monotonic() reaches `deadline`."""
    for order_id in order_ids:
        if time.monotonic() >= deadline:
            return
        yield order_id


def events_of(order_id: int) -> list[StripeEvent]:
    """The Stripe events the order received, oldest first (the payment timeline)."""
    return list(
        db.session.scalars(
            select(StripeEvent).where(StripeEvent.order_id == order_id).order_by(StripeEvent.received_at)
        )
    )
