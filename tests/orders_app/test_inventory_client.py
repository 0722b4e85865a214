"""The inventory client against a stand-in HTTP server: the contract's shapes, timeouts, retries."""

import json
import threading
from datetime import datetime

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from orders_app.clients.inventory import (
    HoldNotFound,
    InsufficientStock,
    InventoryClient,
    InventoryUnavailable,
    ItemArchived,
    ItemNotFound,
    PriceChanged,
)
from stacktools.stack import wait_until

#: how long a held answer waits for its release at most: a deadline for a broken client, never reached otherwise
HOLD_LIMIT = 30


class StandIn:
    """Answers each request with the next scripted (status, body) for its path, or (status, body, release):
    then only once the test sets the `release` event (or after HOLD_LIMIT seconds)."""

    def __init__(self):
        self.script: dict[tuple[str, str], list] = {}
        self.seen: list[tuple[str, str, dict, dict]] = []
        self.answered = 0
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, method, path, *answers):
        self.script[(method, path)] = list(answers)

    @Request.application
    def wsgi(self, request):
        body = request.get_json(silent=True) or {}
        self.seen.append((request.method, request.path, dict(request.headers), body))
        answers = self.script.get((request.method, request.path)) or [(404, {"error": {"code": "not_found"}})]
        status, payload, *release = answers.pop(0) if len(answers) > 1 else answers[0]
        if release:
            release[0].wait(HOLD_LIMIT)
        self.answered += 1
        return Response(json.dumps(payload), status, content_type="application/json")


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.server.shutdown()


@pytest.fixture
def client(app, stand_in):
    # A read timeout no answer of the stand-in comes near on a busy machine (a timed-out call is
    # tried again, which would change the calls these tests count); the slow test sets its own.
    app.config.update(INVENTORY_URL=stand_in.url, INVENTORY_READ_TIMEOUT=10, INVENTORY_BACKOFF=0.01)
    inventory = InventoryClient(app)
    with app.app_context():
        yield inventory


HOLD = {"key": "order-1", "item_id": 7, "quantity": 3, "state": "held", "expires_at": "2030-01-01T00:35:00Z"}


def test_items_come_with_integer_cents_or_a_price_string(client, stand_in):
    stand_in.answer(
        "GET", "/inventory/internal/items/7", (200, {"id": 7, "name": "Pin", "price_cents": 10, "quantity": 4})
    )
    stand_in.answer(
        "GET", "/inventory/internal/items/8", (200, {"id": 8, "name": "Cup", "price": "12.50", "quantity": 1})
    )
    assert client.item(7).price_cents == 10
    assert client.item(8).price_cents == 1250 and not client.item(8).archived


def test_an_archived_or_unknown_item(client, stand_in):
    stand_in.answer(
        "GET",
        "/inventory/internal/items/7",
        (200, {"id": 7, "name": "Pin", "price": "0.10", "quantity": 0, "archived": True}),
    )
    assert client.item(7).archived
    with pytest.raises(ItemNotFound):
        client.item(9)


def test_several_items_are_read_in_one_call(client, stand_in):
    items = [
        {"id": 7, "name": "Pin", "price_cents": 60, "quantity": 4},
        {"id": 9, "name": "Cup", "price": "1.25", "quantity": 0},
    ]
    stand_in.answer("GET", "/inventory/internal/items", (200, {"items": items}))
    found = client.items_by_id([9, 7, 8, 7])
    assert {item_id: (item.name, item.price_cents) for item_id, item in found.items()} == {
        7: ("Pin", 60),
        9: ("Cup", 125),
    }
    assert [(method, path) for method, path, *_ in stand_in.seen] == [("GET", "/inventory/internal/items")]
    stand_in.answer("GET", "/inventory/internal/items", (200, {"items": "no"}))
    with pytest.raises(InventoryUnavailable):
        client.items_by_id([7])


def test_hold_sends_the_contract_body_with_the_service_token(app, client, stand_in):
    stand_in.answer("POST", "/inventory/internal/reservations", (201, HOLD))
    hold = client.hold("order-1", {7: 3}, datetime(2030, 1, 1, 0, 35, 0, 123))
    assert (hold.key, hold.quantity, hold.state) == ("order-1", 3, "held")
    *_, headers, body = stand_in.seen[-1]
    # one line in the one-item form, which inventory takes before and after it learnt lines
    assert body == {"key": "order-1", "item_id": 7, "quantity": 3, "expires_at": "2030-01-01T00:35:00Z"}
    assert hold.lines == ((7, 3),)
    assert headers["X-Service-Token"] == app.config["SHOP_SERVICE_TOKEN"]


def test_a_hold_of_several_lines_and_the_short_ones(client, stand_in):
    path = "/inventory/internal/reservations"
    held = {"key": "order-2", "lines": [{"item_id": 9, "quantity": 1}, {"item_id": 7, "quantity": 2}], "state": "held"}
    stand_in.answer("POST", path, (201, held))
    hold = client.hold("order-2", {7: 2, 9: 1}, datetime(2030, 1, 1))
    assert hold.lines == ((7, 2), (9, 1)) and hold.is_for({9: 1, 7: 2}) and hold.quantity == 3
    *_, body = stand_in.seen[-1]
    assert body["lines"] == [{"item_id": 7, "quantity": 2}, {"item_id": 9, "quantity": 1}] and "item_id" not in body
    stand_in.answer("PATCH", "/inventory/internal/reservations/order-2", (200, held))
    stand_in.answer("PATCH", "/inventory/internal/reservations/order-1", (200, HOLD))
    client.change_hold("order-2", lines={7: 2}, held_lines=2)  # two lines become one: the lines form
    client.change_hold("order-1", lines={7: 5})  # one line stays one: its quantity
    assert [seen[-1] for seen in stand_in.seen[-2:]] == [{"lines": [{"item_id": 7, "quantity": 2}]}, {"quantity": 5}]
    short = {
        "code": "insufficient_stock",
        "message": "short",
        "short": [{"item_id": 7, "available": 1}, {"item_id": 9, "available": 0}],
    }
    stand_in.answer("POST", path, (409, {"error": short}))
    with pytest.raises(InsufficientStock) as refused:
        client.hold("order-2", {7: 2, 9: 1}, datetime(2030, 1, 1))
    assert refused.value.short == {7: 1, 9: 0}


def test_hold_refusals_become_their_errors(client, stand_in):
    path = "/inventory/internal/reservations"
    stand_in.answer("POST", path, (409, {"error": {"code": "insufficient_stock", "message": "short", "available": 2}}))
    with pytest.raises(InsufficientStock) as short:
        client.hold("order-1", {7: 3}, datetime(2030, 1, 1))
    assert short.value.available == 2
    stand_in.answer("POST", path, (410, {"error": {"code": "item_archived", "message": "gone"}}))
    with pytest.raises(ItemArchived):
        client.hold("order-1", {7: 3}, datetime(2030, 1, 1))
    stand_in.answer("POST", path, (404, {"error": {"code": "not_found", "message": "no item"}}))
    with pytest.raises(ItemNotFound):
        client.hold("order-1", {7: 3}, datetime(2030, 1, 1))


def test_a_hold_quotes_the_prices_the_order_was_written_with(client, stand_in):
    path = "/inventory/internal/reservations"
    stand_in.answer("POST", path, (201, HOLD))
    client.hold("order-1", {7: 3}, datetime(2030, 1, 1), prices={7: 1250})
    assert stand_in.seen[-1][-1] | {"expires_at": None} == {
        "key": "order-1",
        "item_id": 7,
        "quantity": 3,
        "price_cents": 1250,
        "expires_at": None,
    }
    client.hold("order-2", {7: 2, 9: 1}, datetime(2030, 1, 1), prices={7: 1250, 9: 400})
    assert stand_in.seen[-1][-1]["lines"] == [
        {"item_id": 7, "quantity": 2, "price_cents": 1250},
        {"item_id": 9, "quantity": 1, "price_cents": 400},
    ]
    changed = {"code": "price_changed", "message": "changed", "prices": [{"item_id": 9, "price_cents": 450}]}
    stand_in.answer("POST", path, (409, {"error": changed}))
    with pytest.raises(PriceChanged) as refused:
        client.hold("order-2", {7: 2, 9: 1}, datetime(2030, 1, 1), prices={7: 1250, 9: 400})
    assert refused.value.prices == {9: 450}


def test_release_and_get_of_an_unknown_key_are_none_and_patch_is_hold_not_found(client, stand_in):
    assert client.release("order-5") is None
    assert client.get_hold("order-5") is None
    with pytest.raises(HoldNotFound):
        client.change_hold("order-5", lines={7: 2})


def test_a_500_is_retried_once_then_reported_unavailable(client, stand_in):
    stand_in.answer("POST", "/inventory/internal/reservations", (500, {}), (201, HOLD))
    assert client.hold("order-1", {7: 3}, datetime(2030, 1, 1)).state == "held"
    stand_in.answer("POST", "/inventory/internal/reservations", (500, {}))
    with pytest.raises(InventoryUnavailable):
        client.hold("order-1", {7: 3}, datetime(2030, 1, 1))
    assert [s[1] for s in stand_in.seen].count("/inventory/internal/reservations") == 4


def test_a_slow_inventory_times_out_quickly(app, client, stand_in):
    app.config["INVENTORY_READ_TIMEOUT"] = 0.3
    impatient = InventoryClient(app)
    # The stand-in answers (a good item) only after the client is done: a client that waited for the
    # answer would get it, after HOLD_LIMIT, and not raise. Two tries of 0.3 s, not the server's time.
    release = threading.Event()
    stand_in.answer("GET", "/inventory/internal/items/7", (200, {"id": 7, "name": "Pin", "price_cents": 10}, release))
    try:
        with pytest.raises(InventoryUnavailable):
            impatient.item(7)
        assert stand_in.answered == 0
        assert [path for _, path, *_ in stand_in.seen] == ["/inventory/internal/items/7"] * 2
    finally:
        release.set()


def test_a_stopped_inventory_fails_at_once(app, refused_url):
    # A refused connection is the answer: the client does not wait for its connect timeout (an hour
    # here), so the call is over long before the test's deadline.
    app.config.update(INVENTORY_URL=refused_url, INVENTORY_BACKOFF=0.01, INVENTORY_CONNECT_TIMEOUT=3600)
    outcome = []

    def call():
        with app.app_context():
            try:
                InventoryClient(app).item(1)
            except InventoryUnavailable as error:
                outcome.append(error)

    threading.Thread(target=call, daemon=True).start()
    wait_until(lambda: outcome, timeout=30)


def test_nonsense_answers_are_unavailable_not_crashes(client, stand_in):
    stand_in.answer("GET", "/inventory/internal/items/7", (200, {"id": 7}))
    with pytest.raises(InventoryUnavailable):
        client.item(7)
    stand_in.answer("GET", "/inventory/internal/items/8", (403, {"error": {"code": "forbidden"}}))
    with pytest.raises(InventoryUnavailable):
        client.item(8)


def test_the_configured_timeouts_are_far_below_gunicorns(app):
    config = app.config
    worst = (config["INVENTORY_RETRIES"] + 1) * (config["INVENTORY_CONNECT_TIMEOUT"] + config["INVENTORY_READ_TIMEOUT"])
    assert 3 * worst < 30  # read the item, hold, release after a failure: still inside one request
