"""Download my data and delete my account (orders_app stood in for by a fake client)."""

import pytest
from sqlalchemy import select

from tests.helpers import csrf_from
from users_app.extensions import db
from users_app.models import User
from users_app.orders_client import OrdersUnavailable


class FakeOrders:
    def __init__(self):
        self.erased: list[int] = []
        self.down = False

    def orders_of(self, user_id):
        if self.down:
            raise OrdersUnavailable("down")
        return {"orders": [{"id": 7, "user_id": user_id, "status": "Paid", "lines": []}], "emails": []}

    def erase(self, user_id, login):
        if self.down:
            raise OrdersUnavailable("down")
        self.erased.append(user_id)
        return {"cancelled": 0}


@pytest.fixture
def orders(app):
    fake = FakeOrders()
    app.extensions["shop_orders_client"] = fake
    return fake


def bearer(client, login="alice", password="a good password"):
    token = client.post("/users/api/tokens", json={"login": login, "password": password}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_my_data_has_the_account_its_address_language_and_orders(client, register, orders):
    register("alice", email="alice@example.com")
    response = client.get("/users/account/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["account"]["login"] == "alice" and data["account"]["email"] == "alice@example.com"
    assert "language" in data["account"] and data["account"]["email_pending"] is None
    assert data["orders"][0]["id"] == 7
    api = client.get("/users/api/me/export", headers=bearer(client))
    assert api.status_code == 200 and api.get_json()["orders"] == data["orders"]


def test_deleting_the_account_erases_it_ends_its_tokens_and_frees_the_login(app, client, register, orders):
    register("alice", email="alice@example.com")
    headers = bearer(client)
    wrong = client.delete("/users/api/me", json={"password": "not my password"}, headers=headers)
    assert wrong.status_code == 422 and orders.erased == []
    assert client.delete("/users/api/me", json={"password": "a good password"}, headers=headers).status_code == 204
    assert client.get("/users/api/me", headers=headers).status_code == 401
    with app.app_context():
        user = db.session.get(User, orders.erased[0])
        assert user.email is None and user.password_hash == "" and user.login != "alice"
    again = app.test_client().post(
        "/users/api/users", json={"login": "alice", "password": "a good password", "email": "alice@example.com"}
    )
    assert again.status_code == 201


def test_the_account_page_deletes_with_the_password_and_logs_out(app, client, register, orders):
    register("alice", email="alice@example.com")
    page = client.get("/users/account").get_data(as_text=True)
    assert "Download my data" in page and "Delete my account" in page
    token = csrf_from(client, "/users/account")
    refused = client.post("/users/account/delete", data={"delete_password": "wrong password", "csrf_token": token})
    assert refused.status_code == 422 and 'id="delete_password-error"' in refused.get_data(as_text=True)
    done = client.post("/users/account/delete", data={"delete_password": "a good password", "csrf_token": token})
    assert done.status_code == 303
    assert client.get("/users/account").status_code == 302


def test_nothing_is_erased_while_orders_cannot_be_reached(app, client, register, orders):
    register("alice", email="alice@example.com")
    orders.down = True
    response = client.delete("/users/api/me", json={"password": "a good password"}, headers=bearer(client))
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "orders_unavailable"  # named as orders' API names inventory
    export = client.get("/users/api/me/export", headers=bearer(client))
    assert export.status_code == 503 and export.get_json()["error"]["code"] == "orders_unavailable"
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@example.com"


def test_the_last_active_admin_cannot_delete_itself(app, client, orders):
    app.test_cli_runner().invoke(args=["bootstrap-admin"])
    response = client.delete(
        "/users/api/me", json={"password": "boss-password-1"}, headers=bearer(client, "boss", "boss-password-1")
    )
    assert response.status_code == 409 and orders.erased == []


def test_an_admin_cannot_reactivate_a_deleted_account(app, client, register, orders):
    register("alice", email="alice@example.com")
    client.delete("/users/api/me", json={"password": "a good password"}, headers=bearer(client))
    app.test_cli_runner().invoke(args=["bootstrap-admin"])
    boss = app.test_client()
    alice_id = orders.erased[0]
    response = boss.patch(
        f"/users/api/users/{alice_id}", json={"is_active": True}, headers=bearer(boss, "boss", "boss-password-1")
    )
    assert response.status_code == 409
