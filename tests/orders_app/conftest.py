from datetime import timedelta

import pytest

from orders_app import create_app
from orders_app.clients.inventory import EXTENSION_KEY
from orders_app.extensions import db
from orders_app.models import Order, utcnow
from shared_ui.auth import issue_api_token
from tests.helpers import FakeUsers, csrf_from, log_in, make_app
from tests.orders_app.fake_inventory import FakeInventory


@pytest.fixture
def inventory() -> FakeInventory:
    return FakeInventory()


@pytest.fixture
def users() -> FakeUsers:
    fake = FakeUsers()
    fake.add(1, "alice")
    fake.add(2, "bob")
    fake.add(3, "boss", is_admin=True)
    return fake


@pytest.fixture
def app(tmp_path, inventory, users):
    app = make_app(create_app, "orders", tmp_path, SHOP_PAYMENT_WINDOW_MINUTES=30)
    app.extensions["shop_find_user"] = users.find_user
    app.extensions[EXTENSION_KEY] = inventory
    return app


@pytest.fixture
def widget(inventory) -> int:
    """An item at $0.10 with 10 in stock."""
    return inventory.add_item("Widget", 10, 10)


def logged_in(app, record):
    client = app.test_client()
    log_in(client, record)
    return client


@pytest.fixture
def alice(app, users):
    return logged_in(app, users.records[1])


@pytest.fixture
def bob(app, users):
    return logged_in(app, users.records[2])


@pytest.fixture
def boss(app, users):
    return logged_in(app, users.records[3])


def post_form(client, path: str, data: dict | None = None, *, htmx: bool = False):
    """A form post with the session's CSRF token, as the pages send it (htmx: in the header)."""
    token = csrf_from(client, "/orders/")
    data = dict(data or {})
    headers = {}
    if htmx:
        headers = {"HX-Request": "true", "X-CSRFToken": token}
    else:
        data["csrf_token"] = token
    return client.post(path, data=data, headers=headers)


def place(client, item_id: int, quantity) -> int:
    """Order through the form; returns the new order's id."""
    response = post_form(client, "/orders/", {"inventory_id": item_id, "quantity": quantity})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.fixture
def bearer(app, users):
    """Authorization headers of a user's API token: bearer("alice")."""
    by_login = {record["login"]: record for record in users.records.values()}

    def _bearer(login: str) -> dict:
        with app.test_request_context():
            token, _ = issue_api_token(by_login[login])
        return {"Authorization": f"Bearer {token}"}

    return _bearer


@pytest.fixture
def client_anonymous(app):
    return app.test_client()


def half_placed(app, item_id: int, hold_minutes: float) -> int:
    """An order row as placing leaves it before inventory has answered (hold_state requesting); its id."""
    with app.app_context():
        order = Order(
            user_id=1,
            user_login="alice",
            inventory_id=item_id,
            item_name="Widget",
            unit_price_cents=10,
            quantity=1,
            total_cents=10,
            currency="usd",
            hold_expires_at=utcnow() + timedelta(minutes=hold_minutes),
        )
        db.session.add(order)
        db.session.commit()
        return order.id
