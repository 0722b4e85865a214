"""What can happen to an account: the rules that pages, the API and the CLI all call."""

import re
from email.errors import HeaderParseError
from email.headerregistry import Address

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from shared_ui.db import write_transaction
from shared_ui.i18n import DEFAULT_LOCALE, current_locale
from users_app import email_confirm, email_restore
from users_app.devices import Device
from users_app.extensions import db
from users_app.models import User, utcnow
from users_app.passwords import hash_password, password_problem, verify_password
from users_app.throttle import count_email_change, login_attempt, start_registration

LOGIN_PATTERN = re.compile(r"^[A-Za-z0-9._@-]+$")
LOGIN_MIN, LOGIN_MAX = 3, 64
#: names an order's history gives the shop's own jobs and Stripe (orders_app/views/display.py's
#: SYSTEM_ACTORS): a customer called "Stripe" would read there as the payment company
RESERVED_LOGINS = frozenset({"sweeper", "reconcile", "inventory", "stripe"})
#: one @, something on each side, a dot in the domain; and `_mailable`
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
EMAIL_MAX = 254


class AccountError(Exception):
    """A rule was broken; `field` says which input it is about, `status` how the API answers."""

    def __init__(self, message: str, field: str | None = None, status: int = 422, code: str = "invalid_field"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
        self.code = code


def login_problem(login: str) -> str | None:
    if not LOGIN_MIN <= len(login) <= LOGIN_MAX:
        return _("Use %(min)d to %(max)d characters.", min=LOGIN_MIN, max=LOGIN_MAX)
    if not LOGIN_PATTERN.match(login):
        return _("Use letters, digits, dots, dashes, underscores or @.")
    if login.lower() in RESERVED_LOGINS:
        return _("This login is reserved. Choose another.")
    return None


def find_by_login(login: str) -> User | None:
    if "\x00" in login:  # no login has one (login_problem), and PostgreSQL refuses it in any text
        return None
    return db.session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))


def find_by_email(email: str) -> User | None:
    if "\x00" in email:  # no address has one (email_problem), and PostgreSQL refuses it in any text
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def email_problem(email: str) -> str | None:
    if len(email) > EMAIL_MAX or not EMAIL_PATTERN.match(email):
        return _("Enter an e-mail address like name@example.com.")
    if not email.isascii():
        return _("The shop's e-mail cannot reach addresses with accents or letters beyond A-Z. Use another.")
    if not _mailable(email):
        return _("Enter an e-mail address like name@example.com.")
    return None


def _mailable(email: str) -> bool:
    """Whether the shop's mail (shared_ui/mail.py, the standard library's parser) sends to exactly this
    ASCII address (it speaks no SMTPUTF8; a domain may be written in its xn-- form), read whole, as
    written ("a,b@x.com" is two addresses, "victim(x)@x.com" would go to victim@x.com)."""
    try:
        return Address(addr_spec=email).addr_spec == email
    except (ValueError, IndexError, HeaderParseError):
        return False


def _email_taken() -> AccountError:
    return AccountError(_("Another account uses this e-mail address."), "email", status=409, code="conflict")


def registration_problems(login: str, password: str, email: str | None = None) -> dict[str, str]:
    """What is wrong with each field of a registration ({} when nothing is); `email` None: not given."""
    login = (login or "").strip()
    problems = {"login": login_problem(login), "password": password_problem(password or "", login)}
    if email is not None:
        problems["email"] = email_problem(email.strip())
    return {field: problem for field, problem in problems.items() if problem}


def register(
    login: str, password: str, *, is_admin: bool = False, address: str | None = None, email: str | None = None
) -> User:
    """Create an account, or raise AccountError naming the (first) field that is wrong.

    With the caller's `address`, registrations from it are limited (throttle.Throttled); every
    attempt counts. A taken login is refused before the (slow, memory-hungry) hash is computed.
    `email` is optional here (the API's older clients); the form requires it. The account keeps the
    language the request is in when it is not the default (the visitor's choice, else what the
    browser asked for): its e-mails, written with no page to negotiate from, come in it.
    """
    login = (login or "").strip()
    password = password or ""
    email = email.strip() if email is not None else None  # "" is an address given, and not a good one
    if address:
        start_registration(address)
    for field, problem in registration_problems(login, password, email).items():
        raise AccountError(problem, field)
    if find_by_login(login):
        raise AccountError(_("This login is taken."), "login", status=409, code="conflict")
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    try:
        with write_transaction(db):
            if find_by_login(login):
                raise AccountError(_("This login is taken."), "login", status=409, code="conflict")
            if email and find_by_email(email):
                raise _email_taken()
            locale = current_locale()
            user = User(
                login=login,
                password_hash=password_hash,
                is_admin=is_admin,
                email=email,
                locale=locale if locale != DEFAULT_LOCALE else None,
            )
            db.session.add(user)
    except IntegrityError:  # another registration won the race for the login or the address
        if email and not find_by_login(login) and find_by_email(email):
            raise _email_taken() from None
        raise AccountError(_("This login is taken."), "login", status=409, code="conflict") from None
    return user


class AccountDeactivated(AccountError):
    """The right password of an account the shop deactivated (only its owner is told so)."""

    def __init__(self):
        message = _(
            "This account was deactivated by the shop: it cannot log in, and no password reset link is sent "
            "for it. Please contact the shop. An administrator can reactivate it; then you can log in again, "
            "and download your data or delete the account on your account page."
        )
        super().__init__(message, status=403, code="account_deactivated")


def authenticate(login: str, password: str, address: str, device: Device | None = None) -> User | None:
    """The active user with this login and password, or None (same time either way).

    Raises throttle.Throttled when this login or address failed too often lately; a failure
    counts towards those limits, a success never does. From a `device` trusted for the account,
    the failures of the login that count are that device's alone (users_app/devices.py).
    Raises AccountDeactivated for the right password of a deactivated account: its owner learns
    why they cannot log in, and whoever has not the password learns nothing (a wrong password for
    it is a None and a failure, as for any login, known or not). It is no failure: the password is right.
    """
    login = (login or "").strip()
    user = find_by_login(login) if len(login) <= LOGIN_MAX else None
    device_key = device.key_for(user, "login") if device and user else None
    # Read now: the attempt's transaction expires the account, and reading it again after would be
    # one more query for a login that exists than for one that does not.
    password_hash = user.password_hash if user else None
    with login_attempt(login, address, device_key) as attempt:
        if not verify_password(password_hash, password or ""):
            return None
        attempt.succeeded()
    if not user.is_active:
        raise AccountDeactivated()
    return user


def end_sessions(user: User) -> None:
    """Every session and token of this user stops working in every app within seconds."""
    with write_transaction(db):
        user.session_version += 1


def check_current_password(
    user: User, password: str, field: str, *, address: str | None, device: Device | None = None
) -> None:
    """AccountError on `field` unless `password` is the user's. With the caller's `address`, a wrong
    one counts as a failed login of the account and the login limits apply (throttle.Throttled):
    a stolen session or token cannot guess the password through a form that asks for it. From a
    `device` trusted for the account, as at a login: a guesser's failures do not refuse its owner."""
    if not address:  # no caller to hold to the limits
        matches = verify_password(user.password_hash, password or "")
    else:
        device_key = device.key_for(user, "login") if device else None
        with login_attempt(user.login, address, device_key) as attempt:
            matches = verify_password(user.password_hash, password or "")
            if matches:
                attempt.succeeded()
    if not matches:
        raise AccountError(_("This is not your current password."), field)


def change_password(
    user: User, current: str, new: str, *, address: str | None = None, device: Device | None = None
) -> None:
    """With the caller's `address`, a wrong current password counts as a failed login (check_current_password)."""
    checked = _as_checked(user)
    check_current_password(user, current, "current_password", address=address, device=device)
    if problem := password_problem(new or "", user.login):
        raise AccountError(problem, "new_password")
    password_hash = hash_password(new)
    with write_transaction(db):
        user = _still_as_checked(user, checked)
        user.password_hash = password_hash
        user.session_version += 1
        user.drop_email_change()  # its link was asked with the old password (email_confirm.py)


def _as_checked(user: User) -> tuple[str, int]:
    """What a change asked with the current password relies on: that password, those sessions."""
    return user.password_hash, user.session_version


def _still_as_checked(user: User, checked: tuple[str, int]) -> User:
    """Within a write transaction: the account re-read under its lock, or AccountError (409) when its
    password or sessions changed since its password was checked (a reset, a restored address,
    another change at once), so that the change is not written over theirs."""
    fresh = db.session.get(User, user.id, with_for_update=True, populate_existing=True)
    if fresh is None or _as_checked(fresh) != checked:
        message = _("Your account changed meanwhile: its password, or where it is logged in. Log in and try again.")
        raise AccountError(message, "current_password", status=409, code="conflict")
    return fresh


def change_email(
    user: User, current: str, email: str, *, address: str | None = None, device: Device | None = None
) -> bool:
    """Ask for a new address, with the current password (checked as change_password's): a link that
    makes it the account's (confirm_email) goes to it, and the account keeps its address until
    then. Whether another account has the address is not told here (whoever typed it could learn
    who has an account), only to the owner of its inbox, when the link is opened. Every request
    counts towards the account's hourly limit (each mails an address the shop cannot vouch for):
    throttle.Throttled past it. A request replaces the change waiting before it (its link stops
    working). The same address in other case (the same mailbox) is written at once, with no link:
    True when it was, False when a link was sent."""
    email = (email or "").strip()
    if problem := email_problem(email):
        raise AccountError(problem, "email")
    checked = _as_checked(user)
    check_current_password(user, current, "current_password", address=address, device=device)
    if user.email == email:
        return True
    try:
        with write_transaction(db):
            user = _still_as_checked(user, checked)
            if (user.email or "").lower() == email.lower():
                user.email = email
                user.drop_email_change()  # its link was for the address before (email_confirm.py's fp)
                return True
            count_email_change(user.login, address)
            _send_email_confirm(user, email)
    except IntegrityError:
        raise _email_taken() from None
    return False


def _send_email_confirm(user: User, new_address: str) -> None:
    """Within a write transaction: `new_address` is the change waiting, asked now, and a link to it
    goes in the outbox; the links sent before stop working."""
    from users_app import mail  # the outbox builds on the models

    user.email_pending = new_address
    user.email_pending_at = utcnow()  # before the message's created_at: mail.render sends it
    mail.enqueue_email_confirm(user, new_address)


def _no_change_waiting() -> AccountError:
    return AccountError(_("No change of your e-mail address is waiting."), "email", status=409, code="conflict")


def resend_email_confirm(user: User, *, address: str | None = None) -> str:
    """The link of the change waiting, sent again: a new one, working 24 hours from now (the ones
    sent before stop working). Counts towards the hourly limit as a request (throttle.Throttled).
    The address it goes to; AccountError when no change is waiting."""
    with write_transaction(db):
        user = db.session.get(User, user.id, with_for_update=True, populate_existing=True)
        if user is None or not user.email_pending:
            raise _no_change_waiting()
        count_email_change(user.login, address)
        _send_email_confirm(user, user.email_pending)
    return user.email_pending


def cancel_email_change(user: User) -> str:
    """The change waiting ends: its links stop working and none still in the outbox goes out. The
    address it was for; AccountError when no change is waiting."""
    with write_transaction(db):
        user = db.session.get(User, user.id, with_for_update=True, populate_existing=True)
        if user is None or not user.email_pending:
            raise _no_change_waiting()
        cancelled = user.email_pending
        user.drop_email_change()
    return cancelled


def confirm_email(token: str, user_id: int) -> tuple[User, str]:
    """The link of an address change opened by the logged-in `user_id`: the address it names becomes
    the account's, and a notice with an undo link goes to the one it had (email_restore.py). The
    account and its old address; ConfirmLinkError when the link cannot be used (email_confirm.py),
    AccountError when another account has the address (taken meanwhile, or all along)."""
    from users_app import mail  # the outbox builds on the models

    try:
        with write_transaction(db):
            user, new = email_confirm.read_token(token, user_id, lock=True)  # locked: two uses at once, one wins
            other = find_by_email(new)
            if other is not None and other.id != user.id:
                raise _email_taken()
            old = user.email
            user.email = new
            user.drop_email_change()
            if old:
                mail.enqueue_email_changed(user, old)
    except IntegrityError:  # the address was registered at that very moment
        raise _email_taken() from None
    return user, old


def restore_email(token: str) -> tuple[User, str]:
    """Put back the address an e-mail change notice's link names (email_restore.py says why and
    when): every session and token ends, the password stops working and a link to choose a new one
    goes to that address. The account and the address; RestoreLinkError when the link cannot be
    used, or another account has taken the address since.
    """
    from users_app import mail  # the outbox builds on the models

    taken = email_restore.RestoreLinkError(_("Another account uses that address now. Please contact the shop."))
    try:
        with write_transaction(db):
            user, old = email_restore.read_token(token, lock=True)  # again, locked: two uses at once, one wins
            other = find_by_email(old)
            if other is not None and other.id != user.id:
                raise taken
            if user.email:
                mail.enqueue_email_restored(user, user.email)
            user.email = old
            user.drop_email_change()  # asked by whoever changed the address, perhaps
            user.email_restored_at = utcnow()
            user.password_hash = ""  # matches no password (passwords.verify_password) until a new one is set
            user.session_version += 1
            mail.enqueue_password_reset(user)
    except IntegrityError:  # the address was registered at that very moment
        raise taken from None
    return user, old


def set_roles(actor_id: int, user: User, *, is_admin: bool | None = None, is_active: bool | None = None) -> None:
    """An admin promotes, demotes, deactivates or reactivates; losing a right ends the sessions."""
    if user.deleted_at is not None:
        raise AccountError(_("This account was deleted by its owner."), status=409, code="conflict")
    if user.id == actor_id and (is_admin is False or is_active is False):
        message = _("You cannot remove your own access; ask another admin.")
        raise AccountError(message, status=409, code="conflict")
    with write_transaction(db):
        # Both rows locked, in id order, and the actor's right read again under the lock: two
        # admins demoting each other at once must not both succeed and leave the shop without one.
        locked = db.session.scalars(
            select(User)
            .where(User.id.in_({actor_id, user.id}))
            .order_by(User.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        actor = next((row for row in locked if row.id == actor_id), None)
        if actor is None or not (actor.is_admin and actor.is_active and actor.deleted_at is None):
            message = _("Your administrator rights were removed meanwhile; nothing was changed.")
            raise AccountError(message, status=403, code="forbidden")
        if is_admin is not None and is_admin != user.is_admin:
            user.is_admin = is_admin
            if not is_admin:
                user.session_version += 1
        if is_active is not None and is_active != user.is_active:
            user.is_active = is_active
            if not is_active:
                user.session_version += 1


def set_locale(user: User, locale: str | None) -> None:
    """Remember the language the user chose, for their next login on any device."""
    if user.locale != locale:
        with write_transaction(db):
            user.locale = locale


def ensure_admin(login: str, password: str) -> User | None:
    """Create the bootstrap admin when that login does not exist yet; None when it does."""
    if find_by_login(login):
        return None
    return register(login, password, is_admin=True)
