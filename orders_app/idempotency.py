"""`Idempotency-Key` on POST /orders/api/orders: a request sent again (a client's retry after a
timeout, a proxy's resend) answers the order the first one placed instead of placing another.

The key is the client's, per customer, and is written in the transaction that writes the order
(placing._place, `IdempotencyKey`): there is never an order without its key nor a key without its
order. Placing that fails deletes the order and with it the key, so a retry places afresh.
placing.place_order_once answers a key seen before with its order. The same key with another
request is refused (400 `idempotency_key_reused`); one whose order is still being placed answers
409 `idempotency_key_in_use`, as Stripe's keys do. Kept a day (`prune`).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select

from orders_app.extensions import db
from orders_app.models import ABANDONED, REQUESTING, IdempotencyKey, Order, utcnow
from shared_ui.api import ApiError
from shared_ui.db import prune_before, write_transaction

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
MAX_LENGTH = 255


@dataclass(frozen=True)
class Key:
    """A request's key and what it asked (a digest of its body)."""

    value: str
    digest: str


def of_request(headers, body) -> Key | None:
    """The request's key, or None when it sent none; a 400 for one that is empty or too long."""
    value = headers.get(HEADER)
    if value is None:
        return None
    if not 0 < len(value) <= MAX_LENGTH:
        message = _("%(header)s must be 1 to %(most)d characters.", header=HEADER, most=MAX_LENGTH)
        raise ApiError(400, "bad_request", message)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return Key(value, digest)


def placed_before(user_id: int, key: Key) -> Order | None:
    """The order this key placed, to answer again; None when the key is new (or its order was never
    placed). Raises the 400 and 409 above."""
    found = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key.value)
    )
    if found is None or found.created_at < utcnow() - KEEP:
        return None
    if found.request_digest != key.digest:
        message = _("This %(header)s was used for another request.", header=HEADER)
        raise ApiError(400, "idempotency_key_reused", message)
    order = db.session.get(Order, found.order_id)
    if order.hold_state == ABANDONED:  # its placing failed for good: the key may place again
        with write_transaction(db):
            db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.order_id == order.id))
        return None
    if order.hold_state == REQUESTING:
        message = _("A request with this %(header)s is still being answered; try again in a moment.", header=HEADER)
        raise ApiError(409, "idempotency_key_in_use", message)
    return order


def write(user_id: int, key: Key, order_id: int) -> None:
    """In placing's transaction that writes the order (a key older than KEEP is written over)."""
    db.session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key.value,
            IdempotencyKey.created_at < utcnow() - KEEP,
        )
    )
    db.session.add(IdempotencyKey(user_id=user_id, key=key.value, request_digest=key.digest, order_id=order_id))


def prune() -> dict | None:
    """The jobs process's hourly step: keys older than KEEP go."""
    return prune_before(db, IdempotencyKey.created_at, utcnow() - KEEP)
