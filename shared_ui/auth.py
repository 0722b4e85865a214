"""The one login shared by all apps: session users, bearer tokens, admin and service checks.

users_app is the only writer of the auth keys in the shared session. Flask-Login's `_user_id`
holds "<id>:<session_version>", so bumping a user's session_version (logout, password change,
deactivation, demotion) ends every session of that user in every app once the cached record
(at most USER_CACHE_SECONDS old) is refreshed.
"""

import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps
from urllib.parse import quote, urlsplit

from flask import abort, current_app, jsonify, redirect, request
from flask_babel import gettext as _
from flask_login import UserMixin, current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared_ui.extensions import login_manager
from shared_ui.requests_kind import header, is_api_request, is_htmx_request

UserRecord = dict
FindUser = Callable[..., UserRecord | None]  # find_user(user_id, fresh=False)

API_TOKEN_SALT = "shop.api-token"  # noqa: S105 (a salt, not a secret)
LOGIN_PATH = "/users/login"


class ShopUser(UserMixin):
    """The logged-in user as every app sees it, built from users_app's record."""

    def __init__(self, record: UserRecord):
        self.id = int(record["id"])
        self.login = record["login"]
        self.is_admin = bool(record["is_admin"])
        self._is_active = bool(record["is_active"])
        self.session_version = int(record["session_version"])

    @property
    def is_active(self) -> bool:
        return self._is_active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


def user_from_record(record: UserRecord | None, session_version) -> ShopUser | None:
    """The user, or None when the record is gone, inactive or from an older session."""
    if record is None or not record["is_active"]:
        return None
    if str(record["session_version"]) != str(session_version):
        return None
    return ShopUser(record)


def init_login(app, find_user: FindUser) -> None:
    """Set up Flask-Login to read the shared session (pages) or a bearer token (API)."""
    app.extensions["shop_find_user"] = find_user
    login_manager.init_app(app)
    # Only users_app writes the auth keys; session protection would rewrite them from any app.
    login_manager.session_protection = None
    login_manager.login_view = None
    login_manager.user_loader(_load_session_user)
    login_manager.request_loader(_load_bearer_user)
    login_manager.unauthorized_handler(_unauthorized)


def _find_user_at_least(user_id: int, session_version: int) -> UserRecord | None:
    """The user's record; fetched afresh when the cached one predates this session (a new login)."""
    find_user = current_app.extensions["shop_find_user"]
    record = find_user(user_id)
    if record is not None and int(record["session_version"]) < session_version:
        record = find_user(user_id, fresh=True)
    return record


def _load_session_user(user_id: str) -> ShopUser | None:
    if is_api_request():
        return None  # the API never trusts the cookie
    uid, _sep, session_version = user_id.partition(":")
    if not uid.isdigit() or not session_version.isdigit():
        return None
    return user_from_record(_find_user_at_least(int(uid), int(session_version)), session_version)


def _load_bearer_user(_request) -> ShopUser | None:
    if not is_api_request():
        return None
    scheme, _sep, token = header("Authorization").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    claims = read_api_token(token.strip())
    if claims is None:
        return None
    return user_from_record(_find_user_at_least(int(claims["uid"]), int(claims["sv"])), claims["sv"])


def _token_serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@lru_cache(maxsize=8)
def _serializer_for(secret_key: str) -> URLSafeTimedSerializer:
    """One serializer per secret key: it keeps nothing of a request, and making one costs more than
    checking a token with it (as shared_ui/sessions.py does for the session's)."""
    return URLSafeTimedSerializer(secret_key, salt=API_TOKEN_SALT)


def issue_api_token(record: UserRecord) -> tuple[str, datetime]:
    """A signed bearer token for this user and session version, and when it expires."""
    token = _token_serializer().dumps({"uid": record["id"], "sv": record["session_version"]})
    lifetime = timedelta(seconds=current_app.config["API_TOKEN_SECONDS"])
    return token, datetime.now(UTC).replace(microsecond=0) + lifetime


def read_api_token(token: str) -> dict | None:
    """The token's claims, or None when it is forged, malformed or expired."""
    try:
        claims = _token_serializer().loads(token, max_age=current_app.config["API_TOKEN_SECONDS"])
    except BadSignature:
        return None
    if not isinstance(claims, dict) or not str(claims.get("uid", "")).isdigit() or "sv" not in claims:
        return None
    return claims


def login_url(next_path: str | None = None) -> str:
    return f"{LOGIN_PATH}?next={_quote(next_path)}" if next_path else LOGIN_PATH


def _quote(path: str) -> str:
    return quote(path, safe="/")


def _unauthorized():
    if is_api_request():
        response = jsonify(error={"code": "unauthorized", "message": _("A valid bearer token is required.")})
        response.status_code = 401
        # A token given but not good (expired, ended by a logout, forged) says so (RFC 6750); a client
        # then asks for a new one instead of taking the call for one that needs no token.
        given = request.headers.get("Authorization", "").lower().startswith("bearer ")
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if given else "Bearer"
        return response
    if is_htmx_request():
        current = request.headers.get("HX-Current-URL", "")
        response = current_app.response_class("", status=401)
        response.headers["HX-Redirect"] = login_url(_local_part(current) or request.full_path)
        return response
    if request.method in ("GET", "HEAD"):
        return redirect(login_url(request.full_path.rstrip("?")))
    # A form sent after the session ended (Pay, Check out): back to the page it was sent from, as a
    # browser can only GET the form's address after the login (405 Method Not Allowed).
    return redirect(login_url(_local_part(request.referrer or "")))


def _local_part(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def admin_required(view):
    """Anonymous users go to the login page; logged-in users who are not admins get 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def require_service_token() -> None:
    """before_request for internal blueprints: only callers holding the service token."""
    expected = current_app.config.get("SHOP_SERVICE_TOKEN") or ""
    given = header("X-Service-Token")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(403, "This endpoint is for the shop's own services.")


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
