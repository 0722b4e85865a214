"""Guessing passwords and flooding registrations are slowed down; honest users are not."""

import re

import pytest
from sqlalchemy import select

from tests.helpers import csrf_from, make_app
from users_app import create_app
from users_app.extensions import db
from users_app.models import User


@pytest.fixture
def app(tmp_path):
    return make_app(create_app, "users", tmp_path, SHOP_REGISTRATIONS_PER_HOUR=3)


def test_after_five_wrong_passwords_the_login_is_refused_for_a_while(client, register, login):
    register("alice")
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    for _ in range(5):
        assert login("alice", "wrong password!").status_code == 422
    refused = login("alice", "a good password")  # even the right password waits now
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert re.search(r"Too many failed attempts for this login\. Try again in \d+ seconds\.", html)
    assert 0 < int(refused.headers["Retry-After"]) <= 30


def test_failures_against_one_login_do_not_lock_out_another(app, client, register, login):
    register("alice")
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    other = app.test_client()
    token = csrf_from(other, "/users/register")
    other.post(
        "/users/register",
        data={"login": "bob", "password": "a good password", "email": "bob@example.com", "csrf_token": token},
    )
    for _ in range(6):
        login("alice", "wrong password!")
    assert login("bob", "a good password").status_code == 303


def test_successful_logins_never_count(client, register, login):
    register("alice")
    for _ in range(8):
        client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
        assert login("alice", "a good password").status_code == 303


def test_registrations_from_one_address_are_limited(app, register):
    for name in ("user1", "user2", "user3"):
        client = app.test_client()
        token = csrf_from(client, "/users/register")
        response = client.post(
            "/users/register",
            data={"login": name, "password": "a good password", "email": f"{name}@example.com", "csrf_token": token},
        )
        assert response.status_code == 303
    client = app.test_client()
    token = csrf_from(client, "/users/register")
    response = client.post(
        "/users/register",
        data={"login": "user4", "password": "a good password", "email": "user4@example.com", "csrf_token": token},
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0  # as the login, forgotten password and API 429s say
    assert "Too many attempts to create an account from your network. Please try again in an hour." in (
        response.get_data(as_text=True)
    )
    assert response.headers["Retry-After"] == "3600"  # what the page says


def test_the_registration_limit_says_attempts_as_it_counts_refused_ones_too(app, register):
    """It said "Too many new accounts" to a network that had made none: a login already taken counts
    as an attempt (each one costs the check of the form), so three tries at taken logins refuse a fourth."""
    assert register("alice").status_code == 303
    answers = [register("alice").status_code for _ in range(3)]  # taken, taken, then refused
    assert answers == [422, 422, 429]
    answer = register("newcomer")
    assert answer.status_code == 429
    html = answer.get_data(as_text=True)
    assert "Too many attempts to create an account" in html and "new accounts" not in html


def test_api_token_guessing_gets_429_with_retry_after(client, register):
    register("alice")
    for _ in range(5):
        response = client.post("/users/api/tokens", json={"login": "alice", "password": "wrong password!"})
        assert response.status_code == 401 and response.json["error"]["code"] == "invalid_credentials"
        assert response.headers["WWW-Authenticate"] == "Bearer"  # a 401 names its scheme (RFC 9110 11.6.1)
    response = client.post("/users/api/tokens", json={"login": "alice", "password": "a good password"})
    assert response.status_code == 429
    assert response.json["error"]["code"] == "too_many_requests"
    assert "Retry-After" in response.headers


def test_a_taken_login_is_refused_before_hashing_and_every_attempt_counts(app, client, register, monkeypatch):
    register("alice")
    from users_app import accounts

    def no_hashing(password):
        raise AssertionError("a taken login must not cost a password hash")

    monkeypatch.setattr(accounts, "hash_password", no_hashing)
    body = {"login": "ALICE", "password": "another good password"}
    statuses = [client.post("/users/api/users", json=body).status_code for _ in range(3)]
    assert statuses == [409, 409, 429]  # the registration above and two refused ones make three


def test_wrong_current_passwords_lock_the_password_change_like_logins(client, register):
    register("alice")
    for _ in range(5):
        token = csrf_from(client, "/users/account")
        data = {"current_password": "wrong password!", "new_password": "a newer password", "csrf_token": token}
        assert client.post("/users/account/password", data=data).status_code == 422
    token = csrf_from(client, "/users/account")
    data = {"current_password": "a good password", "new_password": "a newer password", "csrf_token": token}
    refused = client.post("/users/account/password", data=data)
    assert refused.status_code == 429 and "Retry-After" in refused.headers


@pytest.mark.parametrize(
    ("path", "field", "other"),
    [
        ("/users/account/email", "email_password", {"email": "new@example.com"}),
        ("/users/account/delete", "delete_password", {}),
    ],
    ids=["e-mail change", "account deletion"],
)
def test_every_form_that_asks_for_the_password_counts_wrong_ones_as_failed_logins(
    app, client, register, path, field, other
):
    """A stolen session cannot guess the password through another form that checks it."""
    register("alice")
    for _ in range(5):
        data = {field: "wrong password!", **other, "csrf_token": csrf_from(client, "/users/account")}
        assert client.post(path, data=data).status_code == 422
    data = {field: "a good password", **other, "csrf_token": csrf_from(client, "/users/account")}
    refused = client.post(path, data=data)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Too many failed attempts" in refused.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == "alice"))
        assert (user.email, user.deleted_at) == ("alice@example.com", None)  # nothing changed


def test_the_api_deletion_counts_wrong_passwords_as_failed_logins(app, client, register):
    register("alice")
    token = client.post("/users/api/tokens", json={"login": "alice", "password": "a good password"}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    for _ in range(5):
        wrong = client.delete("/users/api/me", json={"password": "wrong password!"}, headers=headers)
        assert wrong.status_code == 422
    refused = client.delete("/users/api/me", json={"password": "a good password"}, headers=headers)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_requests"
    assert client.get("/users/api/me", headers=headers).status_code == 200  # still there


def test_an_account_changing_its_address_over_and_over_cannot_make_the_shop_mail_strangers(app, client, register):
    """Each change mailed "Your e-mail address was changed" to the address before (each request now
    mails a link to the address asked for): changing one's own
    address to stranger after stranger, with the right password (never a failed login), made the shop
    send each of them a message, 30 a minute from one address (nginx's limit), without end."""
    from users_app.models import MailMessage

    register("alice")
    for n in range(5):
        data = {"email": f"stranger{n}@example.com", "email_password": "a good password"}
        response = client.post("/users/account/email", data={**data, "csrf_token": csrf_from(client, "/users/account")})
        assert response.status_code == 303
    data = {"email": "one-more@example.com", "email_password": "a good password"}
    refused = client.post("/users/account/email", data={**data, "csrf_token": csrf_from(client, "/users/account")})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    error = re.search(r'<small id="email-error" class="field-error">([^<]*)</small>', refused.get_data(as_text=True))
    assert error and error.group(1).startswith("You changed your e-mail address too often lately.")  # not the password
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@example.com"
        # each request mails a link to the address asked for (users_app/email_confirm.py): strangers 0 to 4
        assert len(db.session.scalars(select(MailMessage)).all()) == 5


def test_an_ipv6_client_is_one_network_however_many_of_its_addresses_it_uses(app):
    """An IPv6 customer is handed a /64 (18 billion billion addresses): taking a new one for each
    registration got past the limit of registrations per address without end."""

    def register_from(address: str, login: str) -> int:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        data = {"login": login, "password": "a good password", "email": f"{login}@example.com"}
        return client.post("/users/register", data={**data, "csrf_token": csrf_from(client, "/users/register")})

    statuses = [register_from(f"2001:db8:1:2::{n:x}", f"user{n}").status_code for n in range(1, 5)]
    assert statuses == [303, 303, 303, 429]
    assert register_from("2001:db8:1:3::1", "user5").status_code == 303  # the next /64: someone else
