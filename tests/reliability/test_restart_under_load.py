"""The whole shop restarted while customers order and pay: no committed order or payment is lost."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from shared_ui.config import PROJECT_ROOT
from stacktools.client import DEFAULT_PASSWORD, TIMEOUT, new_login
from stacktools.stack import Stack, wait_until
from tests.stack.shop_orders import ledger

CARD = "4242 4242 4242 4242"


@pytest.fixture(scope="module")
def shop():
    stack = Stack(SHOP_MAX_PENDING_ORDERS="100000")  # orders whose checkout failed in the restart stay Pending
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


def customer_token(stack) -> str:
    login = new_login("load")
    requests.post(stack.url("/users/api/users"), json={"login": login, "password": DEFAULT_PASSWORD}, timeout=10)
    response = requests.post(
        stack.url("/users/api/tokens"), json={"login": login, "password": DEFAULT_PASSWORD}, timeout=TIMEOUT
    )
    return response.json()["token"]


def test_restarting_everything_under_load_loses_no_order_and_no_payment(shop):
    admin = requests.post(
        shop.url("/users/api/tokens"), json={"login": "admin", "password": shop.env["SHOP_ADMIN_PASSWORD"]},
        timeout=TIMEOUT,
    ).json()["token"]
    item = requests.post(
        shop.url("/inventory/api/items"),
        json={"name": "Load test lamp", "description": "", "price": "4.00", "quantity": 500},
        headers={"Authorization": f"Bearer {admin}"}, timeout=TIMEOUT,
    ).json()["id"]
    tokens = [customer_token(shop) for _ in range(4)]
    created: list[tuple[str, int]] = []  # (token, order id) the shop answered 201 for
    paid: list[tuple[str, int]] = []  # orders whose payment Stripe (the emulator) completed
    stop = threading.Event()

    def customer(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        # Bounded whatever happens, yet well past the restart of the whole shop on a loaded machine
        # (the test stops the customers once enough orders are paid).
        deadline = time.monotonic() + 300
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                response = requests.post(
                    shop.url("/orders/api/orders"),
                    json={"inventory_id": item, "quantity": 1},
                    headers=headers,
                    timeout=10,
                )
                if response.status_code != 201:
                    time.sleep(0.2)
                    continue
                order_id = response.json()["id"]
                created.append((token, order_id))
                checkout = requests.post(
                    shop.url(f"/orders/api/orders/{order_id}/checkout"), headers=headers, timeout=10
                )
                if checkout.status_code != 200:
                    continue
                session_id = checkout.json()["url"].rstrip("/").rsplit("/", 1)[-1]
                done = requests.post(
                    f"{shop.env['STRIPE_API_BASE']}/_emulator/checkout/{session_id}/complete",
                    data={"card": CARD},
                    timeout=10,
                )
                if done.status_code == 200:
                    paid.append((token, order_id))
            except requests.RequestException:
                time.sleep(0.2)  # the shop is restarting: try again

    threads = [threading.Thread(target=customer, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(paid) >= 4, timeout=60)
        for name in list(shop.processes):  # every process: nginx, the apps, jobs, the emulator, mail
            shop.stop(name)
        shop.start()
        wait_until(lambda: len(paid) >= 12, timeout=120)
    finally:  # also when a wait above failed: no customer goes on ordering into the tests after this one
        stop.set()
        for thread in threads:
            thread.join()

    # Webhooks missed during the restart are what reconcile is for (the jobs process runs it too).
    subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "orders_app", "payments", "reconcile"],
        cwd=PROJECT_ROOT,
        env=shop.env,
        check=True,
        capture_output=True,
    )

    def order(token, order_id):
        response = requests.get(
            shop.url(f"/orders/api/orders/{order_id}"), headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        )
        assert response.status_code == 200, (order_id, response.text)
        return response.json()

    for token, order_id in created:
        assert order(token, order_id)["status"] in ("Pending", "Paid"), order_id
    # A payment still not applied (reconcile found its order mid-change) comes with the webhook's next
    # retry (backoff up to a minute) or the jobs process's next reconcile (every 60 s).
    for token, order_id in paid:
        wait_until(lambda t=token, o=order_id: order(t, o)["status"] == "Paid", timeout=90)

    # An order that just turned Paid has its stock committed right after (or by reconcile if inventory
    # did not answer): wait for the ledger, then check it balances.
    wait_until(lambda: ledger(shop, item)["committed"] >= len(paid), timeout=90)
    stock = ledger(shop, item)
    assert stock["on_hand"] + stock["held"] + stock["committed"] == 500
    assert stock["committed"] == len(paid)
