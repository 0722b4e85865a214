"""Device cookies: a browser that logged in to an account before keeps its own budget of failed
logins and reset requests, so a stranger who knows the login or the address cannot use up the
owner's; strangers' budgets stay limited, and so do the limits per network."""

import re

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from tests.helpers import csrf_from, make_app, statements_run
from users_app import create_app, reset_links
from users_app.extensions import db
from users_app.models import MailMessage, User

PASSWORD = "a good password"
ANSWER = "If an account has this address, we sent it a link"


@pytest.fixture
def app(tmp_path):
    return make_app(create_app, "users", tmp_path)


def register(client, login, email=None):
    token = csrf_from(client, "/users/register")
    data = {"login": login, "password": PASSWORD, "email": email or f"{login}@example.com", "csrf_token": token}
    response = client.post("/users/register", data=data)
    assert response.status_code == 303
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    return response


def log_in(client, login, password=PASSWORD):
    token = csrf_from(client, "/users/login")
    return client.post("/users/login", data={"login": login, "password": password, "csrf_token": token})


def forgot(client, email):
    token = csrf_from(client, "/users/password/forgot")
    return client.post("/users/password/forgot", data={"email": email, "csrf_token": token})


def alice_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.login == "alice"))


def reset_links_queued(app, email) -> int:
    with app.app_context():
        query = select(MailMessage).where(MailMessage.kind == "password_reset", MailMessage.to_address == email)
        return len(db.session.scalars(query).all())


def device_cookie(response) -> str | None:
    return next((c for c in response.headers.getlist("Set-Cookie") if "shop_device=" in c), None)


def test_a_guessers_failures_do_not_lock_the_owner_out_of_a_browser_it_logged_in_with(app):
    owner = app.test_client()
    register(owner, "alice")
    guesser = app.test_client()
    assert [log_in(guesser, "alice", f"guess {i}!").status_code for i in range(5)] == [422] * 5
    assert log_in(guesser, "alice").status_code == 429  # the strangers' budget is used up, right password or not
    assert app.test_client().post("/users/api/tokens", json={"login": "alice", "password": PASSWORD}).status_code == 429
    assert log_in(owner, "alice").status_code == 303  # the owner's browser has a budget of its own


def test_a_trusted_browser_is_held_to_the_same_limit_on_its_own(app):
    owner = app.test_client()
    register(owner, "alice")
    assert [log_in(owner, "alice", f"typo {i}!").status_code for i in range(5)] == [422] * 5
    refused = log_in(owner, "alice")
    assert refused.status_code == 429
    assert "Too many failed attempts for this login" in refused.get_data(as_text=True)
    assert log_in(app.test_client(), "alice").status_code == 303  # and its failures are not the strangers'


def test_a_password_set_by_the_emailed_link_frees_the_owners_browser_of_its_own_failures(app):
    owner = app.test_client()
    register(owner, "alice")
    for i in range(6):  # the owner, who forgot the password, tries until refused
        log_in(owner, "alice", f"was it {i}?")
    assert log_in(owner, "alice").status_code == 429
    forgot(owner, "alice@example.com")
    with app.app_context():
        [message] = db.session.scalars(select(MailMessage).where(MailMessage.kind == "password_reset")).all()
        link = "/users/password/reset/" + reset_links.make_token(db.session.get(User, message.user_id))
    phone = app.test_client()  # the link opened elsewhere: the laptop's failures are forgiven all the same
    new_password = {"password": "a brand new one", "csrf_token": csrf_from(phone, link)}
    assert phone.post(link, data=new_password).status_code == 303
    assert log_in(owner, "alice", "a brand new one").status_code == 303


def test_a_browser_trusted_for_its_own_account_gets_no_budget_for_another(app):
    register(app.test_client(), "alice")
    guesser = app.test_client()
    register(guesser, "mallory")
    log_in(guesser, "mallory")  # a device cookie naming mallory
    assert [log_in(guesser, "alice", f"guess {i}!").status_code for i in range(6)] == [422] * 5 + [429]
    assert log_in(app.test_client(), "alice").status_code == 429


def test_a_forged_device_cookie_trusts_nobody(app):
    owner = app.test_client()
    register(owner, "alice")
    cookie = owner.get_cookie("shop_device", path="/users")
    assert cookie is not None
    claims = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="shop.device").loads(cookie.value)
    assert [user_id for user_id, _fingerprint in claims["u"]] == [alice_id(app)]
    stranger = app.test_client()  # the same claims, signed with a key that is not the shop's
    stranger.set_cookie("shop_device", URLSafeTimedSerializer("not the shop's key", salt="shop.device").dumps(claims))
    assert [log_in(stranger, "alice", f"guess {i}!").status_code for i in range(6)] == [422] * 5 + [429]
    assert log_in(owner, "alice").status_code == 303


def test_a_password_change_makes_the_browsers_that_knew_the_old_one_strangers_again(app):
    """Who once logged in with a password the owner has since changed (a shared computer, an ex) kept
    a budget of guesses of their own for a year; the owner's own browser stays trusted."""
    former = app.test_client()
    register(former, "alice")
    assert log_in(former, "alice").status_code == 303  # a browser that knew the old password
    owner = app.test_client()
    assert log_in(owner, "alice").status_code == 303
    token = csrf_from(owner, "/users/account")
    form = {"current_password": PASSWORD, "new_password": "a brand new one", "csrf_token": token}
    assert owner.post("/users/account/password", data=form).status_code == 303
    owner.post("/users/logout", data={"csrf_token": csrf_from(owner, "/users/account")})
    guesser = app.test_client()
    assert [log_in(guesser, "alice", f"guess {i}!").status_code for i in range(5)] == [422] * 5
    # The browser that knew the old password shares the strangers' budget, used up now ...
    assert log_in(former, "alice", "a brand new one").status_code == 429
    # ... the owner's, which changed it, keeps its own.
    assert log_in(owner, "alice", "a brand new one").status_code == 303


def test_the_network_limit_holds_for_trusted_browsers_too(app):
    app.config["SHOP_LOGIN_FAILURES_PER_ADDRESS"] = 3
    owner, guesser = app.test_client(), app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "2001:db8:1:2::a"
    guesser.environ_base["REMOTE_ADDR"] = "2001:db8:1:2:ffff::b"  # another address of the same /64
    register(owner, "alice")
    for i in range(3):
        log_in(guesser, f"someone{i}", "guess!")
    refused = log_in(owner, "alice")
    assert refused.status_code == 429 and "Too many failed logins from your network" in refused.get_data(as_text=True)


def test_strangers_asking_for_links_leave_the_owners_browser_its_own(app):
    limit = app.config["SHOP_RESETS_PER_ADDRESS"]
    owner = app.test_client()
    register(owner, "alice")
    for _ in range(limit + 2):
        assert forgot(app.test_client(), "alice@example.com").status_code == 200
    assert reset_links_queued(app, "alice@example.com") == limit  # strangers: limited as before
    for _ in range(limit + 2):
        assert ANSWER in forgot(owner, "ALICE@example.com").get_data(as_text=True)
    assert reset_links_queued(app, "alice@example.com") == 2 * limit  # the owner's browser: its own, limited too


def test_a_trusted_browser_asking_for_any_address_gets_the_same_answer_and_no_cookie(app):
    owner = app.test_client()
    register(owner, "alice")
    register(app.test_client(), "bob")
    strip = lambda html: re.sub(r'value="[^"]+"', "", html)  # noqa: E731 (only the CSRF token differs)
    answers = [forgot(owner, email) for email in ("alice@example.com", "bob@example.com", "nobody@example.com")]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({strip(a.get_data(as_text=True)) for a in answers}) == 1
    assert ANSWER in answers[0].get_data(as_text=True)
    assert not any(a.headers.getlist("Set-Cookie") for a in answers)  # the device cookie is neither set nor changed


def test_a_trusted_browser_asking_for_any_address_makes_the_same_statements(app):
    # What would tell a cookie's own account from another or from none is work done for one and not
    # the others: all three run the same statements (their parameters differ), but the outbox's.
    owner = app.test_client()
    register(owner, "alice")
    register(app.test_client(), "bob")
    token = csrf_from(owner, "/users/password/forgot")
    with app.app_context():
        engine = db.engine
    statements = {}
    for email in ("nobody@example.com", "alice@example.com", "bob@example.com", "nobody-else@example.com"):
        post = lambda email=email: owner.post("/users/password/forgot", data={"email": email, "csrf_token": token})  # noqa: E731
        response, statements[email] = statements_run(engine, post)
        assert ANSWER in response.get_data(as_text=True)
    unknown, own, other, other_unknown = statements.values()
    assert unknown == other_unknown and own == other
    assert all(MailMessage.__tablename__ in statement for statement in (own - unknown).elements())
    assert not unknown - own


def test_the_device_cookie_is_signed_httponly_lax_for_users_pages_and_long_lived(app):
    client = app.test_client()
    token = csrf_from(client, "/users/register")
    data = {"login": "alice", "password": PASSWORD, "email": "alice@example.com", "csrf_token": token}
    cookie = device_cookie(client.post("/users/register", data=data))
    assert cookie is not None and cookie.startswith("shop_device=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/users;" in cookie + ";"
    assert "Secure" not in cookie  # a plain-http shop: the browser would not send it back
    assert int(re.search(r"Max-Age=(\d+)", cookie).group(1)) >= 180 * 24 * 3600
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert "alice" not in value and PASSWORD not in value  # it names the account by id, signed


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/users/account/password", {"current_password": PASSWORD, "new_password": "a newer password"}),
        ("/users/account/email", {"email_password": PASSWORD, "email": "new@example.com"}),
    ],
    ids=["password change", "e-mail change"],
)
def test_a_guessers_failures_do_not_refuse_the_owners_account_forms(app, path, data):
    owner = app.test_client()
    register(owner, "alice")
    guesser = app.test_client()
    assert [log_in(guesser, "alice", f"guess {i}!").status_code for i in range(6)] == [422] * 5 + [429]
    assert log_in(owner, "alice").status_code == 303
    changed = owner.post(path, data={**data, "csrf_token": csrf_from(owner, "/users/account")})
    assert changed.status_code == 303  # the current password checked on the owner's budget, not the guesser's
