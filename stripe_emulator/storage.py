"""The emulator's SQLite file: objects, events, webhook deliveries and idempotency keys.

Every write runs in one `BEGIN IMMEDIATE` transaction, so concurrent requests (several gunicorn
threads, or a second process) are serialised by SQLite's write lock: a request that waits for the
lock sees everything the one before it committed, which is what makes idempotency keys safe.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    created INTEGER NOT NULL,
    body TEXT NOT NULL,
    private TEXT NOT NULL DEFAULT '{}',
    wake_at INTEGER
);
CREATE INDEX IF NOT EXISTS objects_by_kind ON objects (kind, created, id);
CREATE INDEX IF NOT EXISTS objects_to_wake ON objects (wake_at) WHERE wake_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    ordering_key TEXT NOT NULL,
    created INTEGER NOT NULL,
    payload TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL REFERENCES events (id),
    ordering_key TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    lease_until REAL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (state, ordering_key, id);
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries (event_id);

CREATE TABLE IF NOT EXISTS delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    attempted_at REAL NOT NULL,
    status_code INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_delivery ON delivery_attempts (delivery_id);

CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    body TEXT NOT NULL,
    request_id TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency_keys (created);
"""


@dataclass
class Record:
    """A stored Stripe object and the emulator's own notes about it (never sent out)."""

    body: dict[str, Any]
    private: dict[str, Any]


@dataclass(frozen=True)
class SavedResponse:
    """The first answer given under an idempotency key."""

    path: str
    fingerprint: str
    status_code: int
    body: str
    request_id: str


class Store:
    """Opens connections to the emulator's database file; creates the schema when missing."""

    def __init__(self, path: Path, busy_timeout_seconds: float = 15.0) -> None:
        self.path = path
        self.busy_timeout_seconds = busy_timeout_seconds

    def create_schema(self) -> None:
        """Create the file, switch it to WAL and create missing tables."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self.connect()
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
        finally:
            conn.close()

    def connect(self) -> sqlite3.Connection:
        """A connection in autocommit mode; use `transaction()` for writes."""
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_seconds, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_seconds * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads (one consistent snapshot per statement)."""
        conn = self.connect()
        try:
            yield conn
        finally:
            conn.close()


# --- Stripe objects -------------------------------------------------------------------------


def load(conn: sqlite3.Connection, kind: str, obj_id: str) -> Record | None:
    """The object of that kind and id, or None."""
    row = conn.execute(
        "SELECT body, private FROM objects WHERE id = ? AND kind = ?", (obj_id, kind)
    ).fetchone()
    if row is None:
        return None
    return Record(json.loads(row["body"]), json.loads(row["private"]))


def kind_of(conn: sqlite3.Connection, obj_id: str) -> str | None:
    """The kind (`charge`, `payment_intent`, ...) of a stored id."""
    row = conn.execute("SELECT kind FROM objects WHERE id = ?", (obj_id,)).fetchone()
    return None if row is None else row["kind"]


def insert(
    conn: sqlite3.Connection, kind: str, body: dict[str, Any], private: dict[str, Any] | None = None,
    wake_at: int | None = None,
) -> None:
    """Store a new object."""
    conn.execute(
        "INSERT INTO objects (id, kind, created, body, private, wake_at) VALUES (?, ?, ?, ?, ?, ?)",
        (body["id"], kind, body["created"], json.dumps(body), json.dumps(private or {}), wake_at),
    )


def save(conn: sqlite3.Connection, record: Record, wake_at: int | None = None) -> None:
    """Write back a changed object; `wake_at` is when the sweeper must look at it again."""
    conn.execute(
        "UPDATE objects SET body = ?, private = ?, wake_at = ? WHERE id = ?",
        (json.dumps(record.body), json.dumps(record.private), wake_at, record.body["id"]),
    )


def due_for_wake(conn: sqlite3.Connection, kind: str, now: int) -> list[str]:
    """Ids of objects whose `wake_at` has come (sessions to expire, boletos past due)."""
    rows = conn.execute(
        "SELECT id FROM objects WHERE wake_at IS NOT NULL AND wake_at <= ? AND kind = ? ORDER BY wake_at",
        (now, kind),
    ).fetchall()
    return [row["id"] for row in rows]


def page(
    conn: sqlite3.Connection, kind: str, *, limit: int, starting_after: str | None = None,
    equals: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Newest first, Stripe's cursor paging; `equals` filters on top-level fields of the body."""
    clauses = ["kind = ?"]
    args: list[Any] = [kind]
    if starting_after:
        cursor = conn.execute("SELECT created FROM objects WHERE id = ?", (starting_after,)).fetchone()
        if cursor is not None:
            clauses.append("(created < ? OR (created = ? AND id < ?))")
            args += [cursor["created"], cursor["created"], starting_after]
    for field, value in (equals or {}).items():
        clauses.append("json_extract(body, ?) = ?")
        args += [f"$.{field}", value]
    rows = conn.execute(
        # The clauses are fixed strings; values travel as parameters.
        f"SELECT body FROM objects WHERE {' AND '.join(clauses)} ORDER BY created DESC, id DESC LIMIT ?",  # noqa: S608
        (*args, limit + 1),
    ).fetchall()
    bodies = [json.loads(row["body"]) for row in rows]
    return bodies[:limit], len(bodies) > limit


# --- Events and their webhook deliveries ----------------------------------------------------


def insert_event(
    conn: sqlite3.Connection, event: dict[str, Any], ordering_key: str, now: float, deliver: bool
) -> None:
    """Store an event (its exact JSON is what every attempt sends) and queue its delivery."""
    conn.execute(
        "INSERT INTO events (id, type, ordering_key, created, payload) VALUES (?, ?, ?, ?, ?)",
        (event["id"], event["type"], ordering_key, event["created"], json.dumps(event, indent=2)),
    )
    if deliver:
        queue_delivery(conn, event["id"], ordering_key, now)


def queue_delivery(conn: sqlite3.Connection, event_id: str, ordering_key: str, now: float) -> int:
    """A new delivery of an existing event (a resend is a second delivery of the same id)."""
    cursor = conn.execute(
        "INSERT INTO deliveries (event_id, ordering_key, next_attempt_at, created) VALUES (?, ?, ?, ?)",
        (event_id, ordering_key, now, now),
    )
    return int(cursor.lastrowid or 0)


def event_row(conn: sqlite3.Connection, event_id: str) -> sqlite3.Row | None:
    """The stored event (`payload`, `ordering_key`, ...)."""
    return conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()


def claim_due_deliveries(
    conn: sqlite3.Connection, now: float, lease_seconds: float, limit: int
) -> list[sqlite3.Row]:
    """Lease the deliveries that may go now: the oldest pending one per ordering key, when due.

    A delivery in flight or waiting for its retry holds back the later ones of its key, so a
    session's events arrive in creation order; other sessions are not held back.
    """
    rows = conn.execute(
        """
        SELECT d.id, d.event_id, d.attempts, e.payload
        FROM deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.state = 'pending'
          AND d.id = (SELECT MIN(d2.id) FROM deliveries d2
                      WHERE d2.state = 'pending' AND d2.ordering_key = d.ordering_key)
          AND d.next_attempt_at <= ?
          AND (d.lease_until IS NULL OR d.lease_until <= ?)
        ORDER BY d.id
        LIMIT ?
        """,
        (now, now, limit),
    ).fetchall()
    for row in rows:
        conn.execute("UPDATE deliveries SET lease_until = ? WHERE id = ?", (now + lease_seconds, row["id"]))
    return rows


def record_attempt(
    conn: sqlite3.Connection, delivery_id: int, *, attempted_at: float, status_code: int | None,
    error: str | None, duration_ms: int, state: str, next_attempt_at: float,
) -> None:
    """Log one attempt and move the delivery on (`delivered`, `failed`, or `pending` to retry)."""
    conn.execute(
        "INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, error, duration_ms)"
        " VALUES (?, ?, ?, ?, ?)",
        (delivery_id, attempted_at, status_code, error, duration_ms),
    )
    conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, state = ?, next_attempt_at = ?, lease_until = NULL"
        " WHERE id = ?",
        (state, next_attempt_at, delivery_id),
    )


def recent_events(
    conn: sqlite3.Connection, *, limit: int, event_type: str | None = None, ordering_key: str | None = None
) -> list[dict[str, Any]]:
    """Newest events first, each with its deliveries and their attempts."""
    clauses, args = ["1 = 1"], []
    if event_type:
        clauses.append("type = ?")
        args.append(event_type)
    if ordering_key:
        clauses.append("ordering_key = ?")
        args.append(ordering_key)
    events = conn.execute(
        f"SELECT * FROM events WHERE {' AND '.join(clauses)} ORDER BY seq DESC LIMIT ?",  # noqa: S608
        (*args, limit),
    ).fetchall()
    result = []
    for row in events:
        deliveries = []
        for delivery in conn.execute(
            "SELECT * FROM deliveries WHERE event_id = ? ORDER BY id", (row["id"],)
        ).fetchall():
            attempts = conn.execute(
                "SELECT attempted_at, status_code, error, duration_ms FROM delivery_attempts"
                " WHERE delivery_id = ? ORDER BY id",
                (delivery["id"],),
            ).fetchall()
            deliveries.append({
                "id": delivery["id"],
                "state": delivery["state"],
                "attempts": [dict(attempt) for attempt in attempts],
                "next_attempt_at": delivery["next_attempt_at"] if delivery["state"] == "pending" else None,
            })
        result.append({
            "id": row["id"],
            "type": row["type"],
            "session": row["ordering_key"],
            "created": row["created"],
            "event": json.loads(row["payload"]),
            "deliveries": deliveries,
        })
    return result


# --- Idempotency keys -----------------------------------------------------------------------


def find_saved_response(
    conn: sqlite3.Connection, scope: str, key: str, not_before: int
) -> SavedResponse | None:
    """The saved answer for this API key's idempotency key, if younger than the retention."""
    row = conn.execute(
        "SELECT path, fingerprint, status_code, body, request_id FROM idempotency_keys"
        " WHERE scope = ? AND key = ? AND created >= ?",
        (scope, key, not_before),
    ).fetchone()
    return None if row is None else SavedResponse(**dict(row))


def save_response(
    conn: sqlite3.Connection, scope: str, key: str, *, path: str, fingerprint: str,
    status_code: int, body: str, request_id: str, now: int,
) -> None:
    """Remember the first answer under an idempotency key (replacing an expired one)."""
    conn.execute(
        "INSERT OR REPLACE INTO idempotency_keys"
        " (scope, key, path, fingerprint, status_code, body, request_id, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (scope, key, path, fingerprint, status_code, body, request_id, now),
    )


def purge_saved_responses(conn: sqlite3.Connection, before: int) -> int:
    """Forget idempotency keys older than the retention."""
    return conn.execute("DELETE FROM idempotency_keys WHERE created < ?", (before,)).rowcount
