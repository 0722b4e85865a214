"""inventory_app alone: a fresh migrated database per test, users_app replaced by FakeUsers."""

import pytest

from inventory_app import create_app, items
from inventory_app.extensions import db
from inventory_app.models import Item
from shared_ui.auth import issue_api_token
from tests.helpers import FakeUsers, csrf_from, log_in, make_app


@pytest.fixture
def users():
    directory = FakeUsers()
    directory.add(1, "boss", is_admin=True)
    directory.add(2, "carol")
    return directory


@pytest.fixture
def app(tmp_path, users):
    app = make_app(create_app, "inventory", tmp_path)
    app.extensions["shop_find_user"] = users.find_user
    return app


@pytest.fixture
def client(app):
    """An anonymous visitor."""
    return app.test_client()


@pytest.fixture
def admin(app, users):
    """A browser logged in as an administrator."""
    client = app.test_client()
    log_in(client, users.records[1])
    return client


@pytest.fixture
def customer(app, users):
    client = app.test_client()
    log_in(client, users.records[2])
    return client


@pytest.fixture
def admin_token(app, users):
    with app.app_context():
        return issue_api_token(users.records[1])[0]


@pytest.fixture
def customer_token(app, users):
    with app.app_context():
        return issue_api_token(users.records[2])[0]


@pytest.fixture
def make_item(app):
    """Add an item straight to the database (as the admin table would); returns its id."""

    def _make(name="Blue Mug", price_cents=1250, quantity=10, description="Sturdy and simple."):
        with app.app_context():
            values = {"name": name, "description": description, "price_cents": price_cents, "quantity": quantity}
            return items.create_item(values, actor="test").id

    return _make


@pytest.fixture
def stored(app):
    """The item as the database has it now."""

    def _stored(item_id):
        with app.app_context():
            item = db.session.get(Item, item_id)
            if item is not None:
                db.session.expunge(item)
            return item

    return _stored


def htmx(client, method, path, token_page="/inventory/admin/", **kwargs):
    """An htmx request as the admin table sends it: HX-Request and the CSRF header."""
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_from(client, token_page), **kwargs.pop("headers", {})}
    return client.open(path, method=method, headers=headers, **kwargs)
