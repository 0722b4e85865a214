"""Scaled out on PostgreSQL: killing one instance of an app while orders flow costs no order and no unit."""

import signal
import threading
import time

import pytest
import requests

from tests.reliability.test_races import api_customers, ledger
from tests.shop_stack import Stack, wait_until
from tests.stack.test_orders import new_item


@pytest.fixture(scope="module")
def scaled():
    stack = Stack(instances=2, database="postgres", ORDERS_STALE_SECONDS="5")
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


@pytest.mark.parametrize("victim", ["orders-1", "inventory-2"])
def test_killing_one_instance_under_load_loses_no_order_and_no_stock(scaled, victim):
    item = new_item(scaled, price="1.50", quantity=400)
    tokens = api_customers(scaled, 4)
    created: list[tuple[str, int]] = []
    stop = threading.Event()

    def customer(token):
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 40  # bounded whatever happens
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                response = requests.post(
                    scaled.url("/orders/api/orders"),
                    json={"inventory_id": item, "quantity": 1},
                    headers=headers,
                    timeout=10,
                )
            except requests.RequestException:
                continue
            if response.status_code == 201:
                created.append((token, response.json()["id"]))

    threads = [threading.Thread(target=customer, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(created) >= 10, timeout=30)
    scaled.stop(victim, signal.SIGKILL)
    count_at_kill = len(created)
    wait_until(lambda: len(created) >= count_at_kill + 20, timeout=30)  # the other instance carries on
    stop.set()
    for thread in threads:
        thread.join()
    scaled.start(victim)

    # Orders cut off halfway are finished by the sweepers (two jobs processes run them).
    def settled():
        stock = ledger(scaled, item)
        pending = scaled.query(
            "orders",
            "SELECT COALESCE(SUM(quantity), 0) FROM orders WHERE inventory_id = :item AND status = 'Pending'"
            " AND hold_state = 'held'",
            item=item,
        )[0][0]
        unsettled = scaled.query(
            "orders",
            "SELECT COUNT(*) FROM orders WHERE inventory_id = :item AND hold_state NOT IN ('held', 'released')",
            item=item,
        )[0][0]
        return unsettled == 0 and stock["held"] == pending and stock

    stock = wait_until(settled, timeout=120, interval=1)
    assert stock["on_hand"] + stock["held"] + stock["committed"] == 400
    for token, order_id in created:
        response = requests.get(
            scaled.url(f"/orders/api/orders/{order_id}"), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200 and response.json()["status"] == "Pending", order_id
    assert stock["held"] >= len(created)
