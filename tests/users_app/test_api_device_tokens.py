"""Device tokens: the API's device cookie. A script that sends back the `device_token` of its last
token answer in `Shop-Device` keeps a budget of failed logins of its own, so a stranger guessing
its login's password no longer locks the owner's scripts out; the answer tells no one which
logins exist."""

import re

import pytest
from sqlalchemy import select

from tests.helpers import csrf_from, make_app, statements_run
from users_app import create_app
from users_app.extensions import db
from users_app.models import MailMessage

PASSWORD = "a good password"
# logins of one length, so that the answers' lengths could not differ by them
OWNER, OTHER, UNKNOWN = "alice", "bobby", "zelda"


@pytest.fixture
def app(tmp_path):
    app = make_app(create_app, "users", tmp_path)
    for login in (OWNER, OTHER):
        body = {"login": login, "password": PASSWORD, "email": f"{login}@example.com"}
        assert app.test_client().post("/users/api/users", json=body).status_code == 201
    return app


def token(client, login, password=PASSWORD, device=None):
    headers = {"Shop-Device": device} if device else {}
    return client.post("/users/api/tokens", json={"login": login, "password": password}, headers=headers)


def guess(app, login, times=5):
    """A stranger's wrong passwords, each from a client of its own (no cookie, no device token)."""
    return [token(app.test_client(), login, f"guess {i}!").status_code for i in range(times)]


def test_a_guessers_failures_do_not_lock_out_a_script_that_sends_its_device_token(app):
    script = app.test_client()
    first = token(script, OWNER)
    assert first.status_code == 201 and isinstance(first.json["device_token"], str)
    assert guess(app, OWNER) == [401] * 5
    assert token(app.test_client(), OWNER).status_code == 429  # the strangers' budget is used up ...
    again = token(script, OWNER, device=first.json["device_token"])
    assert again.status_code == 201  # ... the owner's script has one of its own
    renewed = token(script, OWNER, device=again.json["device_token"])
    assert renewed.status_code == 201  # each answer's token works, and keeps the script's budget


def test_a_script_is_held_to_the_same_limit_on_its_own(app):
    device = token(app.test_client(), OWNER).json["device_token"]
    assert [token(app.test_client(), OWNER, f"typo {i}!", device).status_code for i in range(5)] == [401] * 5
    refused = token(app.test_client(), OWNER, device=device)
    assert refused.status_code == 429 and refused.json["error"]["code"] == "too_many_requests"
    assert token(app.test_client(), OWNER).status_code == 201  # and its failures are not the strangers'


def test_a_device_token_of_another_account_a_forged_one_or_a_browser_cookie_buys_nothing(app):
    browser = app.test_client()
    browser.post("/users/login", data={"login": OWNER, "password": PASSWORD, "csrf_token": csrf_from(browser)})
    cookie = browser.get_cookie("shop_device", path="/users").value
    others = token(app.test_client(), OTHER).json["device_token"]
    forged = token(app.test_client(), OWNER).json["device_token"][:-2] + "AA"
    assert guess(app, OWNER) == [401] * 5
    for device in (others, forged, cookie):  # a browser's cookie is not a device token, nor the other way
        assert token(app.test_client(), OWNER, device=device).status_code == 429



def test_a_device_token_is_no_browser_cookie(app):
    device = token(app.test_client(), OWNER).json["device_token"]
    assert guess(app, OWNER) == [401] * 5
    browser = app.test_client()
    browser.set_cookie("shop_device", device, path="/users")
    form = {"login": OWNER, "password": PASSWORD, "csrf_token": csrf_from(browser)}
    assert browser.post("/users/login", data=form).status_code == 429  # the browser's budget is as it was

def test_a_password_change_makes_a_scripts_device_token_a_strangers_again(app):
    device = token(app.test_client(), OWNER).json["device_token"]
    browser = app.test_client()
    browser.post("/users/login", data={"login": OWNER, "password": PASSWORD, "csrf_token": csrf_from(browser)})
    form = {"current_password": PASSWORD, "new_password": "a brand new one"}
    form["csrf_token"] = csrf_from(browser, "/users/account")
    assert browser.post("/users/account/password", data=form).status_code == 303
    assert guess(app, OWNER) == [401] * 5
    assert token(app.test_client(), OWNER, "a brand new one", device).status_code == 429


class FakeOrders:
    """orders_app's part of a deletion, stood in for (tests/users_app/test_my_data.py)."""

    def erase(self, user_id, login):
        return {"cancelled": 0}


def test_a_guessers_failures_do_not_refuse_the_owners_script_deleting_its_account(app):
    app.extensions["shop_orders_client"] = FakeOrders()
    answer = token(app.test_client(), OWNER).json
    assert guess(app, OWNER, 6) == [401] * 5 + [429]
    deleted = app.test_client().delete(
        "/users/api/me",
        json={"password": PASSWORD},
        headers={"Authorization": f"Bearer {answer['token']}", "Shop-Device": answer["device_token"]},
    )
    assert deleted.status_code == 204


def test_strangers_asking_for_links_leave_the_owners_script_its_own(app):
    limit = app.config["SHOP_RESETS_PER_ADDRESS"]
    device = token(app.test_client(), OWNER).json["device_token"]
    for _ in range(limit + 1):
        asked = app.test_client().post("/users/api/password-resets", json={"email": "alice@example.com"})
        assert asked.status_code == 202
    reset = app.test_client().post(
        "/users/api/password-resets", json={"email": "alice@example.com"}, headers={"Shop-Device": device}
    )
    assert reset.status_code == 202
    with app.app_context():
        sent = db.session.scalars(select(MailMessage).where(MailMessage.kind == "password_reset")).all()
    assert len(sent) == limit + 1  # the strangers' limit, and the script's own link


def _answer(response) -> tuple:
    """Status, body and every header but the request's random id."""
    headers = sorted((name, value) for name, value in response.headers.items() if name != "X-Request-ID")
    return response.status_code, response.get_data(), tuple(headers)


def test_a_failed_token_request_answers_the_same_whatever_the_login_and_the_device_token(app):
    device = token(app.test_client(), OWNER).json["device_token"]  # names alice
    client = app.test_client()
    answers = {
        (login, sent): token(client, login, "not the password!", device if sent else None)
        for login in (OWNER, OTHER, UNKNOWN)
        for sent in (False, True)
    }
    assert len({_answer(response) for response in answers.values()}) == 1
    status, body, headers = _answer(answers[(OWNER, True)])
    assert status == 401 and b"device_token" not in body and "Set-Cookie" not in dict(headers)


def test_a_failed_token_request_does_the_same_work_whatever_the_login_and_the_device_token(app):
    device = token(app.test_client(), OWNER).json["device_token"]
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    work = {}
    for login in (OWNER, OTHER, UNKNOWN):
        for sent in (None, device):
            request = lambda login=login, sent=sent: token(client, login, "no!", sent)  # noqa: E731
            _response, work[(login, bool(sent))] = statements_run(engine, request)
    assert len({frozenset(statements.items()) for statements in work.values()}) == 1


def test_the_token_answer_and_the_openapi_document_name_the_device_token(app):
    client = app.test_client()
    answer = token(client, OWNER)
    assert re.fullmatch(r"[\w.-]+", answer.json["device_token"]) and OWNER not in answer.json["device_token"]
    assert "Set-Cookie" not in answer.headers  # an API answer sets no cookie
    spec = client.get("/users/api/openapi.json").json
    assert "device_token" in spec["components"]["schemas"]["Token"]["required"]
    parameters = spec["paths"]["/tokens"]["post"]["parameters"]
    assert any(p["name"] == "Shop-Device" and p["in"] == "header" for p in parameters)
