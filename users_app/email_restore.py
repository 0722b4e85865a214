"""Undoing an e-mail change the owner did not make: the link in the notice sent to the old address
(its token here; the undoing itself is accounts.restore_email).

Whoever changed the address knew the password, so a password reset asked from the old address
would find no account. The notice therefore carries a signed link, valid 7 days, that puts the old
address back, ends every session and token of the account, stops its password from working (the
one who changed the address knows it) and sends a link to choose a new one to the restored address.

The link carries {uid, old} and the time it was made. It stays good through whatever the one who
changed the address does next with the password they know (another change of address, of password,
logging out everywhere), and is used up by the first restore of the account (`email_restored_at`),
so every link older than that is refused. It says so when the account has that address already.
"""

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from users_app.extensions import db
from users_app.models import User

SALT = "shop.email-restore"
MAX_AGE_DAYS = 7


class RestoreLinkError(Exception):
    """The link cannot be used; `message` says why, for the person holding it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user: User, old_address: str) -> str:
    return _serializer().dumps({"uid": user.id, "old": old_address})


def read_token(token: str) -> tuple[User, str]:
    """The account and the address to put back, or RestoreLinkError (expired, used, not ours)."""
    try:
        data, made_at = _serializer().loads(token, max_age=MAX_AGE_DAYS * 24 * 3600, return_timestamp=True)
    except SignatureExpired:
        raise RestoreLinkError(
            _("This link has expired: it worked for %(days)d days. Please contact the shop.", days=MAX_AGE_DAYS)
        ) from None
    except BadSignature:
        raise RestoreLinkError(_("This link is not valid.")) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    old = data.get("old") if isinstance(data, dict) else None
    if user is None or user.deleted_at is not None or not isinstance(old, str):
        raise RestoreLinkError(_("This link is not valid."))
    restored = user.email_restored_at
    # itsdangerous keeps whole seconds: a link made in the second of a restore counts as older
    if restored is not None and made_at.replace(tzinfo=None) <= restored:
        raise RestoreLinkError(_("This link was used already."))
    if (user.email or "").lower() == old.lower():
        raise RestoreLinkError(_("%(email)s is the address of this account already.", email=old))
    return user, old
