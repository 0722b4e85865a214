"""Helpers of the whole-stack orders and payments tests (stack, reliability, browser): items, customers,
orders, the emulator and Stripe's webhooks, driven through nginx."""

import json
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import requests
import stripe

from stacktools.client import DEFAULT_PASSWORD, TIMEOUT, ShopClient, new_login
from stacktools.stack import ADMIN_LOGIN, ADMIN_PASSWORD, wait_until

ORDER_URL = re.compile(r"/orders/(\d+)$")


def admin_token(stack) -> str:
    response = requests.post(
        stack.url("/users/api/tokens"), json={"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD}, timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()["token"]


def new_item(stack, price: str = "0.50", quantity: int = 10, name: str | None = None) -> int:
    """An item added through inventory's admin API; its id."""
    name = name or f"Widget {secrets.token_hex(3)}"
    response = requests.post(
        stack.url("/inventory/api/items"),
        json={"name": name, "description": "for the orders tests", "price": price, "quantity": quantity},
        headers={"Authorization": f"Bearer {admin_token(stack)}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def stock_of(stack, item_id: int) -> int:
    """Units on hand and free to sell, as the catalog API says."""
    response = requests.get(stack.url(f"/inventory/api/items/{item_id}"), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["quantity"]


def reservation(stack, order_id: int) -> dict | None:
    """Inventory's hold for an order, read on loopback with the service token."""
    response = requests.get(
        stack.app_url("inventory", f"/inventory/internal/reservations/order-{order_id}"),
        headers={"X-Service-Token": stack.env["SHOP_SERVICE_TOKEN"]},
        timeout=10,
    )
    return response.json() if response.status_code == 200 else None


def customer(stack) -> ShopClient:
    client = ShopClient(stack.base_url)
    assert client.register().status_code == 303
    return client


def order(client: ShopClient, item_id: int, quantity) -> requests.Response:
    """The item page's order form, posted."""
    return client.post("/orders/", {"inventory_id": item_id, "quantity": quantity})


def placed(response: requests.Response) -> int:
    assert response.status_code == 303, response.text
    return int(ORDER_URL.search(response.headers["Location"]).group(1))


CARD_OK = "4242 4242 4242 4242"


CARD_DECLINED = "4000 0000 0000 0002"


SESSION_URL = re.compile(r"/checkout/(cs_[A-Za-z0-9_]+)$")


def emulator(stack, path: str) -> str:
    return stack.env["STRIPE_API_BASE"] + path


def pay(client: ShopClient, order_id: int) -> requests.Response:
    """The order page's Pay button, without following the redirect."""
    return client.post(f"/orders/{order_id}/pay")


def checkout_url(client: ShopClient, order_id: int) -> str:
    response = pay(client, order_id)
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def session_id(url: str) -> str:
    return SESSION_URL.search(url).group(1)


def complete(stack, session: str, card: str = CARD_OK, **form) -> requests.Response:
    """What the emulator's Pay does with a test card (or method=boleto)."""
    data = {"card": card, **form} if "method" not in form else form
    return requests.post(emulator(stack, f"/_emulator/checkout/{session}/complete"), data=data, timeout=10)


def control(stack, path: str, **form) -> requests.Response:
    return requests.post(emulator(stack, f"/_emulator{path}"), data=form, timeout=10)


def stripe_client(stack) -> stripe.StripeClient:
    return stripe.StripeClient(stack.env["STRIPE_SECRET_KEY"], base_addresses={"api": stack.env["STRIPE_API_BASE"]})


def api_order(stack, order_id: int) -> dict:
    """The order as the JSON API shows it to an admin."""
    response = requests.get(
        stack.url(f"/orders/api/orders/{order_id}"),
        headers={"Authorization": f"Bearer {admin_token(stack)}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def status_of(stack, order_id: int) -> str:
    return api_order(stack, order_id)["status"]


def wait_for_status(stack, order_id: int, status: str, timeout: float = 45) -> None:
    """Wait for what a webhook does: the emulator retries a delivery the shop answered 500 (e.g. an
    order mid-change) after 1, 2, 4, 8 ... s, each attempt allowed 10 s, on a loaded machine."""
    wait_until(lambda: status_of(stack, order_id) == status, timeout=timeout, interval=0.2)


def emulator_events(stack, session: str) -> list[dict]:
    """The emulator's events of a session, oldest first, with their payloads and deliveries."""
    response = requests.get(emulator(stack, "/_emulator/events"), params={"session": session}, timeout=10)
    response.raise_for_status()
    return list(reversed(response.json()))


def delivered(stack, session: str, event_type: str) -> bool:
    """The emulator has delivered its `event_type` event about `session` to the shop (answered 2xx)."""
    events = [e for e in emulator_events(stack, session) if e["type"] == event_type]
    return bool(events) and all(any(d["state"] == "delivered" for d in e["deliveries"]) for e in events)


def signed_post(
    stack, event: dict, *, secret: str | None = None, timestamp: int | None = None, body: bytes | None = None
) -> requests.Response:
    """Deliver an event to the shop's webhook through nginx, signed as Stripe signs."""
    body = body if body is not None else json.dumps(event).encode()
    header = sign(body, secret or stack.env["STRIPE_WEBHOOK_SECRET"], timestamp)
    return requests.post(
        stack.url("/orders/stripe/webhook"),
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        timeout=15,
    )


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body.decode()}", secret)
    return f"t={timestamp},v1={digest}"


def session_event(stack, event_type: str, session: str, event_id: str) -> dict:
    """An event about a session as the emulator has it now (for tests that choose the order of events)."""
    obj = stripe_client(stack).v1.checkout.sessions.retrieve(session).to_dict()
    return {"id": event_id, "object": "event", "type": event_type, "created": 0, "data": {"object": obj}}


def history(client: ShopClient, order_id: int) -> str:
    return client.get(f"/orders/{order_id}").text


def count_in_history(client: ShopClient, order_id: int, title: str) -> int:
    """How many lines of the order's history say `title` in their What column."""
    table = history(client, order_id).split('class="order-history"', 1)[1].split("</table>", 1)[0]
    rows = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    return sum(1 for cells in rows if len(cells) > 2 and cells[2] == title)


def rfc3339(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def session_of_order(stack, order_id: int) -> str:
    [(session,)] = stack.query("orders", "SELECT stripe_session_id FROM orders WHERE id = :id", id=order_id)
    return session


def ledger(stack, item_id: int) -> dict[str, int]:
    """On hand, held and committed units of an item, read from inventory's own database."""
    (on_hand,) = stack.query("inventory", "SELECT quantity FROM inventory WHERE id = :id", id=item_id)[0]
    rows = stack.query(
        "inventory",
        "SELECT r.state, COALESCE(SUM(l.quantity), 0) FROM reservation_lines l "
        "JOIN reservations r ON r.id = l.reservation_id WHERE l.item_id = :id GROUP BY r.state",
        id=item_id,
    )
    by_state = {state: int(total) for state, total in rows}
    return {"on_hand": on_hand, "held": by_state.get("held", 0), "committed": by_state.get("committed", 0)}


def api_customers(stack, count: int) -> list[str]:
    """`count` fresh users' bearer tokens (registered through the API, in parallel)."""

    def one(_):
        login = new_login("racer")
        created = requests.post(
            stack.url("/users/api/users"), json={"login": login, "password": DEFAULT_PASSWORD}, timeout=TIMEOUT
        )
        assert created.status_code == 201, created.text
        token = requests.post(
            stack.url("/users/api/tokens"), json={"login": login, "password": DEFAULT_PASSWORD}, timeout=TIMEOUT
        )
        return token.json()["token"]

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def api_customer(stack) -> tuple[ShopClient, str]:
    client = ShopClient(stack.base_url)
    client.register()
    return client, client.api_token(client.login_name)
