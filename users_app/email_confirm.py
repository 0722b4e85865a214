"""Confirming a new e-mail address: the link sent to it (its token here; the change itself is
accounts.confirm_email).

The account page's change of address only asks: the account keeps its address until the link,
sent to the new one, is opened by the account's owner, logged in. Opened by anyone holding it, a
typo's stranger would confirm their own address on the account (and could then reset its
password); logged in, only one who knows the password and reads the new inbox can.

The account keeps the change it waits for (`User.email_pending`, `email_pending_at`: the account
page shows it, sends its link again, cancels it). The link carries {uid, to, at, fp}: `to` and `at`
must be the pending change's address and asking (a link sent again later still counts its 24 hours
from then), so a newer request, a link sent again, a cancel, a confirmed change, a password change
or a restored address (each drops or replaces the pending change) makes every link sent before
unusable, and the outbox sends none of them any more (users_app/mail.py); `fp`, a fingerprint of the
account's address and password hash when the link was made, holds as well.

A link opened logged out waits in the session (SESSION_KEY) through the login: the login page's
address never carries it (nginx's error log, a Referer, the history).
"""

from datetime import datetime, timedelta
from hashlib import sha256

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from users_app.extensions import db
from users_app.models import User, utcnow

SALT = "shop.email-confirm"
MAX_AGE_HOURS = 24
#: the session's copy of a link opened logged out, kept through the login (views/auth.py)
SESSION_KEY = "email_confirm_link"
#: longer than any token make_token writes (its address at most 254 characters)
TOKEN_MAX = 1024


class ConfirmLinkError(Exception):
    """The link cannot be used; `message` says why, for the person holding it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return sha256(f"{user.email or ''}\n{user.password_hash}".encode()).hexdigest()[:16]


def expires_at(asked_at: datetime) -> datetime:
    """Until when the link of a change asked at `asked_at` works."""
    return asked_at + timedelta(hours=MAX_AGE_HOURS)


def make_token(user: User, new_address: str, asked_at: datetime) -> str:
    data = {"uid": user.id, "to": new_address, "at": asked_at.isoformat(), "fp": _fingerprint(user)}
    return _serializer().dumps(data)


def read_token(token: str, user_id: int, *, lock: bool = False) -> tuple[User, str]:
    """The account (the logged-in `user_id`'s) and its new address, or ConfirmLinkError (expired,
    used, for another account, not ours). `lock`: read the account under a row lock, so that two
    uses of the link at once are one after the other."""
    expired = ConfirmLinkError(
        _("This link has expired: it worked for %(hours)d hours. Change your address again.", hours=MAX_AGE_HOURS)
    )
    invalid = ConfirmLinkError(_("This link is not valid."))
    try:
        data = _serializer().loads(token, max_age=MAX_AGE_HOURS * 3600)
        asked_at = datetime.fromisoformat(data["at"])
        uid, new, fp = data["uid"], data["to"], data["fp"]
    except SignatureExpired:
        raise expired from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise invalid from None
    if utcnow() - asked_at > timedelta(hours=MAX_AGE_HOURS):
        raise expired  # sent again later (a retry), the link still counts from the asking
    if not isinstance(uid, int) or not isinstance(new, str):
        raise invalid
    if uid != user_id:
        raise ConfirmLinkError(_("This link is for another account. Log out, and log in to that account to open it."))
    user = db.session.get(User, uid, with_for_update=lock, populate_existing=lock)
    if user is None or user.deleted_at is not None:
        raise invalid
    if (user.email or "").lower() == new.lower():
        raise ConfirmLinkError(_("%(email)s is the address of your account already.", email=user.email))
    pending = (user.email_pending or "").lower() == new.lower() and user.email_pending_at == asked_at
    if not pending or _fingerprint(user) != fp:
        raise ConfirmLinkError(
            _(
                "This link no longer works: it was used already, a newer link was sent, the change was "
                "cancelled, or your password changed since. Your account page shows the change waiting, if any."
            )
        )
    return user, user.email_pending
