"""Per-app fixtures for the language tests: each app alone, a fresh database, users_app faked where needed."""

import pytest

from inventory_app import create_app as create_inventory
from tests.helpers import FakeUsers, csrf_from, log_in, make_app
from users_app import create_app as create_users

PT = {"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"}


@pytest.fixture
def users_app(tmp_path):
    return make_app(create_users, "users", tmp_path)


@pytest.fixture
def users_client(users_app):
    return users_app.test_client()


@pytest.fixture
def register(users_client):
    def _register(login="alice", password="a good password", headers=None):
        token = csrf_from(users_client, "/users/register")
        data = {"login": login, "email": f"{login}@example.com", "password": password, "csrf_token": token}
        return users_client.post("/users/register", data=data, headers=headers or {})

    return _register


@pytest.fixture
def fake_users():
    directory = FakeUsers()
    directory.add(1, "boss", is_admin=True)
    return directory


@pytest.fixture
def inventory_app(tmp_path, fake_users):
    app = make_app(create_inventory, "inventory", tmp_path, SHOP_CURRENCY="brl")
    app.extensions["shop_find_user"] = fake_users.find_user
    return app


@pytest.fixture
def inventory_admin(inventory_app, fake_users):
    client = inventory_app.test_client()
    log_in(client, fake_users.records[1])
    return client


def choose_language(client, lang: str) -> None:
    """What the layout's switch leaves in the shared session."""
    with client.session_transaction() as session:
        session["lang"] = lang
