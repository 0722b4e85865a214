"""The internal stock API for orders_app (service token only; nginx answers 404 from outside).

Every call is idempotent by the reservation key (`order-<id>`): repeating one gives the same
answer and never moves stock twice (the rules are in stock.py). Times are RFC 3339 in UTC.

A reservation holds `lines: [{item_id, quantity}]`. The one-item body of before (`item_id`,
`quantity`, and `quantity` alone in a PATCH) is still accepted as one line, and a one-line
reservation's answer still carries `item_id` and `quantity`, so callers can move to lines at their
own pace.

A hold's line may quote the price the caller wrote its order with (`price_cents`; the one-item body
too): when it is not the item's price now, nothing is held and the answer is 409 `price_changed`
with `prices: [{item_id, price_cents}]`, the prices now.
"""

import re
from datetime import UTC, datetime, timedelta

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from inventory_app import items, stock
from inventory_app.items import possible_id
from inventory_app.models import KEY_MAX, Reservation
from shared_ui.api import ApiError, cents_to_str, json_body
from shared_ui.auth import require_service_token
from shared_ui.errors import ERROR_CODES
from shared_ui.extensions import csrf

bp = Blueprint("internal", __name__, url_prefix="/inventory/internal")
csrf.exempt(bp)
bp.before_request(require_service_token)

KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]+$")
QUANTITY_MAX = 1_000_000
#: lines per reservation (an order has at most 50)
LINES_MAX = 100
#: the furthest deadline a hold may have (a boleto's due date is days away, not months)
HOLD_HORIZON = timedelta(days=60)


class StockApiError(ApiError):
    """An ApiError that names the short lines with what is left (for "only N left"), or the item."""

    def __init__(self, error: stock.StockError):
        field = "quantity" if error.code == "invalid_field" else None
        super().__init__(error.status, error.code, error.message, field=field)
        self.error = error

    def to_response(self):
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        if self.error.item_id is not None:
            error["item_id"] = self.error.item_id
        if self.error.available is not None:
            error["available"] = self.error.available
        if self.error.short is not None:
            error["short"] = [{"item_id": item_id, "available": left} for item_id, left in self.error.short]
        if self.error.prices is not None:
            error["prices"] = [
                {"item_id": item_id, "price_cents": cents} for item_id, cents in self.error.prices.items()
            ]
        response = jsonify(error=error)
        response.status_code = self.status
        return response


@bp.errorhandler(HTTPException)
def _json_error(error: HTTPException):
    """Internal callers get the JSON error shape, also for 403 and 404."""
    status = error.code or 500
    return ApiError(status, ERROR_CODES.get(status, "error"), error.description or "").to_response()


@bp.post("/reservations")
def hold():
    body = json_body()
    key = _key(body.get("key"))
    if "lines" in body:
        _not_both(body, "item_id", "quantity", "price_cents")
        lines = _lines(body["lines"])
        prices = _quoted_prices(body["lines"], one_item=False)
    else:
        lines = [(_item_id(body.get("item_id"), "item_id"), _quantity(body.get("quantity"), "quantity"))]
        prices = _quoted_prices([body], one_item=True)
    expires_at = _time(body.get("expires_at"), "expires_at")
    reservation, created = _do(stock.hold, key, lines, expires_at, prices=prices)
    return jsonify(reservation_json(reservation)), 201 if created else 200


@bp.patch("/reservations/<key>")
def change(key: str):
    body = json_body()
    lines = quantity = None
    prices = {}
    if body.get("lines") is not None:
        _not_both(body, "quantity")
        lines = _lines(body["lines"])
        prices = _quoted_prices(body["lines"], one_item=False)  # more of an item only at this price
    elif body.get("quantity") is not None:
        quantity = _quantity(body["quantity"], "quantity")
    expires_at = _time(body["expires_at"], "expires_at") if body.get("expires_at") is not None else None
    reservation = _do(stock.change_hold, key, lines=lines, quantity=quantity, expires_at=expires_at, prices=prices)
    return jsonify(reservation_json(reservation))


@bp.post("/reservations/<key>/commit")
def commit(key: str):
    return jsonify(reservation_json(_do(stock.commit, key)))


@bp.post("/reservations/<key>/release")
def release(key: str):
    body = json_body() if _has_body() else {}
    restock = body.get("restock", False)
    if not isinstance(restock, bool):
        raise ApiError(422, "invalid_field", "restock must be true or false.", field="restock")
    return jsonify(reservation_json(_do(stock.release, key, restock=restock)))


@bp.get("/reservations/<key>")
def get_reservation(key: str):
    reservation = stock.find_reservation(key)
    if reservation is None:
        raise ApiError(404, "hold_not_found", f"There is no hold {key!r}.")
    return jsonify(reservation_json(reservation))


@bp.get("/items")
def get_items():
    """Several items at once (`?ids=3,7,9`, 1 to LINES_MAX ids), as `GET /items/<id>?totals=0` gives
    each; an id with no item is left out. The cart and an order of several lines read them in one call."""
    raw = request.args.get("ids", "")
    parts = raw.split(",") if raw else []
    if not 1 <= len(parts) <= LINES_MAX or not all(part.isascii() and part.isdigit() for part in parts):
        raise ApiError(422, "invalid_field", f"ids is 1 to {LINES_MAX} item ids, separated by commas.", field="ids")
    found = items.any_items([int(part) for part in parts if len(part) <= 19])
    return jsonify(items=[_item_json(item) for item in found])


@bp.get("/items/<int:item_id>")
def get_item(item_id: int):
    """An item as orders need it, archived ones too (`archived: true`), with its held and sold units.

    `?totals=0` leaves the units out: orders reads the item for every order it places and needs
    only its name, price and stock, while the totals add up every reservation the item ever had.
    """
    item = items.any_item(item_id)
    if item is None:
        raise ApiError(404, "item_not_found", f"There is no item {item_id}.")
    totals = stock.totals(item.id) if request.args.get("totals") != "0" else {}
    return jsonify(_item_json(item) | totals)


def _item_json(item) -> dict:
    return {
        "id": item.id,
        "name": item.name,
        "description": item.description,
        "price": cents_to_str(item.price_cents),
        "price_cents": item.price_cents,
        "quantity": item.quantity,
        "archived": item.archived_at is not None,
    }


def reservation_json(reservation: Reservation) -> dict:
    """The reservation with its lines; a one-line one also with the one-item fields of before."""
    lines = [{"item_id": line.item_id, "quantity": line.quantity} for line in reservation.lines]
    answer = {"key": reservation.key, "lines": lines}
    if len(lines) == 1:
        answer |= lines[0]
    return answer | {"state": reservation.state, "expires_at": rfc3339(reservation.expires_at)}


def rfc3339(moment: datetime) -> str:
    """A naive UTC time as RFC 3339: 2026-11-29T06:30:00Z."""
    return moment.replace(microsecond=0).isoformat() + "Z"


def _do(rule, *args, **kwargs):
    try:
        return rule(*args, **kwargs)
    except stock.StockError as error:
        raise StockApiError(error) from None


def _has_body() -> bool:
    return bool(request.get_data(cache=True))


def _key(value) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= KEY_MAX or not KEY_PATTERN.match(value):
        raise ApiError(422, "invalid_field", f"key is 1 to {KEY_MAX} letters, digits or . _ : -", field="key")
    return value


def _lines(value) -> list[tuple[int, int]]:
    """[(item_id, quantity)] from `lines`: 1 to LINES_MAX objects {item_id, quantity}."""
    if not isinstance(value, list) or not 1 <= len(value) <= LINES_MAX:
        raise ApiError(422, "invalid_field", f"lines is a list of 1 to {LINES_MAX} lines.", field="lines")
    lines = []
    for n, line in enumerate(value):
        if not isinstance(line, dict):
            raise ApiError(422, "invalid_field", "Each line is an object {item_id, quantity}.", field=f"lines[{n}]")
        lines.append(
            (
                _item_id(line.get("item_id"), f"lines[{n}].item_id"),
                _quantity(line.get("quantity"), f"lines[{n}].quantity"),
            )
        )
    return lines


def _quoted_prices(lines: list[dict], *, one_item: bool) -> dict[int, int]:
    """{item id: cents} of the lines that say `price_cents`: the price the caller quoted, which the
    hold checks (an item named twice must be quoted the same)."""
    prices: dict[int, int] = {}
    for n, line in enumerate(lines):
        cents = line.get("price_cents")
        if cents is None:
            continue
        field = "price_cents" if one_item else f"lines[{n}].price_cents"
        if isinstance(cents, bool) or not isinstance(cents, int) or cents < 0:
            raise ApiError(422, "invalid_field", f"{field} must be a whole number of cents, 0 or more.", field=field)
        if prices.setdefault(line["item_id"], cents) != cents:
            raise ApiError(422, "invalid_field", f"{field} quotes another price for the same item.", field=field)
    return prices


def _not_both(body: dict, *one_item_fields: str) -> None:
    for field in one_item_fields:
        if body.get(field) is not None:
            raise ApiError(422, "invalid_field", f"Send lines or {field}, not both.", field=field)


def _item_id(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not possible_id(value):
        raise ApiError(422, "invalid_field", f"{field} must be a positive whole number.", field=field)
    return value


def _quantity(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= QUANTITY_MAX:
        raise ApiError(422, "invalid_field", f"{field} must be a whole number from 1 to {QUANTITY_MAX}.", field=field)
    return value


def _time(value, field: str) -> datetime:
    """An RFC 3339 time with its offset, as naive UTC to the second."""
    moment = None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        message = f"{field} must be an RFC 3339 time with an offset, like 2026-01-31T12:00:00Z."
        raise ApiError(422, "invalid_field", message, field=field)
    moment = moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    if moment > datetime.now(UTC).replace(tzinfo=None) + HOLD_HORIZON:
        raise ApiError(422, "invalid_field", f"{field} is more than {HOLD_HORIZON.days} days away.", field=field)
    return moment
