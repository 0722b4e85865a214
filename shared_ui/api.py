"""The JSON API's common shape: errors, request bodies, money and pagination."""

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from flask import jsonify, request
from flask_babel import gettext as _

from shared_ui.money import API_AMOUNT, cents_of
from shared_ui.numbers import MAX_PAGE

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
#: seconds a client waits before retrying a 503 (a service this one depends on is down): what nginx
#: says for an app that does not answer (nginx.conf, `_unavailable.json`)
RETRY_AFTER_UNAVAILABLE = "5"


class ApiError(Exception):
    """An error answered as `{"error": {"code", "message"}}` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        message = str(message)  # a lazy translation becomes text in the request's language
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def to_response(self):
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return error_json(self.status, error)


def error_json(status: int, error: dict):
    """`{"error": error}` with `status`; a 401 names the API's scheme, as HTTP requires of every 401
    (shared_ui.auth's for a missing token does too); a 503 says when to try again, as nginx's own does."""
    response = jsonify(error=error)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    if status == 503:
        response.headers["Retry-After"] = RETRY_AFTER_UNAVAILABLE
    return response


def json_body(allowed: Iterable[str] | None = None) -> dict:
    """The request's JSON object, or a 400 `malformed_json` ApiError; with `allowed`, a field not
    among them is a 422 naming it (as Stripe's API does: a field a client misspelt, or thinks is taken,
    is never silently ignored)."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON parser goes: malformed, not a crash
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_json", _("The body must be a JSON object."))
    if not storable(data):
        raise ApiError(400, "malformed_json", _("Text in the body must not contain NUL characters or lone surrogates."))
    if allowed is not None:
        only_fields(data, allowed)
    return data


def only_fields(body: dict, allowed: Iterable[str]) -> None:
    """A 422 naming the first field of `body` not among `allowed`."""
    if unknown := sorted(set(body) - set(allowed)):
        raise ApiError(422, "invalid_field", _("Unknown field %(field)r.", field=unknown[0]), field=unknown[0])


def storable(value) -> bool:
    """Every string in `value` (a JSON document or one string) can be stored as text: no NUL (PostgreSQL
    refuses it) and valid UTF-8 (a lone surrogate is not)."""
    try:
        if isinstance(value, str):
            value.encode("utf-8")  # a lone surrogate cannot be
            return "\x00" not in value
        if isinstance(value, dict):
            return all(storable(key) and storable(item) for key, item in value.items())
        if isinstance(value, list):
            return all(storable(item) for item in value)
    except (UnicodeEncodeError, RecursionError):
        return False
    return True


def page_args() -> tuple[int, int]:
    """`?page=` and `?per_page=` (at most 100), or a 400 ApiError."""
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", DEFAULT_PER_PAGE))
    except ValueError:
        raise ApiError(400, "bad_request", _("page and per_page must be whole numbers.")) from None
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        message = _("page must be from 1 to %(pages)d; per_page from 1 to %(max)d.", pages=MAX_PAGE, max=MAX_PER_PAGE)
        raise ApiError(400, "bad_request", message)
    return page, per_page


def page_of(items: list, page: int, per_page: int, total: int) -> dict:
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def cents_to_str(cents: int) -> str:
    """Integer cents as the API's money string: 1250 -> "12.50"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d}"


def parse_money(value) -> int | None:
    """A price as the API writes it ("12.50", "12.5", "12"), or a JSON number with at most two decimals, in cents.

    None for anything else, so nothing is guessed: a comma ("12,50" is not 1250), an exponent, "_",
    a sign, spaces, digits that are not ASCII, more than two decimals, a negative number.
    """
    if isinstance(value, str):
        match = API_AMOUNT.fullmatch(value)
        return cents_of(match.group(1), match.group(2)) if match else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        amount = Decimal(repr(value))  # a JSON number: 0.1 is the float nearest 0.1, whose repr is "0.1"
        # quantize raises InvalidOperation when the result has more digits than the context ("1e100")
        if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
            return None
    except InvalidOperation:
        return None
    return int(amount * 100)
