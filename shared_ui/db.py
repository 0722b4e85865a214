"""Database setup every app shares: SQLite pragmas and write transactions that lock up front."""

import contextlib
import itertools
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from hashlib import sha256
from pathlib import Path

from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import delete, event, text
from sqlalchemy.engine import Engine, make_url

SQLITE_BUSY_TIMEOUT_MS = 10_000

_immediate: ContextVar[bool] = ContextVar("sqlite_immediate", default=False)


def configure_engine(engine: Engine) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE inside write_transaction.

    pysqlite's own transaction handling begins lazily and never IMMEDIATE, so a read-then-write
    transaction fails with "database is locked" whatever the busy timeout; SQLAlchemy's documented
    recipe takes the BEGIN over from the driver.
    """
    if engine.dialect.name != "sqlite":
        return
    _create_owner_only(engine.url.database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Straight on the driver's connection: SQLAlchemy's execute path (events, result set-up)
        # costs more than the statement, and every request that reads begins one.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def _create_owner_only(database: str | None) -> None:
    """A new SQLite file readable by its owner only (it holds password hashes, addresses, orders), as
    its backups are; SQLite gives its -wal and -shm files the same mode. An existing file keeps its own."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # there already; no folder (SQLite says so)
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class ChangeTokens:
    """A value that is the same for two reads only if no connection, of any process, committed to
    the app's SQLite file between them (None for other databases, or a database in memory).

    It is SQLite's `PRAGMA data_version` read on a connection of this thread's own that never
    writes: the value moves whenever any other connection commits, this process's sessions
    included. Read before a page's queries, with no transaction of the session open (change_token
    answers None otherwise), a token can only be older than what they read, never newer. The read
    takes no session, no pool checkout and no transaction, so what a token saves is not spent
    reading it (bench/NOTES.md, ninth round).
    """

    def __init__(self, engine: Engine):
        url = engine.url
        database = url.database if url.get_backend_name() == "sqlite" else None
        self.path = database if database and database != ":memory:" and not database.startswith("file:") else None
        self._local = threading.local()
        self._numbers = itertools.count(1)

    def read(self) -> tuple[int, int] | None:
        """(this thread's connection's number, its data_version), or None."""
        if self.path is None:
            return None
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None or local.pid != os.getpid():  # none yet, or inherited through a fork
            connection = sqlite3.connect(self.path, isolation_level=None)
            local.connection, local.number, local.pid = connection, next(self._numbers), os.getpid()
        [version] = connection.execute("PRAGMA data_version").fetchone()
        return local.number, version


def change_token(db: SQLAlchemy) -> tuple[int, int] | None:
    """ChangeTokens.read() for `db` in the current app (see there); None while the session has a
    transaction open: its snapshot may be older than any token read now."""
    sessions = db.session.registry
    if sessions.has() and sessions().in_transaction():
        return None
    return current_app.extensions["shop_change_tokens"][db].read()


def init_db(app, db: SQLAlchemy) -> None:
    """Attach `db` to `app` and configure its engine (creating a SQLite file's folder)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
        app.extensions.setdefault("shop_change_tokens", {})[db] = ChangeTokens(db.engine)


@contextmanager
def write_transaction(db: SQLAlchemy, *, keep_loaded: bool = False) -> Iterator[None]:
    """Run the block in one write transaction: committed at the end, rolled back on error.

    On SQLite it begins IMMEDIATE, so the write lock is taken before the first read and two
    writers queue on the busy timeout instead of failing halfway.

    `keep_loaded=True` leaves the objects the block loaded or wrote with the values just committed
    instead of expiring them (which makes the next attribute read a SELECT): for an answer built
    from rows the block itself read under its lock and wrote. The next write_transaction expires
    everything anyway, so every saga step still reads afresh.
    """
    session = db.session()
    if session.in_transaction() or session.new or session.deleted or session.dirty:
        session.commit()  # end the read transaction the request has open (and write what it holds)
    expire_on_commit = session.expire_on_commit
    token = _immediate.set(True)
    try:
        yield
        session.expire_on_commit = expire_on_commit and not keep_loaded
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.expire_on_commit = expire_on_commit
        _immediate.reset(token)


def serialize(db: SQLAlchemy, *names: str) -> None:
    """Within a write transaction, one transaction at a time per name.

    SQLite's BEGIN IMMEDIATE (write_transaction) already lets one writer in at a time; PostgreSQL
    takes a transaction-scoped advisory lock per name, always in the same order.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for name in sorted(names):
        key = int.from_bytes(sha256(name.encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def prune_before(db: SQLAlchemy, column, before) -> dict | None:
    """A jobs process's pruning step: delete the rows of `column`'s table older than `before`, in one
    write transaction; {"pruned": n} for the jobs log, None when there was nothing to delete."""
    with write_transaction(db):
        gone = db.session.execute(delete(column.table).where(column < before)).rowcount
    return {"pruned": gone} if gone else None
