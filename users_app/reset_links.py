"""The password reset link's token: signed {uid, fp}, valid 30 minutes, single use.

`fp` is a fingerprint of the password hash the account had when the link was made, so setting a
new password (or any change of it) makes the link, and every older one, unusable.
"""

from hashlib import sha256

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from users_app.extensions import db
from users_app.models import User

SALT = "shop.password-reset"
MAX_AGE_SECONDS = 30 * 60


class ResetLinkError(Exception):
    """The link cannot be used; `message` says why, for the person holding it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(password_hash: str) -> str:
    return sha256(password_hash.encode()).hexdigest()[:16]


def make_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user.password_hash)})


def user_for_token(token: str) -> User:
    """The account the link is for, or ResetLinkError (expired, used, or not a link of ours)."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired:
        raise ResetLinkError(_("This link has expired: links work for 30 minutes. Ask for a new one.")) from None
    except BadSignature:
        raise ResetLinkError(_("This link is not valid. Ask for a new one.")) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or user.deleted_at is not None or not user.is_active:
        raise ResetLinkError(_("This link is not valid. Ask for a new one."))
    if _fingerprint(user.password_hash) != data.get("fp"):
        raise ResetLinkError(
            _("This link was used already, or the password was changed since it was sent. Ask for a new one.")
        )
    return user
