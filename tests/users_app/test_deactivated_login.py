"""The owner of a deactivated account, with its right password, is told it is deactivated and what
to do; whoever has not the password learns nothing: a wrong password for a deactivated account
answers and counts exactly as one for any login, existing or not."""

import re

import pytest
from sqlalchemy import select

from tests.helpers import csrf_from, make_app, statements_run
from users_app import create_app
from users_app.extensions import db
from users_app.models import User

PASSWORD = "a good password"
DEACTIVATED = "This account was deactivated by the shop"
# three logins of the same length, so that even the pages' lengths could not differ by them
ACTIVE, CLOSED, UNKNOWN = "alice", "carol", "zelda"


@pytest.fixture
def app(tmp_path):
    app = make_app(create_app, "users", tmp_path)
    for login in (ACTIVE, CLOSED):
        client = app.test_client()
        data = {"login": login, "password": PASSWORD, "email": f"{login}@example.com"}
        data["csrf_token"] = csrf_from(client, "/users/register")
        assert client.post("/users/register", data=data).status_code == 303
    with app.app_context():
        db.session.scalar(select(User).where(User.login == CLOSED)).is_active = False  # as an admin's Deactivate
        db.session.commit()
    return app


def log_in(client, login, password=PASSWORD):
    return client.post("/users/login", data={"login": login, "password": password, "csrf_token": csrf_from(client)})


def token(client, login, password=PASSWORD, **headers):
    return client.post("/users/api/tokens", json={"login": login, "password": password}, headers=headers)


def test_the_owner_of_a_deactivated_account_is_told_so_on_the_login_page(app):
    client = app.test_client()
    answer = log_in(client, CLOSED)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert DEACTIVATED in html and "Please contact the shop" in html and "reactivate" in html
    assert "Wrong login or password." not in html
    assert re.search(r'<p class="error-message" role="alert">This account was deactivated', html)
    assert client.get("/users/account").status_code == 302  # and not logged in


def test_the_owner_of_a_deactivated_account_is_told_so_by_the_api(app):
    answer = token(app.test_client(), CLOSED)
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "account_deactivated"
    assert answer.json["error"]["message"].startswith(DEACTIVATED)
    assert "token" not in answer.json and "device_token" not in answer.json


def test_the_right_password_of_a_deactivated_account_never_counts_as_a_failure(app):
    client = app.test_client()
    assert [log_in(client, CLOSED).status_code for _ in range(7)] == [422] * 7
    assert [token(client, CLOSED).status_code for _ in range(7)] == [403] * 7
    with app.app_context():  # reactivated by an admin: its owner logs in at once
        db.session.scalar(select(User).where(User.login == CLOSED)).is_active = True
        db.session.commit()
    assert log_in(client, CLOSED).status_code == 303


def _page(answer) -> str:
    """The page without the login typed back into its field, nor the CSRF token (signed anew, with the
    time, for every page): the only things that differ by design."""
    page = re.sub(r'(name="login" [^>]*value=")[^"]*"', r"\1\"", answer.get_data(as_text=True))
    return re.sub(r'(name="csrf_token" type="hidden" value=")[^"]*"', r"\1\"", page)


def _headers(answer) -> list[tuple[str, str]]:
    """Every header (Set-Cookie included) but the request's random id."""
    return sorted((name, value) for name, value in answer.headers.items() if name != "X-Request-ID")


def test_a_wrong_password_answers_the_same_for_an_unknown_an_active_and_a_deactivated_login(app):
    client = app.test_client()
    csrf_from(client)
    answers = {login: log_in(client, login, "not the password!") for login in (UNKNOWN, ACTIVE, CLOSED)}
    assert {a.status_code for a in answers.values()} == {422}
    assert len({_page(a) for a in answers.values()}) == 1
    assert "Wrong login or password." in _page(answers[CLOSED]) and DEACTIVATED not in _page(answers[CLOSED])
    assert len({tuple(_headers(a)) for a in answers.values()}) == 1  # Set-Cookie included
    api = {login: token(client, login, "not the password!") for login in (UNKNOWN, ACTIVE, CLOSED)}
    assert {a.status_code for a in api.values()} == {401}
    assert len({a.get_data() for a in api.values()}) == 1
    assert len({tuple(_headers(a)) for a in api.values()}) == 1


@pytest.mark.parametrize("login", [UNKNOWN, ACTIVE, CLOSED])
def test_wrong_passwords_for_a_deactivated_login_count_as_for_any_login(app, login):
    guesser = app.test_client()
    assert [log_in(guesser, login, f"guess {i}!").status_code for i in range(5)] == [422] * 5
    refused = [log_in(guesser, login), token(guesser, login)]  # the right password, or none, waits now
    assert [answer.status_code for answer in refused] == [429, 429]
    assert "Too many failed attempts for this login" in refused[0].get_data(as_text=True)
    assert DEACTIVATED not in refused[0].get_data(as_text=True) + refused[1].get_data(as_text=True)


def test_a_wrong_password_does_the_same_work_for_an_unknown_an_active_and_a_deactivated_login(app):
    client = app.test_client()
    csrf = csrf_from(client)
    with app.app_context():
        engine = db.engine
    work = {}
    for login in (UNKNOWN, ACTIVE, CLOSED):
        form = {"login": login, "password": "not the password!", "csrf_token": csrf}
        _answer, work[("page", login)] = statements_run(
            engine, lambda form=form: client.post("/users/login", data=form)
        )
        body = {"login": login, "password": "not the password!"}
        _answer, work[("api", login)] = statements_run(
            engine, lambda body=body: client.post("/users/api/tokens", json=body)
        )
    for kind in ("page", "api"):
        assert work[(kind, UNKNOWN)] == work[(kind, ACTIVE)] == work[(kind, CLOSED)]


def test_the_owner_of_a_deactivated_account_is_told_so_in_portuguese(app):
    answer = app.test_client().post(
        "/users/api/tokens", json={"login": CLOSED, "password": PASSWORD}, headers={"Accept-Language": "pt-BR"}
    )
    assert answer.status_code == 403 and answer.json["error"]["message"].startswith("Esta conta foi desativada")


def test_the_forgotten_password_answer_says_when_no_link_comes_the_same_for_every_address(app):
    """It said only "if an account has this address, we sent it a link": the owner of a deactivated
    account (or of one asked for too often) waited for a link that never came."""
    client = app.test_client()
    pages = []
    for email in (f"{CLOSED}@example.com", f"{ACTIVE}@example.com", f"{UNKNOWN}@example.com"):
        form = {"email": email, "csrf_token": csrf_from(client, "/users/password/forgot")}
        pages.append(_page(client.post("/users/password/forgot", data=form)))
    assert len(set(pages)) == 1
    limit = app.config["SHOP_RESETS_PER_ADDRESS"]
    assert "No link is sent for an account the shop deactivated" in pages[0]
    assert f"nor past {limit} requests for one address within an hour" in pages[0]
