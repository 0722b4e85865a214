"""Limits on guessing and floods: failed logins per login and per address, registrations per address,
address changes per account.

Successful logins never count. A browser the account logged in with before counts its failures
of that login apart from everyone else's (users_app/devices.py), so guessing a login locks out the
guessers, not its owner. Counts live in users_app's database, so every worker and instance
sees the same numbers; `prune` (a periodic job) drops what no limit looks at any more.

A login attempt is written as pending before the slow password hash, in one transaction that
counts under a lock of its login and address, so parallel guesses are counted one after the other;
when its password is checked it becomes a failure or is deleted (`login_attempt`). An attempt is let
in only when it would be even if every pending one failed; when it would not be, but would be were
they all to succeed, it waits (outside the transaction, polling) until they conclude. So parallel
logins with the right password all get in, and parallel guesses never get more than the limit
through. A pending attempt older than PENDING_TIMEOUT counts as a failure (its worker died), so it
holds nobody back for long.

Two earlier designs failed. Checking first and writing after the hash let sixteen parallel guesses
all pass the check before any of them was written; writing first and then counting (and forgetting
what was refused) let all sixteen see each other on PostgreSQL, all be refused and forgotten, and
leave none. And writing each attempt as a failure until its password checked out (the fix for
both) refused parallel logins with the right password: in flight, they counted as failures.
"""

import ipaddress
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, or_, select, update

from shared_ui.db import prune_before, serialize, write_transaction
from users_app.devices import key_prefix
from users_app.extensions import db
from users_app.models import Attempt, utcnow

LOGIN_WINDOW = timedelta(minutes=15)
REGISTER_WINDOW = timedelta(hours=1)
MAX_WAIT = timedelta(minutes=15)
EMAIL_CHANGE_WINDOW = timedelta(hours=1)
LOGIN_FAILED, LOGIN_PENDING, REGISTER = "login_failed", "login_pending", "register"
EMAIL_CHANGE = "email_change"
#: How long a login's password check may stay undecided; an older pending attempt counts as a
#: failure (its worker died or hangs), and no attempt waits longer than this for others to conclude.
#: An Argon2 check takes tens of milliseconds, a few hundred on a busy machine.
PENDING_TIMEOUT = timedelta(seconds=15)
FIRST_PAUSE, LONGEST_PAUSE = 0.01, 0.2  # seconds between looks at the attempts still pending


class Throttled(Exception):
    """Too many attempts; `retry_after` seconds until the next one is allowed. `field`: the form field
    the limit is about, when not the password's (a failed-login limit)."""

    def __init__(self, message: str, retry_after: int, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = max(1, retry_after)
        self.field = field


class LoginAttempt:
    """A login attempt in flight (see `login_attempt`)."""

    def __init__(self, attempt_id: int):
        self.attempt_id = attempt_id
        self.password_matched = False

    def succeeded(self) -> None:
        """Its password checked out: the attempt is forgotten instead of counted as a failure."""
        self.password_matched = True


@contextmanager
def login_attempt(login: str, address: str, device_key: str | None = None) -> Iterator[LoginAttempt]:
    """Check a password of `login` from `address` in the block, held to the login limits.

    Raises Throttled (before the block) when over a limit. The attempt counts as a failed login
    unless the block calls `succeeded()`: a wrong password, or an error halfway, counts.
    `device_key`: the budget of a browser trusted for this login (users_app/devices.py), whose
    failures count apart from everyone else's failures of the login.
    """
    attempt = LoginAttempt(start_login(login, address, device_key))
    try:
        yield attempt
    finally:
        conclude_login(attempt.attempt_id, succeeded=attempt.password_matched)


def start_login(login: str, address: str, device_key: str | None = None) -> int:
    """Record a login attempt as pending, once the limits let it in; its id (for `conclude_login`).

    Under this login's and this address's lock: raise Throttled (recording nothing) when over a
    limit even if every pending attempt succeeds; record it when within the limits even if every
    pending attempt fails; else let the lock go, wait a moment for them to conclude and look again
    (at most PENDING_TIMEOUT, then the attempts still pending are taken as failures).

    From a trusted browser (`device_key`), the limit per login counts that browser's failures of the
    login alone (with the same limit): a stranger's guesses do not keep the owner out.
    """
    login_key, address = device_key or _login_key(login), client_network(address)
    give_up = time.monotonic() + PENDING_TIMEOUT.total_seconds()
    pause = FIRST_PAUSE
    while True:
        with write_transaction(db):
            serialize(db, f"login:{login_key}", f"address:{address}")
            now = utcnow()
            login_failures, login_at_worst = _login_tallies(Attempt.login_key, login_key, now)
            address_failures, address_at_worst = _login_tallies(Attempt.address, address, now)
            if refusal := _refusal(login_failures, address_failures, now):
                raise refusal  # over a limit whatever the attempts in flight turn out to be
            refusal = _refusal(login_at_worst, address_at_worst, now)
            if refusal is None:
                attempt = Attempt(kind=LOGIN_PENDING, address=address, login_key=login_key or None)
                db.session.add(attempt)
                db.session.flush()
                return attempt.id
            if time.monotonic() >= give_up:  # none failed yet: say so rather than the failures' text
                # "this login", not "this account": the same answer whether or not an account has it
                message = _("Too many attempts with this login are being checked at once. Try again in a moment.")
                raise Throttled(message, 5)
        wait_for_attempts_in_flight(pause)  # outside the transaction: they conclude meanwhile
        pause = min(pause * 2, LONGEST_PAUSE)


def conclude_login(attempt_id: int, *, succeeded: bool) -> None:
    """A pending attempt's outcome: a failure counts (from when it started), a success is forgotten."""
    with write_transaction(db):
        if succeeded:
            db.session.execute(delete(Attempt).where(Attempt.id == attempt_id))
        else:
            db.session.execute(
                update(Attempt)
                .where(Attempt.id == attempt_id)
                .values(kind=LOGIN_FAILED)
                .execution_options(synchronize_session=False)
            )


def wait_for_attempts_in_flight(seconds: float) -> None:
    """A login's pause while attempts before it are checking their passwords (a seam for the tests)."""
    time.sleep(seconds)


def client_network(address: str) -> str:
    """What the per-address limits count as one client: an IPv4 address, or the /64 an IPv6 address
    is in (a customer is handed a /64 or more, and could take a new address for every attempt)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ip.ipv4_mapped or ipaddress.ip_network((ip, 64), strict=False))
    return str(ip)


def _login_key(login: str | None) -> str:
    # No NUL: PostgreSQL refuses it in any text, and no login has one (a typed one counts as the login without it).
    return (login or "").replace("\x00", "").strip().lower()[:64]


Tally = tuple[int, datetime | None]  # failed logins in the window: how many, the latest one's start


def _login_tallies(column, value: str, now: datetime) -> tuple[Tally, Tally]:
    """For this login or this address: the failures so far (pending attempts past PENDING_TIMEOUT
    included), and the failures there would be if every attempt still pending failed."""
    counted = or_(Attempt.kind == LOGIN_FAILED, Attempt.at < now - PENDING_TIMEOUT)
    query = select(
        func.count().filter(counted), func.max(Attempt.at).filter(counted), func.count(), func.max(Attempt.at)
    ).where(Attempt.kind.in_((LOGIN_FAILED, LOGIN_PENDING)), column == value, Attempt.at >= now - LOGIN_WINDOW)
    failures, last_failure, attempts, last_attempt = db.session.execute(query).one()
    return (failures, last_failure), (attempts, last_attempt)


def _refusal(per_login: Tally, per_address: Tally, now: datetime) -> Throttled | None:
    """Throttled for a login with these failures of its login and of its address, or None."""
    config = current_app.config
    failures, last = per_login
    free = config["SHOP_LOGIN_FAILURES_PER_LOGIN"]
    if failures >= free and last is not None:
        # Each failure past the free ones doubles the wait: 30 s, 1 min, 2 min ... up to 15 min.
        wait = min(timedelta(seconds=30 * 2 ** min(failures - free, 6)), MAX_WAIT)
        remaining = int((last + wait - now).total_seconds())
        if remaining > 0:
            message = _("Too many failed attempts for this login. Try again in %(wait)s.", wait=_humane(remaining))
            return Throttled(message, remaining)
    failures, last = per_address
    if failures >= config["SHOP_LOGIN_FAILURES_PER_ADDRESS"] and last is not None:
        remaining = int((last + LOGIN_WINDOW - now).total_seconds())
        message = _("Too many failed logins from your network. Try again in %(wait)s.", wait=_humane(remaining))
        return Throttled(message, remaining)
    return None


def start_registration(address: str) -> None:
    """Record a registration attempt (every one counts, whatever its outcome), then count.

    Raise Throttled when this address has made more than the hourly limit. The refused attempt counts
    too, so it is an hour from it that the network may try again (and the answer says so: attempts,
    not accounts, as a login already taken counts as well).
    """
    address = client_network(address)
    with write_transaction(db):
        db.session.add(Attempt(kind=REGISTER, address=address))
    recent = (Attempt.kind == REGISTER) & (Attempt.address == address) & (Attempt.at >= utcnow() - REGISTER_WINDOW)
    count = db.session.scalar(select(func.count()).where(recent))
    if count > current_app.config["SHOP_REGISTRATIONS_PER_HOUR"]:
        message = _("Too many attempts to create an account from your network. Please try again in an hour.")
        raise Throttled(message, 3600)


def count_email_change(login: str, address: str | None) -> None:
    """Within the write transaction of an address change: count it, or raise Throttled past the
    hourly limit of the account (each change mails the address before it, so changing to stranger
    after stranger would have the shop write to each of them)."""
    login_key, since = _login_key(login), utcnow() - EMAIL_CHANGE_WINDOW
    changes = select(Attempt.at).where(Attempt.kind == EMAIL_CHANGE, Attempt.login_key == login_key)
    recent = db.session.scalars(changes.where(Attempt.at >= since).order_by(Attempt.at)).all()
    if len(recent) >= current_app.config["SHOP_EMAIL_CHANGES_PER_HOUR"]:
        wait = int((recent[0] + EMAIL_CHANGE_WINDOW - utcnow()).total_seconds())
        raise Throttled(_("You changed your e-mail address too often lately. Please try again later."), wait, "email")
    db.session.add(Attempt(kind=EMAIL_CHANGE, address=address or "", login_key=login_key))


def forgive_login(login: str, user_id: int) -> None:
    """Within a write transaction: this login's failures stop counting against it (its owner proved
    who they are by a link sent to the account's address, and chose a new password), those of every
    browser trusted for the account too, and so do pending ones old enough to count as failures.
    They still count against their addresses."""
    stale_pending = (Attempt.kind == LOGIN_PENDING) & (Attempt.at < utcnow() - PENDING_TIMEOUT)
    of_account = or_(Attempt.login_key == _login_key(login), Attempt.login_key.startswith(key_prefix(user_id)))
    db.session.execute(
        update(Attempt)
        .where(of_account, or_(Attempt.kind == LOGIN_FAILED, stale_pending))
        .values(login_key=None)
        .execution_options(synchronize_session=False)
    )


def prune() -> dict | None:
    """The jobs process's step: attempts older than every window go."""
    return prune_before(db, Attempt.at, utcnow() - REGISTER_WINDOW - LOGIN_WINDOW)


def _humane(seconds: int) -> str:
    seconds = max(1, seconds)
    if seconds < 90:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    return ngettext("%(num)d minute", "%(num)d minutes", round(seconds / 60))
