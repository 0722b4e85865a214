"""Registering, logging in and out, the account page and password changes (users_app alone)."""

import re
import unicodedata
from html import unescape

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from tests.helpers import csrf_from
from users_app.extensions import db
from users_app.models import User
from users_app.passwords import verify_password


def stored_user(app, login):
    with app.app_context():
        return db.session.scalar(select(User).where(User.login == login))


def test_register_logs_the_user_in_and_stores_an_argon2id_hash(app, client, register):
    response = register("alice", "a good password")
    assert response.status_code == 303
    assert "alice" in client.get("/users/account").get_data(as_text=True)
    user = stored_user(app, "alice")
    assert user.password_hash.startswith("$argon2id$")
    assert "a good password" not in user.password_hash
    params = extract_parameters(user.password_hash)
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism >= 1
    assert PasswordHasher().verify(user.password_hash, "a good password")


def test_a_password_with_accents_matches_however_the_device_encodes_them(app, client, register, login):
    """"Coração 2026" typed on one device (é as one character, NFC) and on another (e and an accent, NFD)
    is the same password to its owner; it was two to the shop. Passwords are compared in NFKC, as NIST
    SP 800-63B asks; a hash made before from the other form still matches that form."""
    composed, decomposed = unicodedata.normalize("NFC", "Coração 2026"), unicodedata.normalize("NFD", "Coração 2026")
    assert composed != decomposed
    register(password=decomposed)
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    assert login("alice", composed).status_code == 303
    with app.app_context():  # a hash of the NFD text itself, as the shop made it before
        user = db.session.scalar(select(User).where(User.login == "alice"))
        user.password_hash = PasswordHasher().hash(decomposed)
        db.session.commit()
        assert verify_password(user.password_hash, decomposed)
        assert not verify_password(user.password_hash, "Coracao 2026")


@pytest.mark.parametrize(
    ("login", "password", "message"),
    [
        ("ab", "a good password", "Use 3 to 64 characters."),
        ("x" * 65, "a good password", "Use 3 to 64 characters."),
        ("bad login!", "a good password", "Use letters, digits"),
        ("Stripe", "a good password", "This login is reserved."),  # the payment company in an order's history
        ("bob", "short", "Use at least 8 characters."),
        ("bob", "password123", "too common"),
        ("bob", "", "Choose a password."),
    ],
)
def test_invalid_registration_shows_the_error_next_to_the_field_and_creates_nothing(
    app, register, login, password, message
):
    response = register(login, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'aria-invalid="true"' in html and "field-error" in html
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


def test_logins_are_unique_ignoring_case(app, client, register):
    assert register("Alice").status_code == 303
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    response = register("aLiCe")
    assert response.status_code == 422
    assert "This login is taken." in response.get_data(as_text=True)


def test_login_with_wrong_password_is_refused_in_plain_words(client, register, login):
    register()
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    response = login("alice", "wrong password!")
    assert response.status_code == 422
    assert "Wrong login or password." in response.get_data(as_text=True)
    assert client.get("/users/account").status_code == 302


def test_login_ignores_case_of_the_login(client, register, login):
    register("Alice")
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    assert login("ALICE").status_code == 303


@pytest.mark.parametrize(
    ("next_path", "expected"),
    [
        ("/orders/12", "/orders/12"),
        ("https://evil.example/", "/inventory/"),
        ("//evil.example/x", "/inventory/"),
        ("/\\evil.example", "/inventory/"),
        ("javascript:alert(1)", "/inventory/"),
    ],
)
def test_login_goes_to_next_only_on_this_site(client, register, login, next_path, expected):
    register()
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    response = login(next_path=next_path)
    assert response.status_code == 303
    assert response.headers["Location"] == expected


def test_logout_ends_the_session_and_a_saved_cookie_stops_working(app, client, register):
    register()
    saved_cookie = client.get_cookie("shop_session").value
    version = stored_user(app, "alice").session_version
    response = client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    assert response.status_code == 303
    assert stored_user(app, "alice").session_version == version + 1
    replay = app.test_client()
    replay.set_cookie("shop_session", saved_cookie)
    assert replay.get("/users/account").status_code == 302


def test_logout_needs_post_with_a_csrf_token(client, register):
    register()
    assert client.get("/users/logout").status_code == 405
    assert client.post("/users/logout").status_code == 400
    assert client.get("/users/account").status_code == 200


def test_password_change_keeps_this_session_and_ends_the_others(app, client, register):
    register()
    other = app.test_client()
    other.set_cookie("shop_session", client.get_cookie("shop_session").value)
    token = csrf_from(client, "/users/account")
    response = client.post(
        "/users/account/password",
        data={"current_password": "a good password", "new_password": "another good one", "csrf_token": token},
    )
    assert response.status_code == 303
    assert client.get("/users/account").status_code == 200
    assert other.get("/users/account").status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(app, client, register):
    register()
    before = stored_user(app, "alice").password_hash
    token = csrf_from(client, "/users/account")
    response = client.post(
        "/users/account/password",
        data={"current_password": "not it at all", "new_password": "another good one", "csrf_token": token},
    )
    assert response.status_code == 422
    assert "This is not your current password." in response.get_data(as_text=True)
    assert stored_user(app, "alice").password_hash == before


def test_bootstrap_admin_is_created_once(app):
    runner = app.test_cli_runner()
    assert "created admin 'boss'" in runner.invoke(args=["bootstrap-admin"]).output
    assert "kept existing admin 'boss'" in runner.invoke(args=["bootstrap-admin"]).output
    assert stored_user(app, "boss").is_admin


@pytest.mark.parametrize("stored", [None, ""])  # no such user; an erased account's empty hash
def test_no_password_matches_an_account_without_a_hash(stored):
    assert verify_password(stored, "") is False
    assert verify_password(stored, "not a real password, only here for timing") is False  # the timing hash's


def test_an_api_body_with_a_field_the_call_does_not_take_is_a_422_naming_it(client, app):
    """As Stripe's API does: a client that sends "is_admin" at registration, or misspells a field,
    is told, not silently given less than it asked for."""
    body = {"login": "mallory", "password": "a good password", "is_admin": True}
    refused = client.post("/users/api/users", json=body)
    assert refused.status_code == 422
    assert refused.get_json()["error"] == {
        "code": "invalid_field",
        "message": "Unknown field 'is_admin'.",
        "field": "is_admin",
    }
    assert (
        client.post("/users/api/tokens", json={"login": "mallory", "passwd": "x"}).get_json()["error"]["field"]
        == "passwd"
    )
    assert client.post("/users/api/users", json={"login": "mallory", "password": "a good password"}).status_code == 201


def _link_to(html: str, text: str) -> str:
    """The href of the page's own link (not the navigation's) whose text is `text`."""
    match = re.search(r'<a href="([^"]+)"[^>]*>' + re.escape(text) + "</a>", html[html.index("<article") :])
    assert match, text
    return unescape(match.group(1))


def test_a_newcomer_sent_to_log_in_who_registers_instead_comes_back_where_they_were_going(client, login):
    """The cart's "Log in to check out" opens the login page with next=/orders/cart/; a newcomer follows
    "Create an account" there and registered straight to the catalog, far from the cart they were
    checking out. The one who has an account after all gets the way back from the register page too."""
    page = client.get("/users/login?next=/orders/cart/").get_data(as_text=True)
    register_url = _link_to(page, "Create an account")
    page = client.get(register_url).get_data(as_text=True)
    assert _link_to(page, "Log in") == "/users/login?next=/orders/cart/"
    form_action = unescape(re.search(r'<form method="post"(?: action="([^"]*)")?', page).group(1) or register_url)
    data = {"login": "newcomer", "email": "new@example.com", "password": "a good password"}
    response = client.post(form_action, data={**data, "csrf_token": csrf_from(client, register_url)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/orders/cart/"


def test_the_way_between_login_and_register_never_leads_off_the_site(client):
    page = client.get("/users/login?next=//evil.example/").get_data(as_text=True)
    assert "evil" not in _link_to(page, "Create an account")
