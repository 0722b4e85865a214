import pytest

from orders_app import create_app
from orders_app.clients.inventory import EXTENSION_KEY
from orders_app.clients.stripe_client import EXTENSION_KEY as STRIPE_EXTENSION_KEY
from shared_ui.auth import issue_api_token
from tests.helpers import FakeUsers, make_app
from tests.orders_app.fake_inventory import FakeInventory
from tests.orders_app.fake_stripe import WEBHOOK_SECRET, FakeStripe
from tests.orders_app.helpers import logged_in


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
    """An item at $0.50 (Stripe's smallest charge) with 10 in stock."""
    return inventory.add_item("Widget", 50, 10)


@pytest.fixture
def alice(app, users):
    return logged_in(app, users.records[1])


@pytest.fixture
def bob(app, users):
    return logged_in(app, users.records[2])


@pytest.fixture
def boss(app, users):
    return logged_in(app, users.records[3])


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


@pytest.fixture
def stripe_fake(app) -> FakeStripe:
    """Stripe as orders_app sees it, faked in memory (a test's module may set the currency first)."""
    fake = FakeStripe()
    app.extensions[STRIPE_EXTENSION_KEY] = fake
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    return fake
