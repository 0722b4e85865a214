"""What the benchmark asks of the shop: the accounts and item it needs, and one Case per measured path.

Routes that are not built yet answer 404: such a case is reported "not available yet" and the run
goes on without it.
"""

import hashlib
import hmac
import html
import json
import re
import secrets
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from shared_ui.assets import BUILD_DIR
from shared_ui.config import PROJECT_ROOT
from stacktools.stack import ADMIN_LOGIN, ADMIN_PASSWORD

# What a browser sends; nginx compresses pages and text assets for it.
BROWSER = {"Accept-Encoding": "gzip", "Accept": "text/html,*/*"}
# Search-as-you-type over the seeded names ("<Adjective> <Material> <Noun> <number>"): whole words,
# prefixes after a few keystrokes, two-word searches, and one that matches nothing.
#: a cookie that is not the shop's session: the app renders the page as for any visitor, and nginx
#: neither serves nor stores its shared copy of a new visitor's page (shared_ui/page_cache.py)
RENDER_COOKIE = "seen_banner=1"
SEARCHES = ["oak", "lamp", "cozy mu", "brass ke", "wool", "ch", "vintage cedar", "zzzz"]
#: the first catalog page's items get a picture, so the rendered catalog (ratio 1b) shows thumbnails;
#: a page holds 24 (inventory_app's CATALOG_PAGE_SIZE), so the second page (ratio 1c) shows none
CATALOG_PICTURES = 24
ORDER_STOCK = 1_000_000  # far more than any run can order: no 409 can come from running out
CART_LINES = 5  # the items of the several-line order (issue 16: a checkout of a 5-line cart)
#: the customers the order cases spread their orders over, round-robin (one bearer token each): one
#: customer holding thousands of Pending orders made every order dearer than the last (placing an
#: order counts the customer's Pending orders, twice), which no real shop's customer does
CUSTOMERS = 64
#: customers registered at once (each registration and token hashes a password with argon2, ~50 ms)
REGISTERING_THREADS = 8
PASSWORD = "bench-" + secrets.token_hex(8)


@dataclass
class Case:
    """One measured path: where it goes, what it sends, and how to tell it is not built yet."""

    key: str
    title: str
    base: str
    paths: list[str]
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    #: bearer tokens the requests take in turn (wrk's BENCH_TOKENS), one customer's each; none: no login
    tokens: list[str] = field(default_factory=list)
    unavailable: str | None = None  # why it cannot run, when it cannot
    probe: "callable | None" = None  # a custom probe (the webhook signs its request)

    def check(self) -> None:
        """Send the case's first request once (with the first token); a 404 or 405 marks it not available yet."""
        if self.unavailable:
            return
        headers = {**self.headers, **({"Authorization": f"Bearer {self.tokens[0]}"} if self.tokens else {})}
        try:
            if self.probe:
                response = self.probe()
            else:
                response = requests.request(
                    self.method, self.base + self.paths[0], headers=headers, data=self.body, timeout=15
                )
        except requests.RequestException as error:
            self.unavailable = f"no answer: {error}"
            return
        if response.status_code in (404, 405):
            self.unavailable = f"not available yet ({response.status_code} from {self.method} {self.paths[0]})"
        elif response.status_code >= 400:
            self.unavailable = (
                f"failing: {response.status_code} from {self.method} {self.paths[0]}: {response.text[:200]}"
            )


class ShopApi:
    """JSON API calls through nginx with bearer tokens."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, self.base_url + path, headers=headers, timeout=15, **kwargs)

    def token(self, login: str, password: str) -> str | None:
        response = self.call("POST", "/users/api/tokens", json={"login": login, "password": password})
        return response.json()["token"] if response.status_code == 201 else None


@dataclass
class Accounts:
    """The admin's and the customers' bearer tokens, and the items the benchmark orders take from."""

    admin_token: str | None = None
    user_tokens: list[str] = field(default_factory=list)  # one per customer made (up to CUSTOMERS)
    item_id: int | None = None  # the one-item order's
    cart_item_ids: list[int] = field(default_factory=list)  # the several-line order's, one unit each
    initial_stock: dict[int, int] = field(default_factory=dict)  # every ordered item's, before the run
    picture_path: str | None = None
    plain_catalog_path: str | None = None  # the catalog's second page: the same page, no pictures
    problems: list[str] = field(default_factory=list)

    @property
    def user_token(self) -> str | None:
        """The first customer's token (what a one-customer tool such as bench.profile uses)."""
        return self.user_tokens[0] if self.user_tokens else None

    def ordered_item_ids(self) -> list[int]:
        return ([self.item_id] if self.item_id else []) + self.cart_item_ids


def prepare_accounts(api: ShopApi, customers: int = CUSTOMERS) -> Accounts:
    accounts = Accounts()
    accounts.admin_token = api.token(ADMIN_LOGIN, ADMIN_PASSWORD)
    if not accounts.admin_token:
        accounts.problems.append("no admin token from POST /users/api/tokens")
    prefix = f"bench_{secrets.token_hex(3)}"
    with ThreadPoolExecutor(REGISTERING_THREADS) as pool:
        made = list(pool.map(lambda n: _customer(api, f"{prefix}_{n}"), range(customers)))
    accounts.user_tokens = [token for token, _ in made if token]
    problems = sorted({problem for _, problem in made if problem})
    if problems:
        accounts.problems.append(
            f"{customers - len(accounts.user_tokens)} of {customers} customers not made: " + "; ".join(problems)
        )
    if accounts.admin_token:
        accounts.item_id = _order_item(api, accounts, "Benchmark Order Item")
        cart = [_order_item(api, accounts, f"Benchmark Cart Item {n}") for n in range(1, CART_LINES + 1)]
        accounts.cart_item_ids = [item_id for item_id in cart if item_id] if all(cart) else []
        for item_id in accounts.ordered_item_ids():
            stock = stock_of(api, accounts, item_id)
            if stock is None:
                accounts.problems.append(f"GET /inventory/api/items/{item_id} did not answer 200")
            else:
                accounts.initial_stock[item_id] = stock
    return accounts


def _customer(api: ShopApi, login: str) -> tuple[str | None, str | None]:
    """A new customer through the users API, as a visitor registers: (its bearer token, or the problem)."""
    try:
        created = api.call("POST", "/users/api/users", json={"login": login, "password": PASSWORD})
        if created.status_code != 201:
            return None, f"POST /users/api/users answered {created.status_code}"
        token = api.token(login, PASSWORD)
    except requests.RequestException as error:
        return None, f"no answer from the users API: {error}"
    return (token, None) if token else (None, "POST /users/api/tokens did not answer 201")


def _order_item(api: ShopApi, accounts: Accounts, name: str) -> int | None:
    """A new item with ORDER_STOCK units (admin API): its id, or None with the problem noted."""
    item = {
        "name": name,
        "description": "Ordered again and again by make bench.",
        "price": "9.99",
        "quantity": ORDER_STOCK,
    }
    response = api.call("POST", "/inventory/api/items", accounts.admin_token, json=item)
    if response.status_code != 201:
        accounts.problems.append(f"POST /inventory/api/items answered {response.status_code}")
        return None
    return int(response.json()["id"])


def add_pictures(api: ShopApi, accounts: Accounts, env: dict[str, str], folder: Path) -> None:
    """One picture (drawn by Pillow) for the first catalog page's items; the thumbnail's URL to measure.

    Set with `flask --app inventory_app picture set` beside the shop, as seed-bulk seeds the items:
    uploads through the API would make the workers that took them import Pillow, a few MB each that
    the memory line would then count for a shop nobody uploads to while it is measured.
    """
    from inventory_app.demo_pictures import draw

    listed = api.call("GET", f"/inventory/api/items?per_page={CATALOG_PICTURES}")
    if listed.status_code != 200:
        accounts.problems.append(f"GET /inventory/api/items answered {listed.status_code}")
        return
    ids = [str(item["id"]) for item in listed.json()["items"]]
    file = folder / "bench-picture.png"
    file.write_bytes(draw("mug", "#dfeef7", "#1f5f8b", "#8fb8d3"))
    done = subprocess.run(  # noqa: S603 (our own command)
        ["flask", "--app", "inventory_app", "picture", "set", str(file), *ids],  # noqa: S607 (the venv's flask)
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        accounts.problems.append(f"picture set failed: {(done.stdout + done.stderr)[-300:]}")
        return
    picture = api.call("GET", f"/inventory/api/items/{ids[0]}").json()["picture"]
    accounts.picture_path = picture["url"].rsplit("-", 1)[0] + "-160.webp"  # what the catalog's rows load


#: the next page's link on a catalog page ("More items"; the catalog's pages are keyset pages)
NEXT_PAGE = re.compile(r'href="(/inventory/\?after=[^"]+)"')
THUMBNAIL = '<picture class="thumb"'


def find_plain_page(api: ShopApi, accounts: Accounts) -> None:
    """The catalog's second page, as its first links to it: the same rendered page with no pictures.

    Checked as rendered for the visitor with a cookie: a picture on each of the first page's rows,
    none on the second's. (A continued page leaves out the category links; their query is one index
    probe per category, see inventory_app.categories.listed.)
    """
    headers = {**BROWSER, "Cookie": RENDER_COOKIE}
    first = requests.get(api.base_url + "/inventory/", headers=headers, timeout=15)
    link = NEXT_PAGE.search(first.text) if first.status_code == 200 else None
    if link is None:
        accounts.problems.append(f"no second catalog page linked from /inventory/ ({first.status_code})")
        return
    path = html.unescape(link.group(1))
    second = requests.get(api.base_url + path, headers=headers, timeout=15)
    shown = (first.text.count(THUMBNAIL), second.text.count(THUMBNAIL) if second.status_code == 200 else None)
    if shown != (CATALOG_PICTURES, 0):
        accounts.problems.append(
            f"catalog pictures: {shown[0]} on the first page, {shown[1]} on the second "
            f"(expected {CATALOG_PICTURES} and 0; status {second.status_code})"
        )
        return
    accounts.plain_catalog_path = path


def stock_of(api: ShopApi, accounts: Accounts, item_id: int | None = None) -> int | None:
    """An item's stock as the admin API has it (the one-item order's item by default)."""
    item_id = accounts.item_id if item_id is None else item_id
    response = api.call("GET", f"/inventory/api/items/{item_id}", accounts.admin_token)
    return int(response.json()["quantity"]) if response.status_code == 200 else None


def orders_total(api: ShopApi, admin_token: str) -> tuple[int | None, dict[int, int] | None, dict[int, int]]:
    """(how many orders the shop has, {item id: units ordered in all}, {customer id: orders}), from the
    admin's listing of every customer's orders, GET /orders/api/orders?all=1.

    Counted from every order's `lines` (an order of several lines has no top-level `quantity`). The
    bench's shop has no orders but the bench customers'.
    """
    count, units, per_customer, page = None, {}, {}, 1
    while page <= 10_000:
        response = api.call("GET", f"/orders/api/orders?all=1&per_page=100&page={page}", admin_token)
        if response.status_code != 200:
            return None, None, per_customer
        body = response.json()
        count = body["total"]
        for order in body["items"]:
            per_customer[order["user_id"]] = per_customer.get(order["user_id"], 0) + 1
            for line in order["lines"]:
                units[int(line["inventory_id"])] = units.get(int(line["inventory_id"]), 0) + int(line["quantity"])
        if page * 100 >= count or not body["items"]:
            return count, units, per_customer
        page += 1
    return count, units, per_customer


def order_check(api: ShopApi, accounts: Accounts) -> dict:
    """Zero oversell, nothing lost: for every ordered item, the stock taken equals the units ordered
    of it across all the customers' orders, and no stock went below zero."""
    time.sleep(1.0)  # requests still in flight when wrk stopped finish first
    count, units, per_customer = orders_total(api, accounts.admin_token)
    items = {}
    for item_id in accounts.ordered_item_ids():
        initial, remaining = accounts.initial_stock.get(item_id), stock_of(api, accounts, item_id)
        items[item_id] = {
            "initial_stock": initial,
            "remaining_stock": remaining,
            "units_ordered": (units or {}).get(item_id, 0),
        }
    check = {
        "orders": count,
        "units_ordered": sum(units.values()) if units is not None else None,
        "customers": len(per_customer),
        "most_orders_per_customer": max(per_customer.values(), default=0),
        "items": items,
    }
    unread = [item_id for item_id, item in items.items() if None in (item["initial_stock"], item["remaining_stock"])]
    if count is None or unread or not items:
        check["ok"] = False
        check["problem"] = "could not read the stock or the orders back" + (f" (items {unread})" if unread else "")
        return check
    wrong = [
        f"item {item_id}: stock taken {item['initial_stock'] - item['remaining_stock']} != units ordered "
        f"{item['units_ordered']}" + (" (below zero)" if item["remaining_stock"] < 0 else "")
        for item_id, item in items.items()
        if item["remaining_stock"] < 0 or item["initial_stock"] != item["remaining_stock"] + item["units_ordered"]
    ]
    check["ok"] = not wrong
    if wrong:
        check["problem"] = "; ".join(wrong)
    return check


def static_htmx_path() -> str:
    manifest = json.loads((BUILD_DIR / "manifest.json").read_text())
    return manifest["htmx.min.js"]


# --- Stripe webhooks ---------------------------------------------------------------------------


def webhook_template() -> str:
    """A checkout.session.completed event as Stripe sends it, for a session the shop never made.

    `@ID@` marks where each request's unique id goes (event id and session id).
    """
    from stripe_emulator import objects  # the emulator's Stripe-shaped objects, read only

    now = int(time.time())
    session = objects.checkout_session(
        session_id="cs_bench_@ID@",
        created=now,
        expires_at=now + 1800,
        currency="usd",
        amount_total=999,
        url="https://checkout.stripe.com/c/pay/cs_bench_@ID@",
        success_url="https://shop.example/orders/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/orders/999999999?payment=cancelled",
        client_reference_id="999999999",
        customer_email=None,
        metadata={"order_id": "999999999"},
        payment_method_types=["card"],
        explicit_payment_method_types=False,
        payment_method_options={},
        locale=None,
        submit_type=None,
    )
    session.update(status="complete", payment_status="paid", payment_intent="pi_bench_@ID@")
    event = objects.event(
        event_id="evt_bench_@ID@",
        created=now,
        event_type="checkout.session.completed",
        obj=session,
        api_version="2025-01-27.acacia",
        previous_attributes=None,
        request_id=None,
        idempotency_key=None,
        pending_webhooks=1,
    )
    return json.dumps(event, separators=(",", ":"))


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_files(folder: Path, secret: str, pool_size: int = 5000) -> dict[str, str]:
    """The template for the Lua signer, and a pool signed in advance in case LuaJIT's FFI is missing."""
    template = webhook_template()
    template_file = folder / "webhook-template.json"
    template_file.write_text(template)
    nonce = secrets.token_hex(3)
    now = int(time.time())
    pool_file = folder / "webhook-pool.txt"
    with pool_file.open("w") as pool:
        for n in range(pool_size):
            payload = template.replace("@ID@", f"{nonce}_pool_{n}")
            pool.write(f"{sign(payload, secret, now)}\t{payload}\n")
    return {
        "BENCH_WEBHOOK_TEMPLATE": str(template_file),
        "BENCH_WEBHOOK_POOL": str(pool_file),
        "BENCH_WEBHOOK_SECRET": secret,
        "BENCH_NONCE": nonce,
    }


def webhook_probe(url: str, secret: str):
    def probe() -> requests.Response:
        payload = webhook_template().replace("@ID@", f"probe_{secrets.token_hex(4)}")
        headers = {"Content-Type": "application/json", "Stripe-Signature": sign(payload, secret)}
        return requests.post(url, data=payload, headers=headers, timeout=15)

    return probe
