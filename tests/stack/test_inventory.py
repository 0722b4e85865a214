"""inventory through nginx and on its own port: the catalog, the admin table, the APIs, and stock
that never oversells under concurrent buyers across gunicorn's workers and threads."""

import base64
import json
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests

from stacktools.client import TIMEOUT, ShopClient, TimedSession, new_login
from stacktools.stack import ADMIN_LOGIN, wait_until

HX = {"HX-Request": "true"}


def later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Stock:
    """The internal stock API on inventory's own port, as orders_app calls it."""

    def __init__(self, stack):
        self.base = stack.app_url("inventory", "/inventory/internal")
        self.headers = {"X-Service-Token": stack.env["SHOP_SERVICE_TOKEN"]}

    def hold(self, key, item_id, quantity=1, expires_at=None, session=None):
        body = {"key": key, "item_id": item_id, "quantity": quantity, "expires_at": expires_at or later(3600)}
        return (session or requests).post(f"{self.base}/reservations", json=body, headers=self.headers, timeout=30)

    def call(self, method, path, **kwargs):
        return requests.request(method, self.base + path, headers=self.headers, timeout=30, **kwargs)

    def item(self, item_id) -> dict:
        response = self.call("GET", f"/items/{item_id}")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def admin_token(stack):
    return ShopClient(stack.base_url).api_token(ADMIN_LOGIN, stack.env["SHOP_ADMIN_PASSWORD"])


@pytest.fixture
def stock(stack):
    return Stock(stack)


@pytest.fixture
def new_item(shop, admin_token):
    """Add an item through the admin API with a name no other test uses; returns it."""

    def _new(quantity=10, price="12.50", word=None):
        word = word or new_login("item").replace("_", "")
        body = {"name": f"Shelf {word}", "description": f"Test item {word}.", "price": price, "quantity": quantity}
        response = shop.api("POST", "/inventory/api/items", admin_token, json=body)
        assert response.status_code == 201, response.text
        return response.json() | {"word": word}

    return _new


def run_together(calls: int, target) -> list:
    """Run `target(n)` in `calls` threads released at the same moment; their results."""
    results: list = [None] * calls
    barrier = threading.Barrier(calls)

    def worker(n):
        session = TimedSession()
        barrier.wait()
        results[n] = target(n, session)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_24_concurrent_buyers_of_the_last_5_units_exactly_5_get_them(stack, stock, new_item):
    item = new_item(quantity=5)
    results = run_together(24, lambda n, s: stock.hold(f"race-{item['id']}-{n}", item["id"], 1, session=s))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 5 + [409] * 19, statuses
    refusals = [r.json()["error"] for r in results if r.status_code == 409]
    assert all(e["code"] == "insufficient_stock" and e["available"] == 0 for e in refusals)
    summary = stock.item(item["id"])
    assert (summary["quantity"], summary["held"], summary["committed"]) == (0, 5, 0)

    winners = [f"race-{item['id']}-{n}" for n, r in enumerate(results) if r.status_code == 201]
    stock.call("POST", f"/reservations/{winners[0]}/commit")
    stock.call("POST", f"/reservations/{winners[1]}/commit")
    stock.call("POST", f"/reservations/{winners[2]}/release", json={})
    summary = stock.item(item["id"])
    assert (summary["quantity"], summary["held"], summary["committed"]) == (1, 2, 2)
    assert summary["quantity"] + summary["held"] + summary["committed"] == 5


def test_concurrent_repeats_of_one_hold_move_stock_once(stock, new_item):
    item = new_item(quantity=10)
    key = f"repeat-{item['id']}"
    results = run_together(12, lambda n, s: stock.hold(key, item["id"], 3, session=s))
    assert sorted(r.status_code for r in results) == [200] * 11 + [201]
    assert len({r.text for r in results}) == 1  # the very same answer every time
    assert stock.item(item["id"])["quantity"] == 7

    for _ in range(3):
        assert stock.call("POST", f"/reservations/{key}/release", json={}).status_code == 200
    assert stock.item(item["id"])["quantity"] == 10
    for _ in range(2):
        assert stock.call("PATCH", f"/reservations/{key}", json={"quantity": 4}).status_code == 409
    assert stock.item(item["id"])["quantity"] == 10


def test_the_jobs_process_releases_an_expired_hold(stack, stock, new_item):
    item = new_item(quantity=3)
    key = f"expiring-{item['id']}"
    assert stock.hold(key, item["id"], 2, expires_at=later(8)).status_code == 201
    # The jobs process sweeps holds every 5 s, between its other jobs (reconcile asks Stripe about
    # every open payment of the shared stack): on a loaded machine a sweep can come late.
    wait_until(lambda: stock.call("GET", f"/reservations/{key}").json()["state"] == "released", timeout=60)
    summary = stock.item(item["id"])
    assert (summary["quantity"], summary["held"]) == (3, 0)
    # The stock's ledger says the hold took the two units and the sweeper gave them back (read
    # afterwards: a read of the stock while held would race the expiry on a slow machine).
    moves = stack.query(
        "inventory", "SELECT delta, quantity_after, actor FROM stock_movements WHERE key = :key ORDER BY id", key=key
    )
    assert moves == [(-2, 1, "service"), (2, 3, "sweeper")], moves


def test_the_stock_api_is_unreachable_through_nginx_and_needs_the_token_on_loopback(stack, stock, new_item):
    item = new_item()
    body = {"key": "outside-1", "item_id": item["id"], "quantity": 1, "expires_at": later(60)}
    token = {"X-Service-Token": stack.env["SHOP_SERVICE_TOKEN"]}
    assert requests.post(
        stack.url("/inventory/internal/reservations"), json=body, headers=token, timeout=TIMEOUT
    ).status_code == 404
    assert requests.get(
        stack.url(f"/inventory/internal/items/{item['id']}"), headers=token, timeout=TIMEOUT
    ).status_code == 404
    direct = requests.post(stock.base + "/reservations", json=body, timeout=10)
    assert direct.status_code == 403 and direct.json()["error"]["code"] == "forbidden"
    assert stock.item(item["id"])["quantity"] == 10


def test_a_new_user_searches_the_catalog_and_opens_an_item_to_order(stack, shop, new_item):
    sold_out = new_item(quantity=0, word=new_login("zz").replace("_", ""))
    item = new_item(quantity=2, price="1.10", word=sold_out["word"] + "x")
    shop.register()

    page = shop.get(f"/inventory/?q={sold_out['word']}")
    assert page.status_code == 200 and "<html" in page.text
    assert f">{item['name']}</a>" in page.text and f">{sold_out['name']}</a>" in page.text
    fragment = shop.get(f"/inventory/?q={sold_out['word']}&available=1", htmx=True)
    assert 'id="catalog-results"' in fragment.text and "<html" not in fragment.text
    assert f">{item['name']}</a>" in fragment.text and f">{sold_out['name']}</a>" not in fragment.text
    assert "Only 2 left" in fragment.text and "$1.10" in fragment.text

    item_page = shop.get(f"/inventory/items/{item['id']}").text
    assert 'action="/orders/"' in item_page and 'max="2"' in item_page
    anonymous = requests.get(stack.url(f"/inventory/items/{item['id']}"), timeout=TIMEOUT).text
    assert "Log in to order" in anonymous and 'action="/orders/"' not in anonymous


def test_a_page_cursor_naming_a_nul_starts_from_the_top_on_every_database(stack, new_item):
    """PostgreSQL refuses a NUL in text: a made-up "More items" address with one was a 500 there."""
    item = new_item(word=new_login("nul").replace("_", ""))
    cursor = base64.urlsafe_b64encode(json.dumps(["a\u0000", 2**31 - 1]).encode()).decode().rstrip("=")
    for query in (f"q={item['word']}&", ""):
        response = requests.get(stack.url(f"/inventory/?{query}after={cursor}"), timeout=60)
        assert response.status_code == 200, response.text
        assert query == "" or f">{item['name']}</a>" in response.text


def test_an_admin_edits_adds_and_deletes_rows_through_nginx(admin, shop, new_item):
    item = new_item(quantity=4)
    row = admin.get(f"/inventory/admin/items/{item['id']}/edit", htmx=True)
    assert row.status_code == 200 and 'class="editing"' in row.text
    saved = admin.post(
        f"/inventory/admin/items/{item['id']}",
        {"name": item["name"], "description": "", "price": "19.99", "quantity": "4", "expected_quantity": "4"},
        htmx=True,
    )
    assert saved.status_code == 200 and "$19.99" in saved.text and 'class="editing"' not in saved.text
    assert "$19.99" in shop.get(f"/inventory/items/{item['id']}").text

    invalid = admin.post(
        f"/inventory/admin/items/{item['id']}",
        {"name": item["name"], "price": "19.999", "quantity": "4", "expected_quantity": "4"},
        htmx=True,
    )
    assert "at most two decimals" in invalid.text and 'class="editing"' in invalid.text
    assert "$19.99" in shop.get(f"/inventory/items/{item['id']}").text

    name = f"Added {item['word']}"
    added = admin.post("/inventory/admin/items", {"name": name, "price": "3", "quantity": "1"}, htmx=True)
    assert added.status_code == 200 and name in added.text
    added_id = int(re.search(r'<tr id="item-(\d+)"', added.text).group(1))
    assert name in shop.get(f"/inventory/?q={item['word']}").text

    token = admin.csrf_token()
    deleted = admin.http.delete(
        admin.base_url + f"/inventory/admin/items/{added_id}", headers=HX | {"X-CSRFToken": token}
    )
    assert deleted.status_code == 200 and deleted.text == ""
    assert shop.get(f"/inventory/items/{added_id}").status_code == 404


def test_the_admin_table_and_low_stock_fragment_are_for_admins(stack, shop, admin, new_item):
    item = new_item(quantity=1)
    shop.register()
    assert shop.get("/inventory/fragments/low-stock", follow=False).status_code == 403
    assert requests.get(
        stack.url("/inventory/fragments/low-stock"), allow_redirects=False, timeout=TIMEOUT
    ).status_code == 302
    fragment = admin.get("/inventory/fragments/low-stock", htmx=True)
    assert fragment.text.lstrip().startswith('<section id="low-stock"')
    table = admin.get(f"/inventory/admin/?q={item['word']}").text
    assert item["name"] in table and '<td class="item-quantity" data-label="On hand">1</td>' in table


def test_the_items_api_answers_as_designed(stack, shop, admin_token, new_item):
    item = new_item(quantity=3, price="4.5")
    assert item["price"] == "4.50" and set(item) - {"word"} == {
        "id", "name", "description", "price", "quantity", "category", "picture"
    }
    listing = shop.api("GET", f"/inventory/api/items?q={item['word']}").json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == item["id"]
    assert set(listing) == {"items", "page", "per_page", "total"}

    customer = new_login()
    shop.api("POST", "/users/api/users", json={"login": customer, "password": "correct horse battery"})
    customer_token = shop.api_token(customer)
    assert (
        shop.api("PATCH", f"/inventory/api/items/{item['id']}", customer_token, json={"quantity": 1}).status_code == 403
    )

    stale = shop.api(
        "PATCH", f"/inventory/api/items/{item['id']}", admin_token, json={"quantity": 9, "expected_quantity": 2}
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "quantity_changed"
    bad = shop.api("PATCH", f"/inventory/api/items/{item['id']}", admin_token, json={"price": "-1"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "price"
    assert shop.api("DELETE", f"/inventory/api/items/{item['id']}", admin_token).status_code == 204
    assert shop.api("GET", f"/inventory/api/items/{item['id']}").status_code == 404
    doc = shop.api("GET", "/inventory/api/openapi.json").json()
    assert {"/items", "/items/{id}"} <= set(doc["paths"])
