"""Limits on guessing and floods: failed logins per login and per address, registrations per address.

Successful logins never count. Counts live in users_app's database, so every worker and instance
sees the same numbers; `prune` (a periodic job) drops what no limit looks at any more.

A login attempt is counted and written as a failure in one transaction under a lock of its login
and address (so parallel guesses are counted one after the other), before the slow password hash,
and forgotten once its password checks out; a registration is written first and counts whatever
its outcome. Checking first and writing after the hash let sixteen parallel guesses all pass the
check before any of them was written; writing first and then counting (and forgetting what was
refused) let all sixteen see each other on PostgreSQL, all be refused and forgotten, and leave none.
"""

from datetime import timedelta
from hashlib import sha256

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select, text

from shared_ui.db import write_transaction
from users_app.extensions import db
from users_app.models import Attempt, utcnow

LOGIN_WINDOW = timedelta(minutes=15)
REGISTER_WINDOW = timedelta(hours=1)
MAX_WAIT = timedelta(minutes=15)


class Throttled(Exception):
    """Too many attempts; `retry_after` seconds until the next one is allowed."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = max(1, retry_after)


def _count_since(kind: str, since, other_than: int | None = None, **where) -> tuple[int, object]:
    column = Attempt.login_key if "login_key" in where else Attempt.address
    value = where.get("login_key", where.get("address"))
    query = select(func.count(), func.max(Attempt.at)).where(Attempt.kind == kind, column == value, Attempt.at >= since)
    if other_than is not None:
        query = query.where(Attempt.id != other_than)
    count, last = db.session.execute(query).one()
    return count, last


def start_login(login: str, address: str) -> int:
    """Count, then record the attempt as failed, in one transaction that holds this login's and this
    address's lock: raise Throttled (recording nothing) when over a limit.

    Returns the attempt's id; `forget` it when the password checks out (successes never count).
    Sixteen parallel guesses queue on the lock, so the first few are counted and the rest refused.
    """
    login_key = _login_key(login)
    with write_transaction(db):
        _serialize(f"login:{login_key}", f"address:{address}")
        check_login(login, address)
        attempt = Attempt(kind="login_failed", address=address, login_key=login_key or None)
        db.session.add(attempt)
        db.session.flush()
        return attempt.id


def _login_key(login: str | None) -> str:
    return (login or "").strip().lower()[:64]


def _serialize(*names: str) -> None:
    """One transaction at a time per name: SQLite's BEGIN IMMEDIATE already lets one writer in;
    PostgreSQL takes a transaction-scoped advisory lock per name, always in the same order."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for name in sorted(names):
        key = int.from_bytes(sha256(name.encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def check_login(login: str, address: str, other_than: int | None = None) -> None:
    """Raise Throttled when this login or this address has failed too often lately.

    `other_than`: the caller's own attempt, already recorded, which is not among the earlier ones.
    """
    config = current_app.config
    now = utcnow()
    failures, last = _count_since("login_failed", now - LOGIN_WINDOW, other_than, login_key=_login_key(login))
    free = config["SHOP_LOGIN_FAILURES_PER_LOGIN"]
    if failures >= free:
        # Each failure past the free ones doubles the wait: 30 s, 1 min, 2 min ... up to 15 min.
        wait = min(timedelta(seconds=30 * 2 ** (failures - free)), MAX_WAIT)
        remaining = int((last + wait - now).total_seconds())
        if remaining > 0:
            message = _("Too many failed attempts for this login. Try again in %(wait)s.", wait=_humane(remaining))
            raise Throttled(message, remaining)
    failures, last = _count_since("login_failed", now - LOGIN_WINDOW, other_than, address=address)
    if failures >= config["SHOP_LOGIN_FAILURES_PER_ADDRESS"]:
        remaining = int((last + LOGIN_WINDOW - now).total_seconds())
        message = _("Too many failed logins from your network. Try again in %(wait)s.", wait=_humane(remaining))
        raise Throttled(message, remaining)


def start_registration(address: str) -> None:
    """Record a registration attempt (every one counts, whatever its outcome), then count.

    Raise Throttled when this address has made more than the hourly limit.
    """
    record("register", address)
    count, _last = _count_since("register", utcnow() - REGISTER_WINDOW, address=address)
    if count > current_app.config["SHOP_REGISTRATIONS_PER_HOUR"]:
        raise Throttled(_("Too many new accounts from your network. Please try again later."), 3600)


def record(kind: str, address: str, login: str | None = None) -> int:
    """Write an attempt; its id."""
    with write_transaction(db):
        attempt = Attempt(kind=kind, address=address, login_key=_login_key(login) or None)
        db.session.add(attempt)
        db.session.flush()
        return attempt.id


def forget(attempt_id: int) -> None:
    """Take back a recorded login attempt (its password checked out, or it was refused unheard)."""
    with write_transaction(db):
        db.session.execute(delete(Attempt).where(Attempt.id == attempt_id))


def prune() -> int:
    """Delete attempts older than every window; returns how many."""
    with write_transaction(db):
        result = db.session.execute(delete(Attempt).where(Attempt.at < utcnow() - REGISTER_WINDOW - LOGIN_WINDOW))
    return result.rowcount


def _humane(seconds: int) -> str:
    seconds = max(1, seconds)
    if seconds < 90:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    return ngettext("%(num)d minute", "%(num)d minutes", round(seconds / 60))
