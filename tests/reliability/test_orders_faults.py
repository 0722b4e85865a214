"""Ordering when inventory or orders_app fails halfway: never a hold without a Pending order, never
a Pending order without a hold.

A module of its own Stack (these tests stop and kill processes). orders_app talks to inventory
through `InventoryProxy`, a small forwarding server in the test that can delay or spoil the answer
to a hold after inventory has applied it.
"""

import http.server
import json
import signal
import subprocess
import threading

import pytest
import requests

from shared_ui.config import PROJECT_ROOT
from stacktools.stack import Stack, free_port, serve
from tests.stack.shop_orders import admin_token, customer, new_item, order, placed, reservation, stock_of

HOLDS = "/inventory/internal/reservations"
FORWARDED_HEADERS = ("X-Service-Token", "X-Request-ID", "Content-Type")
HOLD_LIMIT = 60  # beyond gunicorn's 30 s worker timeout: an orders_app that waited would not answer 503


class InventoryProxy:
    """Forwards to the real inventory; `spoil` = "slow", "error" or "late" spoils new holds.

    "slow": the hold is applied, then the answer waits until the test sets `release` (at most
    HOLD_LIMIT seconds, a deadline only a broken orders_app would meet): orders_app's read timeout
    comes first however slow the machine.
    "error": the hold is applied, then the answer is a 500.
    "late": the hold waits on its way to inventory until the test sets `release` (a database busy
    past orders_app's timeout), then goes on; `late_answers` gets inventory's status for each.
    """

    def __init__(self):
        self.port = free_port()
        self.target = ""
        self.spoil: str | None = None
        self.release = threading.Event()
        self.hold_keys: list[str] = []
        self.late_arrived = 0
        self.late_answers: list[int] = []
        self.late_answered = threading.Condition()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.forward()

            def do_POST(self):
                self.forward()

            def do_PATCH(self):
                self.forward()

            def forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name: self.headers[name] for name in FORWARDED_HEADERS if self.headers.get(name)}
                late = proxy.spoil == "late" and self.command == "POST" and self.path == HOLDS
                if late:
                    proxy.late_arrived += 1
                    proxy.release.wait(HOLD_LIMIT)
                answer = requests.request(
                    self.command, proxy.target + self.path, data=body, headers=headers, timeout=10
                )
                status, payload = answer.status_code, answer.content
                if late:
                    with proxy.late_answered:
                        proxy.late_answers.append(status)
                        proxy.late_answered.notify_all()
                if self.command == "POST" and self.path == HOLDS:
                    proxy.hold_keys.append(json.loads(body)["key"])
                    if proxy.spoil == "slow":
                        proxy.release.wait(HOLD_LIMIT)  # past orders_app's 3 s read timeout
                    elif proxy.spoil == "error":
                        status, payload = 500, b'{"error": {"code": "internal_error", "message": "boom"}}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # orders_app gave up waiting

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def proxy():
    server = InventoryProxy()
    yield server
    server.close()


@pytest.fixture(scope="module")
def shop(proxy, request):
    # The jobs process's sweeper finishes a step left halfway once it is ORDERS_STALE_SECONDS old (60 s
    # by default, every 15 s): on a loaded machine the killed order of a test below could reach that
    # age, and be placed behind the test's back, before the test looks at it unfinished and runs its
    # own sweep (--older-than 0). An hour: only the tests' sweeps finish those steps.
    stack = Stack(INVENTORY_URL=proxy.url, ORDERS_STALE_SECONDS="3600")
    proxy.target = f"http://127.0.0.1:{stack.env['INVENTORY_PORT']}"
    yield from serve(stack, request, logs=("orders", "inventory", "jobs"))


@pytest.fixture(autouse=True)
def honest_proxy(proxy):
    proxy.spoil = None
    proxy.release = threading.Event()
    proxy.late_arrived, proxy.late_answers = 0, []
    yield
    proxy.spoil = None
    proxy.release.set()


def all_orders(stack) -> list[dict]:
    response = requests.get(
        stack.url("/orders/api/orders?all=1&per_page=100"),
        headers={"Authorization": f"Bearer {admin_token(stack)}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def assert_holds_match_orders(stack, item_id: int, stock_before: int) -> None:
    """Every Pending order of the item has its hold, and nothing else of the item is held."""
    pending = [o for o in all_orders(stack) if o["inventory_id"] == item_id and o["status"] == "Pending"]
    for found in pending:
        hold = reservation(stack, found["id"])
        assert hold is not None and hold["state"] == "held" and hold["quantity"] == found["quantity"], found
    assert stock_of(stack, item_id) == stock_before - sum(o["quantity"] for o in pending)


def sweep(stack) -> dict:
    """`flask --app orders_app orders sweep`, finishing every unfinished step at once."""
    result = subprocess.run(
        [str(PROJECT_ROOT / ".venv/bin/flask"), "--app", "orders_app", "orders", "sweep", "--older-than", "0"],
        cwd=PROJECT_ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_inventory_stopped_ordering_fails_with_the_apps_503_and_holds_nothing(shop):
    item = new_item(shop, quantity=10)
    alice = customer(shop)
    shop.stop("inventory")
    try:
        response = order(alice, item, 2)
        # orders_app's own answer (not gunicorn's or nginx's after a timeout); how fast a refused
        # connection fails is tests/orders_app/test_inventory_client.py's, without a clock
        assert response.status_code == 503
        assert "the inventory service is not answering; nothing was reserved" in response.text
        quote = alice.get(f"/orders/quote?inventory_id={item}&quantity=2", htmx=True)
        assert "the inventory service is not answering" in quote.text
    finally:
        shop.start("inventory")
    assert [o for o in all_orders(shop) if o["inventory_id"] == item] == []
    assert_holds_match_orders(shop, item, 10)
    placed(order(alice, item, 2))  # and once inventory is back, ordering works again
    assert_holds_match_orders(shop, item, 10)


def test_inventory_slow_past_the_timeout_leaves_nothing_held(shop, proxy):
    item = new_item(shop, quantity=10)
    alice = customer(shop)
    proxy.spoil = "slow"
    response = order(alice, item, 3)
    proxy.release.set()  # the answer orders_app no longer waits for
    # orders_app's own 503, inside gunicorn's 30 s worker timeout (past it nginx would answer 502)
    assert response.status_code == 503 and "nothing was reserved" in response.text
    key = proxy.hold_keys[-1]
    assert reservation(shop, int(key.split("-")[1]))["state"] == "released"  # it was held, then given back
    assert [o for o in all_orders(shop) if o["inventory_id"] == item] == []
    assert_holds_match_orders(shop, item, 10)


def test_a_hold_reaching_inventory_after_the_order_gave_up_on_it_holds_nothing(shop, proxy):
    """The hold is slow on its way (inventory's database busy): orders_app's timeouts pass, it
    releases the key (unknown yet to inventory) and tells the customer nothing was reserved. When
    the hold (and its retry) then reach inventory, they take nothing: no order will pay for them,
    and the units would be off sale for everyone until the hold's expiry, 35 minutes later."""
    item = new_item(shop, quantity=10)
    alice = customer(shop)
    proxy.spoil = "late"
    response = order(alice, item, 3)
    assert response.status_code == 503 and "nothing was reserved" in response.text
    arrived = proxy.late_arrived
    proxy.release.set()  # the holds go on to inventory now
    with proxy.late_answered:
        assert proxy.late_answered.wait_for(lambda: len(proxy.late_answers) == arrived, timeout=HOLD_LIMIT)
    assert arrived == 2 and proxy.late_answers == [409, 409]  # tried, then retried: refused, the key is spent
    assert [o for o in all_orders(shop) if o["inventory_id"] == item] == []
    assert_holds_match_orders(shop, item, 10)


def test_inventory_applying_a_hold_then_answering_500_leaves_nothing_held(shop, proxy):
    item = new_item(shop, quantity=10)
    alice = customer(shop)
    proxy.spoil = "error"
    response = order(alice, item, 4)
    assert response.status_code == 503 and "nothing was reserved" in response.text
    key = proxy.hold_keys[-1]
    assert proxy.hold_keys.count(key) == 2  # tried, then retried: the same key, so held once
    assert reservation(shop, int(key.split("-")[1]))["state"] == "released"
    assert_holds_match_orders(shop, item, 10)
    proxy.spoil = None
    order_id = placed(order(alice, item, 4))
    assert reservation(shop, order_id)["quantity"] == 4
    assert_holds_match_orders(shop, item, 10)


def test_orders_killed_between_hold_and_order_write_is_finished_after_restart(shop, proxy):
    item = new_item(shop, quantity=10)
    alice = customer(shop)
    earlier = placed(order(alice, item, 1))
    shop.env["ORDERS_FAULT_AFTER_HOLD"] = "exit"  # test-only hook: the worker dies once inventory held
    shop.stop("orders")
    shop.start("orders")
    try:
        response = order(alice, item, 2)
        assert response.status_code in (502, 503, 504)
    finally:
        del shop.env["ORDERS_FAULT_AFTER_HOLD"]
        shop.stop("orders", signal.SIGKILL)
        shop.start("orders")
    crashed = int(proxy.hold_keys[-1].split("-")[1])
    assert reservation(shop, crashed)["state"] == "held"  # held at inventory, not yet placed here
    assert crashed not in [o["id"] for o in all_orders(shop)]  # and invisible while unfinished

    assert sweep(shop) == {"placed": 1}
    orders = {o["id"]: o for o in all_orders(shop) if o["inventory_id"] == item}
    assert set(orders) == {earlier, crashed} and orders[crashed]["status"] == "Pending"
    assert_holds_match_orders(shop, item, 10)
    assert "sweeper" in alice.get(f"/orders/{crashed}").text
    assert sweep(shop) == {}
    assert "orders.sweep" in shop.log("jobs")  # the jobs process runs the same sweeper every 15 s


def test_a_cancel_while_inventory_is_down_returns_the_stock_once_it_is_back(shop):
    item = new_item(shop, quantity=10)
    alice = customer(shop)
    order_id = placed(order(alice, item, 3))
    shop.stop("inventory")
    try:
        cancelled = alice.post(f"/orders/{order_id}/cancel", htmx=True)
        assert cancelled.status_code == 200 and ">Cancelled<" in cancelled.text
    finally:
        shop.start("inventory")
    # The release waits for a sweeper: this one, or the jobs process's (every 15 s), whichever comes
    # first; "skipped" when the jobs process released it between this sweep's query and its re-read.
    assert sweep(shop) in ({"released": 1}, {"skipped": 1}, {})
    assert stock_of(shop, item) == 10 and reservation(shop, order_id)["state"] == "released"
    assert sweep(shop) == {}  # and it is done once
