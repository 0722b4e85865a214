"""Database setup every app shares: SQLite pragmas and write transactions that lock up front."""

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

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


class _Commits:
    """How many sessions of this process have committed (counted once each commit is done)."""

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def done(self, _session) -> None:
        with self._lock:
            self.count += 1


_commits = _Commits()
event.listen(Session, "after_commit", _commits.done)
_connection_numbers = itertools.count(1)


def change_token(db: SQLAlchemy) -> tuple | None:
    """A value that is the same for two calls only if the database did not change between them, read
    in the session's transaction (before what it is about is read); None where that is not known
    (a database other than SQLite).

    SQLite's `PRAGMA data_version` is a connection's own: it changes when any other connection (of
    this process or another) commits, not when this one does. So the token is the connection's
    number, its data_version and how many commits this process has made: each changes with a
    change, and a token read before a page's queries can only be older than what they read, never
    newer (bench/NOTES.md, eighth round).
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return None
    pooled = connection.connection
    number = pooled.info.get("shop_number") or pooled.info.setdefault("shop_number", next(_connection_numbers))
    [version] = pooled.driver_connection.execute("PRAGMA data_version").fetchone()
    return number, version, _commits.count


def init_db(app, db: SQLAlchemy) -> None:
    """Attach `db` to `app` and configure its engine (creating a SQLite file's folder)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)


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
