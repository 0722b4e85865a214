"""The one way orders_app talks to inventory: its internal stock API (DESIGN "Inventory's internal
stock API").

Every call is idempotent on inventory's side (reservations are keyed `order-<id>`, quantities
and states are absolute), so every call may be retried: connection errors, timeouts and 5xx
answers are tried again with backoff by `ServiceClient`, then reported as InventoryUnavailable.
Tests replace the client with a fake that has the same methods (`app.extensions[EXTENSION_KEY]`).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app

from orders_app.clients import outage
from shared_ui.api import parse_money
from shared_ui.service_client import ServiceClient, ServiceUnavailable

EXTENSION_KEY = "orders_inventory"
#: a reservation's states at inventory
HOLD_HELD, HOLD_COMMITTED, HOLD_RELEASED = "held", "committed", "released"


class InventoryError(Exception):
    """Inventory answered, or failed to answer, in a way the caller must handle."""


class InventoryUnavailable(InventoryError):
    """No usable answer: down, too slow, a 5xx, or an answer that makes no sense."""


class ItemNotFound(InventoryError):
    """No item with this id."""


class ItemArchived(InventoryError):
    """The item exists but is no longer sold."""


class InsufficientStock(InventoryError):
    """Not enough free stock: `short` is {item id: what inventory says is left (None if it did not say)}
    for every short line; `available` is the one short line's (one-line holds)."""

    def __init__(self, message: str, available: int | None, short: dict[int, int | None] | None = None):
        super().__init__(message)
        self.short = short or {}
        self.available = available if available is not None or len(self.short) != 1 else next(iter(self.short.values()))


class PriceChanged(InventoryError):
    """The hold was refused, nothing held: these items' prices are not the ones quoted.
    `prices` is {item id: its price in cents now}."""

    def __init__(self, message: str, prices: dict[int, int]):
        super().__init__(message)
        self.prices = prices


class HoldNotFound(InventoryError):
    """Inventory has no reservation under this key."""


class HoldConflict(InventoryError):
    """Inventory refused to move the reservation this way (e.g. commit of a released hold)."""


@dataclass(frozen=True)
class Item:
    id: int
    name: str
    price_cents: int
    quantity: int
    archived: bool


Lines = dict[int, int]
"""{item id: quantity} of a hold (lines naming the same item are summed)."""


def summed(lines) -> Lines:
    """{item id: quantity} from (item id, quantity) pairs, the same item's quantities added."""
    total: Lines = {}
    for item_id, quantity in lines:
        total[int(item_id)] = total.get(int(item_id), 0) + int(quantity)
    return total


@dataclass(frozen=True)
class Hold:
    key: str
    lines: tuple[tuple[int, int], ...]
    state: str
    expires_at: str | None

    @property
    def quantity(self) -> int:
        """Every unit held, of every line."""
        return sum(quantity for _, quantity in self.lines)

    def is_for(self, lines: Lines) -> bool:
        """Held, and for exactly these lines."""
        return self.state == HOLD_HELD and summed(self.lines) == lines


def rfc3339(moment: datetime) -> str:
    """A naive-UTC or aware datetime as inventory expects it: 2026-01-02T03:04:05Z."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


class InventoryClient:
    """Inventory's internal API over one pooled session, with short timeouts."""

    def __init__(self, app=None):
        self.client: ServiceClient | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app) -> None:
        config = app.config
        self.client = ServiceClient(
            config["INVENTORY_URL"],
            config["SHOP_SERVICE_TOKEN"],
            connect_timeout=config["INVENTORY_CONNECT_TIMEOUT"],
            read_timeout=config["INVENTORY_READ_TIMEOUT"],
            retries=config["INVENTORY_RETRIES"],
            backoff=config["INVENTORY_BACKOFF"],
            name="inventory",
        )
        app.extensions[EXTENSION_KEY] = self

    def item(self, item_id: int) -> Item:
        """The item, archived ones too; ItemNotFound when there is none."""
        response = self._call("GET", f"/inventory/internal/items/{int(item_id)}", params={"totals": "0"})
        if response.status_code == 404:
            raise ItemNotFound(f"no item {item_id}")
        return _item(self._json(response, 200))

    def items_by_id(self, item_ids) -> dict[int, Item]:
        """{id: item} of the ids that name an item (archived ones too), in one call."""
        ids = sorted({int(item_id) for item_id in item_ids})
        if not ids:
            return {}
        response = self._call("GET", "/inventory/internal/items", params={"ids": ",".join(map(str, ids))})
        body = self._json(response, 200)
        if not isinstance(body.get("items"), list):
            raise InventoryUnavailable("inventory's item list has an unexpected shape")
        return {item.id: item for item in map(_item, body["items"])}

    def hold(self, key: str, lines: Lines, expires_at: datetime, prices: dict[int, int] | None = None) -> Hold:
        """Hold every line under `key`, all or none (the existing hold when the key is known).

        `prices` ({item id: cents}) are the prices the order was written with: inventory holds
        nothing when one is not the item's price now (PriceChanged)."""
        body = {"key": key, **_lines_body(lines, prices or {}), "expires_at": rfc3339(expires_at)}
        response = self._call("POST", "/inventory/internal/reservations", json=body)
        self._raise_for_stock(response, missing=ItemNotFound)
        return _hold(self._json(response, 200, 201))

    def change_hold(
        self,
        key: str,
        *,
        lines: Lines | None = None,
        expires_at: datetime | None = None,
        held_lines: int = 1,
        prices: dict[int, int] | None = None,
    ) -> Hold:
        """Set the hold's lines (the new set, absolute; more stock only if it is free, all or none)
        and/or its expiry. `held_lines`: how many lines the hold has now (a one-line hold that stays
        one line is changed by its quantity, which every inventory understands). `prices` ({item id:
        cents}, sent in the lines form): more of an item only at this price, else PriceChanged."""
        body = {}
        if lines is not None and len(lines) == 1 and held_lines == 1 and not prices:
            [quantity] = lines.values()
            body["quantity"] = int(quantity)
        elif lines is not None:
            body["lines"] = [_line_body(i, q, (prices or {}).get(i)) for i, q in sorted(lines.items())]
        if expires_at is not None:
            body["expires_at"] = rfc3339(expires_at)
        response = self._call("PATCH", f"/inventory/internal/reservations/{key}", json=body)
        self._raise_for_stock(response)
        return _hold(self._json(response, 200))

    def commit(self, key: str) -> Hold:
        """held -> committed (the payments issue calls this when an order is paid)."""
        response = self._call("POST", f"/inventory/internal/reservations/{key}/commit", json={})
        self._raise_for_stock(response)
        return _hold(self._json(response, 200))

    def release(self, key: str, *, restock: bool = False) -> Hold | None:
        """Give the held stock back; None when inventory never had this key (nothing to give back)."""
        response = self._call("POST", f"/inventory/internal/reservations/{key}/release", json={"restock": restock})
        if response.status_code == 404:
            return None
        self._raise_for_stock(response)
        return _hold(self._json(response, 200))

    def get_hold(self, key: str) -> Hold | None:
        """The reservation under `key`, or None when inventory has none."""
        response = self._call("GET", f"/inventory/internal/reservations/{key}")
        if response.status_code == 404:
            return None
        return _hold(self._json(response, 200))

    def health_problem(self) -> str | None:
        """None when inventory's /healthz answers 200 (readyz), else what is wrong."""
        try:
            response = self.client.request("GET", "/inventory/healthz", idempotent=False)
        except ServiceUnavailable as error:
            return str(error)
        return None if response.status_code == 200 else f"inventory /healthz answered {response.status_code}"

    def _call(self, method: str, path: str, **kwargs):
        if outage.is_down(outage.INVENTORY):
            raise InventoryUnavailable(f"{method} {path}: not tried, inventory did not answer earlier in this run")
        try:
            return self.client.request(method, path, idempotent=True, **kwargs)
        except ServiceUnavailable as error:
            current_app.logger.warning("inventory unavailable: %s", error)
            outage.went_down(outage.INVENTORY)
            raise InventoryUnavailable(str(error)) from None

    @staticmethod
    def _raise_for_stock(response, missing: type[InventoryError] = HoldNotFound) -> None:
        """409 short or refused, 410 archived, 404 `missing` (an unknown item or reservation)."""
        if response.status_code not in (404, 409, 410):
            return
        error = _error_of(response)
        if response.status_code == 409 and error.get("code") == "insufficient_stock":
            short = {}
            for line in error.get("short") or ():
                if isinstance(line, dict) and _whole(line.get("item_id")):
                    short[line["item_id"]] = line["available"] if _whole(line.get("available")) else None
            available = error.get("available")
            raise InsufficientStock(
                error.get("message", "insufficient stock"), available if _whole(available) else None, short
            )
        if response.status_code == 409 and error.get("code") == "price_changed":
            prices = {
                line["item_id"]: line["price_cents"]
                for line in error.get("prices") or ()
                if isinstance(line, dict) and _whole(line.get("item_id")) and _whole(line.get("price_cents"))
            }
            raise PriceChanged(error.get("message", "price changed"), prices)
        if response.status_code == 409:
            raise HoldConflict(error.get("message", "conflict"))
        if response.status_code == 410:
            raise ItemArchived(error.get("message", "item archived"))
        raise missing(error.get("message", "not found"))

    @staticmethod
    def _json(response, *statuses: int) -> dict:
        if response.status_code not in statuses:
            raise InventoryUnavailable(f"unexpected {response.status_code} from inventory {response.url}")
        try:
            body = response.json()
        except ValueError:
            raise InventoryUnavailable(f"inventory answered {response.url} with something that is not JSON") from None
        if not isinstance(body, dict):
            raise InventoryUnavailable(f"inventory answered {response.url} with an unexpected shape")
        return body


def current_inventory() -> InventoryClient:
    """The app's inventory client (or the fake a test put in its place)."""
    return current_app.extensions[EXTENSION_KEY]


def _error_of(response) -> dict:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def _item(body: dict) -> Item:
    """Inventory's item; the price may come as integer `price_cents` or as a string `price`."""
    try:
        price = body.get("price_cents")
        if not isinstance(price, int) or isinstance(price, bool):
            price = parse_money(body.get("price"))
        archived = bool(body.get("archived")) or bool(body.get("archived_at"))
        item = Item(int(body["id"]), str(body["name"]), price, int(body["quantity"]), archived)
    except (KeyError, TypeError, ValueError):
        raise InventoryUnavailable("inventory's item has an unexpected shape") from None
    if item.price_cents is None:
        raise InventoryUnavailable("inventory's item has no usable price")
    return item


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _lines_body(lines: Lines, prices: dict[int, int]) -> dict:
    """The lines as DESIGN's contract has them, each with its quoted `price_cents` when there is one;
    one line in the one-item form (`item_id`, `quantity`), which inventory takes before and after it
    learnt lines (it refuses both forms at once)."""
    body = [_line_body(item_id, quantity, prices.get(item_id)) for item_id, quantity in sorted(lines.items())]
    return body[0] if len(body) == 1 else {"lines": body}


def _line_body(item_id: int, quantity: int, price_cents: int | None) -> dict:
    line = {"item_id": int(item_id), "quantity": int(quantity)}
    if price_cents is not None:
        line["price_cents"] = int(price_cents)
    return line


def _hold(body: dict) -> Hold:
    """Inventory's reservation: `lines`, or (the one-item contract) one `item_id` and `quantity`."""
    try:
        if isinstance(body.get("lines"), list):
            pairs = [(line["item_id"], line["quantity"]) for line in body["lines"]]
        else:
            pairs = [(body["item_id"], body["quantity"])]
        lines = tuple(sorted(summed(pairs).items()))
        return Hold(str(body["key"]), lines, str(body["state"]), body.get("expires_at"))
    except (KeyError, TypeError, ValueError):
        raise InventoryUnavailable("inventory's reservation has an unexpected shape") from None
