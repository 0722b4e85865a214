import pytest

from tests.helpers import csrf_from, make_app
from users_app import create_app


@pytest.fixture
def app(tmp_path):
    return make_app(create_app, "users", tmp_path, SHOP_ADMIN_LOGIN="boss", SHOP_ADMIN_PASSWORD="boss-password-1")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def register(client):
    """Register (and so log in) a user through the form; returns the response."""

    def _register(login="alice", password="a good password", email=None):
        token = csrf_from(client, "/users/register")
        email = email if email is not None else f"{login}@example.com"
        data = {"login": login, "password": password, "email": email, "csrf_token": token}
        return client.post("/users/register", data=data)

    return _register


@pytest.fixture
def login(client):
    def _login(login="alice", password="a good password", next_path=None):
        token = csrf_from(client, "/users/login")
        url = "/users/login" + (f"?next={next_path}" if next_path else "")
        return client.post(url, data={"login": login, "password": password, "csrf_token": token})

    return _login
