"""Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser that
logged in to an account carries a signed, long-lived, HttpOnly cookie naming that account.

Its failed logins and its password reset requests for that account are counted apart from
everyone else's (throttle.start_login, password_reset.request_reset), so a stranger who knows a
login or an address can use up only the strangers' budget: the owner, on a browser they logged in
with before, keeps theirs. Each budget stays limited, and the limits per network hold for all.

The cookie holds {n, u}: a random nonce of this browser and, for the last MAX_ACCOUNTS accounts
that logged in here, the account's id and a fingerprint of its password hash then. It is no session
and holds no password: it proves only that this browser logged in to the account with the password
it has now, and buys it nothing but its own count. A password change (which logs every other session
out) makes every other browser a stranger again until it logs in. Its budget key hashes
the nonce with the account and the purpose, so the attempts table keeps no nonce; it starts with the
account's id, so a password set by an e-mailed link forgives the failures of every browser of the
account (throttle.forgive_login), as it forgives strangers'.

API clients carry no cookie: the JSON API's token answer gives them the same thing as a string,
`device_token` (signed with a salt of its own, so neither passes for the other), which a script
sends back in the `Shop-Device` header of its later token requests, reset requests and account
deletion (`from_api_request`), for the same budget of its own.
"""

import secrets
from dataclasses import dataclass
from hashlib import sha256

from flask import Response, after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "shop.device"
API_SALT = "shop.api-device"
#: the request header an API client sends its device token in (no underscore: nginx drops such headers)
API_HEADER = "Shop-Device"
API_TOKEN_MAX = 2048  # five accounts' token is a few hundred characters; longer is not one of ours
MAX_AGE_SECONDS = 365 * 24 * 3600  # a login renews it
MAX_ACCOUNTS = 5  # one family's accounts on a shared computer; the oldest falls off
#: A budget key starts with a character no login has (accounts.LOGIN_PATTERN), and has a ":"
#: that an address's key (64 hex digits) has not, so it never counts as either.
KEY_MARK = "#"
KEY_LENGTH = 64  # Attempt.login_key's


@dataclass(frozen=True)
class Device:
    """This browser, as its device cookie names it: its nonce, and the accounts it logged in to,
    each with a fingerprint of the password it logged in with."""

    nonce: str
    accounts: tuple[tuple[int, str], ...]

    def key_for(self, user, purpose: str) -> str | None:
        """The budget this browser has for `purpose` on the account, or None when it never logged in
        to it, or did with a password the account no longer has: who once knew a password that was
        changed (which logs every other session out) is a stranger again until they log in."""
        if (user.id, fingerprint(user)) not in self.accounts:
            return None
        prefix = key_prefix(user.id)
        return prefix + sha256(f"{purpose}:{user.id}:{self.nonce}".encode()).hexdigest()[: KEY_LENGTH - len(prefix)]


def fingerprint(user) -> str:
    """Of the account's password hash (which holds its own random salt: this tells nothing of the password)."""
    return sha256(f"device:{user.password_hash}".encode()).hexdigest()[:16]


def key_prefix(user_id: int) -> str:
    """How every trusted browser's budget key for the account starts."""
    return f"{KEY_MARK}{user_id}:"


#: Only users_app reads the cookie (logins, reset requests, the account page), all under /users: a
#: browser sends it nowhere else, so the catalog of a customer who logged out is still the shared
#: copy nginx keeps for visitors without a cookie (shared_ui/page_cache.py), not their own for a year.
PATH = "/users"


def cookie_name() -> str:
    # The __Secure- prefix makes browsers refuse it unless Secure; no Domain keeps it to this host.
    # (__Host- would also pin Path=/, and so send it with every page of the shop.)
    return "__Secure-shop_device" if current_app.config["SESSION_COOKIE_SECURE"] else "shop_device"


def _serializer(salt: str = SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def from_request() -> Device | None:
    """The request's device, or None without a valid cookie (forged, expired or malformed)."""
    return _read(request.cookies.get(cookie_name()), SALT)


def from_api_request() -> Device | None:
    """The API client's device, from its `Shop-Device` header, or None without a valid one."""
    value = request.headers.get(API_HEADER)
    return _read(value, API_SALT) if value and len(value) <= API_TOKEN_MAX else None


def _read(value: str | None, salt: str) -> Device | None:
    if not value:
        return None
    try:
        data = _serializer(salt).loads(value, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str) or not isinstance(data.get("u"), list):
        return None
    accounts = tuple(
        (entry[0], entry[1])
        for entry in data["u"]
        if isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], int)
        and not isinstance(entry[0], bool)
        and isinstance(entry[1], str)
    )
    return Device(data["n"], accounts[:MAX_ACCOUNTS])


def _trusted_for(user, known: Device | None, salt: str) -> str:
    """A device value trusting this device for the account with its password as it is now (and
    keeping the accounts it was trusted for before, and its nonce)."""
    nonce = known.nonce if known else secrets.token_urlsafe(16)
    others = [[uid, fp] for uid, fp in (known.accounts if known else ()) if uid != user.id]
    return _serializer(salt).dumps({"n": nonce, "u": [[user.id, fingerprint(user)], *others][:MAX_ACCOUNTS]})


def api_token(user, known: Device | None) -> str:
    """At an API login with the right password: the device token the client may send back (a year)."""
    return _trusted_for(user, known, API_SALT)


def remember(user) -> None:
    """At a login (and a password change): the response tells this browser it is trusted for the
    account with its password as it is now (and keeps the accounts it was trusted for before, and
    its nonce)."""
    value = _trusted_for(user, from_request(), SALT)

    @after_this_request
    def set_cookie(response: Response) -> Response:
        config = current_app.config
        response.set_cookie(
            cookie_name(),
            value,
            max_age=MAX_AGE_SECONDS,
            path=PATH,
            secure=config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response
