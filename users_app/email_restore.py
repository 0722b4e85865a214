"""Undoing an e-mail change the owner did not make: the link in the notice sent to the old address
(its token here; the undoing itself is accounts.restore_email).

Whoever changed the address knew the password, so a password reset asked from the old address
would find no account. The notice therefore carries a signed link, valid 3 days from the change,
that puts the old address back, ends every session and token of the account, stops its password
from working (the one who changed the address knows it) and sends a link to choose a new one to
the restored address.

The link carries {uid, old, at}: `at` is when the address was changed (the notice's outbox row was
written), not when the link was made, which is each time the notice is sent or sent again. It stays
good through whatever the one who changed the address does next with the password they know
(another change of address, of password, logging out everywhere), and is used up by the first
restore of the account after that change (`email_restored_at`). It says so when the account has
that address already.

The price: for those 3 days, whoever reads the old mailbox can take the account back, as they could
have with a password reset the day before the change.
"""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from users_app.extensions import db
from users_app.models import User, utcnow

SALT = "shop.email-restore"
MAX_AGE_DAYS = 3


class RestoreLinkError(Exception):
    """The link cannot be used; `message` says why, for the person holding it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user: User, old_address: str, changed_at: datetime) -> str:
    return _serializer().dumps({"uid": user.id, "old": old_address, "at": changed_at.isoformat()})


def read_token(token: str, *, lock: bool = False) -> tuple[User, str]:
    """The account and the address to put back, or RestoreLinkError (expired, used, not ours).

    `lock`: read the account under a row lock (PostgreSQL; SQLite's write transaction holds the
    whole file), so that two uses of the link at once are one after the other.
    """
    expired = RestoreLinkError(
        _("This link has expired: it worked for %(days)d days. Please contact the shop.", days=MAX_AGE_DAYS)
    )
    try:
        data = _serializer().loads(token, max_age=MAX_AGE_DAYS * 24 * 3600)
        changed_at = datetime.fromisoformat(data["at"])
        uid, old = data["uid"], data["old"]
    except SignatureExpired:
        raise expired from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise RestoreLinkError(_("This link is not valid.")) from None
    if utcnow() - changed_at > timedelta(days=MAX_AGE_DAYS):
        raise expired  # sent again later (a retry), the link still counts from the change
    user = db.session.get(User, uid, with_for_update=lock, populate_existing=lock) if isinstance(uid, int) else None
    if user is None or user.deleted_at is not None or not isinstance(old, str):
        raise RestoreLinkError(_("This link is not valid."))
    restored = user.email_restored_at
    if restored is not None and changed_at <= restored:
        raise RestoreLinkError(_("This link was used already."))
    if (user.email or "").lower() == old.lower():
        raise RestoreLinkError(_("%(email)s is the address of this account already.", email=old))
    return user, old
