"""Scaled out on PostgreSQL: one instance of orders and one of inventory killed while orders flow.

Customers keep ordering through nginx while `orders-1` and then `inventory-2` are killed with
SIGKILL. Afterwards (once the sweepers have finished what the kills cut off halfway):

- no order is lost: every order answered 201 is there, Pending, holding its units at inventory;
- none is made twice: attempt k of a customer orders k units, so every order names the one request
  that made it; an order whose answer the customer never got (the instance died under it) may
  exist, but only for a request that failed, and at most once;
- no unit is lost: inventory holds exactly the orders' units, and on hand + held = what was put in.
"""

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from stacktools.client import DEFAULT_PASSWORD, new_login
from stacktools.stack import Stack, wait_until
from tests.stack.shop_orders import ledger, new_item

STOCK = 1_000_000
CUSTOMERS = 4
MAX_ATTEMPTS = 400  # per customer: at most 1 + ... + 400 units each, far below STOCK
# The test's waits while customers order: until both victims serve them, then 20 more orders after
# each kill (WAITS seconds at most). The customers order until the test stops them, after its last
# wait; LOAD_SECONDS only ends them should that never come. Shorter than the waits, it would end the
# load on a slow machine while a wait still counted on it (the wait failing, not the shop).
WAITS = {"victims serving": 60, "inventory-2 serving": 30, "after orders-1": 60, "after inventory-2": 60}
LOAD_SECONDS = sum(WAITS.values()) + 120
# What a customer may see while an instance dies: nginx's 502 for a request the dead instance had
# received, 503 from orders when inventory did not answer, 504, or the connection failing.
FAILURES = {502, 503, 504, "error"}


@dataclass
class Attempt:
    login: str
    quantity: int
    outcome: int | str
    order_id: int | None = None


@pytest.fixture(scope="module")
def scaled():
    # Customers keep ordering without paying: no limit of Pending orders per customer here.
    stack = Stack(instances=2, database="postgres", ORDERS_STALE_SECONDS="5", SHOP_MAX_PENDING_ORDERS="100000")
    try:
        stack.start()
        yield stack
    except Exception:
        for name in stack.processes:
            print(f"\n----- {name} log (tail) -----\n{stack.log(name)[-3000:]}")
        raise
    finally:
        stack.close()


def customers(stack, count: int) -> list[tuple[str, str]]:
    """`count` fresh (login, bearer token) pairs, registered through the API."""

    def one(_):
        login = new_login("survivor")
        created = requests.post(
            stack.url("/users/api/users"), json={"login": login, "password": DEFAULT_PASSWORD}, timeout=30
        )
        assert created.status_code == 201, created.text
        token = requests.post(
            stack.url("/users/api/tokens"), json={"login": login, "password": DEFAULT_PASSWORD}, timeout=30
        )
        assert token.status_code in (200, 201), token.text
        return login, token.json()["token"]

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_killing_an_orders_and_an_inventory_instance_under_load_loses_no_order_and_no_stock(scaled):
    item = new_item(scaled, price="0.50", quantity=STOCK)
    people = customers(scaled, CUSTOMERS)
    attempts: list[Attempt] = []
    stop = threading.Event()

    def customer(login, token):
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + LOAD_SECONDS
        for quantity in range(1, MAX_ATTEMPTS + 1):
            if stop.is_set() or time.monotonic() > deadline:
                return
            try:
                response = requests.post(
                    scaled.url("/orders/api/orders"),
                    json={"inventory_id": item, "quantity": quantity},
                    headers=headers,
                    timeout=15,
                )
            except requests.RequestException:
                attempts.append(Attempt(login, quantity, "error"))
            else:
                created = response.status_code == 201
                attempts.append(
                    Attempt(login, quantity, response.status_code, response.json()["id"] if created else None)
                )
                if created:
                    continue
            stop.wait(0.2)  # an instance is down: ask again shortly, as a client would

    def placed() -> int:
        return sum(1 for a in attempts if a.order_id is not None)

    def served(name: str, path: str) -> bool:
        return path in scaled.log(name)

    threads = [threading.Thread(target=customer, args=person) for person in people]
    for thread in threads:
        thread.start()
    try:
        # Both victims are serving this load when they die.
        wait_until(lambda: placed() >= 10 and served("orders-1", "/orders/api/orders"), WAITS["victims serving"])
        wait_until(lambda: served("inventory-2", "/inventory/internal/reservations"), WAITS["inventory-2 serving"])
        scaled.stop("orders-1", signal.SIGKILL)
        before = placed()
        wait_until(lambda: placed() >= before + 20, WAITS["after orders-1"])  # orders-2 carries on
        scaled.stop("inventory-2", signal.SIGKILL)
        before = placed()
        wait_until(lambda: placed() >= before + 20, WAITS["after inventory-2"])  # and inventory-1 with it
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    scaled.start("orders-1", "inventory-2")

    unexpected = [a for a in attempts if a.order_id is None and a.outcome not in FAILURES]
    assert unexpected == [], unexpected

    def orders() -> list[tuple]:
        return scaled.query(
            "orders",
            "SELECT o.id, o.user_login, l.quantity, o.status, o.hold_state FROM orders o"
            " JOIN order_lines l ON l.order_id = o.id WHERE l.inventory_id = :item",
            item=item,
        )

    def held() -> dict[str, int]:
        rows = scaled.query(
            "inventory",
            "SELECT r.key, l.quantity FROM reservations r JOIN reservation_lines l ON l.reservation_id = r.id "
            "WHERE l.item_id = :item AND r.state = 'held'",
            item=item,
        )
        return dict(rows)

    # Orders cut off halfway are placed or given up by the sweepers (the two jobs processes, every
    # 15 s, once a step is ORDERS_STALE_SECONDS old); then inventory holds exactly the orders.
    def settled():
        rows = orders()
        every_order_held = all(hold_state == "held" for *_, hold_state in rows)
        return every_order_held and held() == {f"order-{o[0]}": o[2] for o in rows} and rows

    rows = wait_until(settled, timeout=120, interval=1)

    # No order lost: every 201 is there as answered, Pending, and its customer sees it.
    by_id = {row[0]: row for row in rows}
    tokens = dict(people)
    for attempt in (a for a in attempts if a.order_id is not None):
        assert by_id.get(attempt.order_id) == (
            attempt.order_id,
            attempt.login,
            attempt.quantity,
            "Pending",
            "held",
        ), attempt
        response = requests.get(
            scaled.url(f"/orders/api/orders/{attempt.order_id}"),
            headers={"Authorization": f"Bearer {tokens[attempt.login]}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["quantity"]) == ("Pending", attempt.quantity)

    # None made twice: each order comes from one request of its customer, one order per request,
    # and the ones nobody was told about come from requests that failed.
    made = [(login, quantity) for _, login, quantity, *_ in rows]
    assert len(made) == len(set(made)), sorted(made)
    answered = {(a.login, a.quantity) for a in attempts if a.order_id is not None}
    failed = {(a.login, a.quantity) for a in attempts if a.order_id is None}
    assert set(made) <= answered | failed, sorted(set(made) - answered - failed)

    # No unit lost: on hand + held = what was put in, and held = the orders' units.
    stock = ledger(scaled, item)
    assert stock["committed"] == 0
    assert stock["held"] == sum(quantity for _, quantity in made)
    assert stock["on_hand"] + stock["held"] == STOCK
