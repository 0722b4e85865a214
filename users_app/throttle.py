"""Limits on guessing and floods: failed logins per login and per address, registrations per address.

Successful logins never count. Counts live in users_app's database, so every worker and instance
sees the same numbers; `prune` (a periodic job) drops what no limit looks at any more.
"""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select

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


def _count_since(kind: str, since, **where) -> tuple[int, object]:
    column = Attempt.login_key if "login_key" in where else Attempt.address
    value = where.get("login_key", where.get("address"))
    query = select(func.count(), func.max(Attempt.at)).where(Attempt.kind == kind, column == value, Attempt.at >= since)
    count, last = db.session.execute(query).one()
    return count, last


def check_login(login: str, address: str) -> None:
    """Raise Throttled when this login or this address has failed too often lately."""
    config = current_app.config
    now = utcnow()
    failures, last = _count_since("login_failed", now - LOGIN_WINDOW, login_key=login.strip().lower()[:64])
    free = config["SHOP_LOGIN_FAILURES_PER_LOGIN"]
    if failures >= free:
        # Each failure past the free ones doubles the wait: 30 s, 1 min, 2 min ... up to 15 min.
        wait = min(timedelta(seconds=30 * 2 ** (failures - free)), MAX_WAIT)
        remaining = int((last + wait - now).total_seconds())
        if remaining > 0:
            message = _("Too many failed attempts for this login. Try again in %(wait)s.", wait=_humane(remaining))
            raise Throttled(message, remaining)
    failures, last = _count_since("login_failed", now - LOGIN_WINDOW, address=address)
    if failures >= config["SHOP_LOGIN_FAILURES_PER_ADDRESS"]:
        remaining = int((last + LOGIN_WINDOW - now).total_seconds())
        message = _("Too many failed logins from your network. Try again in %(wait)s.", wait=_humane(remaining))
        raise Throttled(message, remaining)


def check_registration(address: str) -> None:
    now = utcnow()
    count, _last = _count_since("register", now - REGISTER_WINDOW, address=address)
    if count >= current_app.config["SHOP_REGISTRATIONS_PER_HOUR"]:
        raise Throttled(_("Too many new accounts from your network. Please try again later."), 3600)


def record(kind: str, address: str, login: str | None = None) -> None:
    with write_transaction(db):
        db.session.add(Attempt(kind=kind, address=address, login_key=(login or "").strip().lower()[:64] or None))


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
