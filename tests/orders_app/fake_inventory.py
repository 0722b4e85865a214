"""An in-memory inventory with the methods of orders_app.clients.inventory.InventoryClient.

It keeps to DESIGN's stock rules (a hold takes stock only if it is free, a known key answers the
existing hold, release gives it back once) and can be told to fail: `down` (nothing answers),
`fail(method, "before")` (no answer, nothing done) and `fail(method, "after")` (done, but the
answer is lost: a timeout or a 500 after the change).
"""

import threading
from dataclasses import replace
from datetime import datetime

from orders_app.clients.inventory import (
    HOLD_COMMITTED,
    HOLD_HELD,
    HOLD_RELEASED,
    Hold,
    HoldConflict,
    HoldNotFound,
    InsufficientStock,
    InventoryUnavailable,
    Item,
    ItemArchived,
    ItemNotFound,
    PriceChanged,
    rfc3339,
    summed,
)


class FakeInventory:
    def __init__(self):
        self.items: dict[int, Item] = {}
        self.holds: dict[str, Hold] = {}
        self.down = False
        self.calls: list[str] = []
        self.faults: dict[str, list[str]] = {}
        #: called as before_call(method, args) before a call is applied, after_call(method, args)
        #: once it is applied and before its answer (concurrency tests)
        self.before_call = None
        self.after_call = None
        self._lock = threading.RLock()

    # ----- test controls -----

    def add_item(self, name: str, price_cents: int, quantity: int, archived: bool = False) -> int:
        item_id = len(self.items) + 1
        self.items[item_id] = Item(item_id, name, price_cents, quantity, archived)
        return item_id

    def stock(self, item_id: int) -> int:
        return self.items[item_id].quantity

    def held(self) -> dict[str, int]:
        """{key: units} of the reservations in state held."""
        return {key: hold.quantity for key, hold in self.holds.items() if hold.state == HOLD_HELD}

    def sweep_expired(self, now: datetime) -> list[str]:
        """What inventory's hold sweeper does at `now` (naive UTC): holds past their expires_at are
        released, their stock back; their keys."""
        with self._lock:
            lapsed = [
                key
                for key, hold in self.holds.items()
                if hold.state == HOLD_HELD and datetime.fromisoformat(hold.expires_at.rstrip("Z")) <= now
            ]
        for key in lapsed:
            self.release(key)
        return lapsed

    def fail(self, method: str, mode: str = "before", times: int = 1) -> None:
        self.faults.setdefault(method, []).extend([mode] * times)

    # ----- the client's interface -----

    def item(self, item_id: int) -> Item:
        with self._call("item", item_id):
            if item_id not in self.items:
                raise ItemNotFound(str(item_id))
            return self.items[item_id]

    def items_by_id(self, item_ids) -> dict[int, Item]:
        with self._call("items_by_id", tuple(item_ids)):
            return {item_id: self.items[item_id] for item_id in item_ids if item_id in self.items}

    def hold(self, key, lines, expires_at, prices=None) -> Hold:
        lines = summed(lines.items())
        with self._call("hold", key, lines, prices):
            if key in self.holds:
                existing = self.holds[key]
                if summed(existing.lines) != lines:
                    raise HoldConflict(f"{key} exists for other lines")
                return existing
            for item_id in sorted(lines):
                item = self.items.get(item_id)
                if item is None:
                    raise ItemNotFound(str(item_id))
                if item.archived:
                    raise ItemArchived(item.name)
            self._take_all(lines)
            changed = {
                i: self.items[i].price_cents
                for i, cents in (prices or {}).items()
                if self.items[i].price_cents != cents
            }
            if changed:
                for item_id, quantity in lines.items():  # all or none: nothing stays taken
                    self._give(item_id, quantity)
                raise PriceChanged("price changed", changed)
            self.holds[key] = Hold(key, tuple(sorted(lines.items())), HOLD_HELD, rfc3339(expires_at))
            return self.holds[key]

    def change_hold(self, key, *, lines=None, expires_at=None, held_lines=1, prices=None) -> Hold:
        with self._call("change_hold", key, lines):
            hold = self._hold(key)
            if hold.state != HOLD_HELD:
                raise HoldConflict(f"{key} is {hold.state}")
            if lines is not None:
                lines = summed(lines.items())
                old = summed(hold.lines)
                for item_id in sorted(set(lines) - set(old)):
                    if self.items[item_id].archived:
                        raise ItemArchived(self.items[item_id].name)
                more = {i: q - old.get(i, 0) for i, q in lines.items() if q > old.get(i, 0)}
                quoted = prices or {}
                changed = {
                    i: self.items[i].price_cents
                    for i in more
                    if quoted.get(i, self.items[i].price_cents) != self.items[i].price_cents
                }
                if changed:
                    raise PriceChanged("price changed", changed)
                self._take_all(more)
                for item_id, quantity in old.items():
                    if lines.get(item_id, 0) < quantity:
                        self._give(item_id, quantity - lines.get(item_id, 0))
                hold = replace(hold, lines=tuple(sorted(lines.items())))
            if expires_at is not None:
                hold = replace(hold, expires_at=rfc3339(expires_at))
            self.holds[key] = hold
            return hold

    def commit(self, key) -> Hold:
        with self._call("commit", key):
            hold = self._hold(key)
            if hold.state == HOLD_RELEASED:
                self._take_all(summed(hold.lines))
            self.holds[key] = replace(hold, state=HOLD_COMMITTED)
            return self.holds[key]

    def release(self, key, *, restock=False) -> Hold | None:
        with self._call("release", key):
            hold = self.holds.get(key)
            if hold is None:
                return None
            if hold.state == HOLD_COMMITTED and not restock:
                raise HoldConflict(f"{key} is committed")
            if hold.state != HOLD_RELEASED:
                for item_id, quantity in hold.lines:
                    self._give(item_id, quantity)
                self.holds[key] = replace(hold, state=HOLD_RELEASED)
            return self.holds[key]

    def get_hold(self, key) -> Hold | None:
        with self._call("get_hold", key):
            return self.holds.get(key)

    # ----- inside -----

    def _hold(self, key) -> Hold:
        if key not in self.holds:
            raise HoldNotFound(key)
        return self.holds[key]

    def _take_all(self, lines: dict[int, int]) -> None:
        """Every line or none; a 409 names every short line."""
        short = {i: self.items[i].quantity for i, q in sorted(lines.items()) if q > self.items[i].quantity}
        if short:
            raise InsufficientStock("not enough stock", None, short)
        for item_id, quantity in lines.items():
            self.items[item_id] = replace(self.items[item_id], quantity=self.items[item_id].quantity - quantity)

    def _give(self, item_id: int, quantity: int) -> None:
        item = self.items[item_id]
        self.items[item_id] = replace(item, quantity=item.quantity + quantity)

    def _call(self, method: str, *args):
        return _Call(self, method, args)


class _Call:
    """Applies the configured fault around one call."""

    def __init__(self, fake: FakeInventory, method: str, args: tuple):
        self.fake, self.method, self.args = fake, method, args
        self.mode = None

    def __enter__(self):
        fake = self.fake
        fake.calls.append(self.method)
        if fake.before_call:
            fake.before_call(self.method, self.args)
        fake._lock.acquire()
        queue = fake.faults.get(self.method)
        self.mode = queue.pop(0) if queue else None
        if fake.down or self.mode == "before":
            fake._lock.release()
            raise InventoryUnavailable(f"{self.method}: inventory is down")
        return self

    def __exit__(self, exc_type, exc, tb):
        self.fake._lock.release()
        if exc_type is None and self.fake.after_call:
            self.fake.after_call(self.method, self.args)
        if exc_type is None and self.mode == "after":
            raise InventoryUnavailable(f"{self.method}: the answer was lost")
        return False
