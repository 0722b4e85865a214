"""The transaction every rule runs in, lookups of stored objects, and event recording."""

from __future__ import annotations

import copy
import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from . import objects, storage
from .config import Settings
from .errors import resource_missing
from .objects import new_id
from .storage import Record


@dataclass(frozen=True)
class Context:
    """One write transaction and who asked (events caused by an API request name it)."""

    conn: sqlite3.Connection
    settings: Settings
    now: int
    request_id: str | None = None
    idempotency_key: str | None = None


def context(conn: sqlite3.Connection, settings: Settings, **request: Any) -> Context:
    """A context at the current time."""
    return Context(conn, settings, int(time.time()), **request)


# --- reading --------------------------------------------------------------------------------

PARAM_NAMES = {"checkout.session": "session", "payment_intent": "intent", "charge": "charge",
               "refund": "refund", "event": "id"}


def require(ctx: Context, kind: str, obj_id: str) -> Record:
    """The stored object, or Stripe's 404."""
    record = storage.load(ctx.conn, kind, obj_id)
    if record is None:
        raise resource_missing(kind, obj_id, PARAM_NAMES.get(kind, "id"))
    return record


def load_event(conn: sqlite3.Connection, event_id: str) -> dict[str, Any]:
    """An event as it was sent."""
    row = storage.event_row(conn, event_id)
    if row is None:
        raise resource_missing("event", event_id, "id")
    return json.loads(row["payload"])


# --- events ---------------------------------------------------------------------------------


def emit(
    ctx: Context, event_type: str, obj: dict[str, Any], ordering_key: str,
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record an event with a snapshot of `obj` and queue its webhook delivery."""
    deliver = bool(ctx.settings.webhook_url)
    event = objects.event(
        event_id=new_id("evt_1"),
        created=ctx.now,
        event_type=event_type,
        obj=copy.deepcopy(obj),
        api_version=ctx.settings.api_version,
        previous_attributes=previous_attributes,
        request_id=ctx.request_id,
        idempotency_key=ctx.idempotency_key if ctx.request_id else None,
        pending_webhooks=1 if deliver else 0,
    )
    storage.insert_event(ctx.conn, event, ordering_key, time.time(), deliver)
    return event
