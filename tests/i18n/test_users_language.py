"""users_app in two languages: the browser's choice, the switch, the account's locale, the API's errors."""

import re

import pytest
from sqlalchemy import select

from tests.helpers import csrf_from
from tests.i18n.conftest import PT
from users_app.extensions import db
from users_app.mail import PASSWORD_RESET
from users_app.models import MailMessage, User


def page_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def stored_locale(app, login: str):
    with app.app_context():
        return db.session.scalar(select(User.locale).where(User.login == login))


def test_without_a_choice_the_browser_language_decides(users_client):
    english = users_client.get("/users/login").get_data(as_text=True)
    assert page_lang(english) == "en" and ">Log in</button>" in english
    portuguese = users_client.get("/users/login", headers=PT).get_data(as_text=True)
    assert page_lang(portuguese) == "pt-BR"
    assert ">Entrar</button>" in portuguese and "Pular para o conteúdo" in portuguese
    assert 'lang="en"' in portuguese and ">English</button>" in portuguese  # the switch offers the other one
    plain_portuguese = users_client.get("/users/login", headers={"Accept-Language": "pt"}).get_data(as_text=True)
    assert page_lang(plain_portuguese) == "pt-BR"
    assert page_lang(users_client.get("/users/login", headers={"Accept-Language": "de"}).get_data(as_text=True)) == "en"


@pytest.mark.parametrize(
    ("accept_language", "lang"),
    [
        ("pt,en;q=0.5", "pt-BR"),  # Portuguese first, English second: it took the exact match, English
        ("pt-PT,pt;q=0.9,en;q=0.8", "pt-BR"),  # a browser in Portugal
        ("pt-PT", "pt-BR"),
        ("pt-AO", "pt-BR"),
        ("en-GB,en;q=0.9,pt-BR;q=0.8", "en"),
        ("de-DE,de;q=0.9,pt;q=0.5,en;q=0.4", "pt-BR"),
        ("de-DE,de;q=0.9", "en"),
        ("pt;q=0,en;q=0.5", "en"),  # q=0: not acceptable
        ("*", "en"),
    ],
)
def test_the_browsers_first_language_the_shop_has_decides_whatever_its_region(users_client, accept_language, lang):
    """README: pt (any region) reads Portuguese, en English, in the browser's order of preference."""
    html = users_client.get("/users/login", headers={"Accept-Language": accept_language}).get_data(as_text=True)
    assert page_lang(html) == lang


def test_pages_say_they_vary_by_language(users_client):
    assert "Accept-Language" in users_client.get("/users/login").headers["Vary"]


def test_the_switch_keeps_the_choice_in_the_session_and_goes_back(users_client):
    token = csrf_from(users_client, "/users/login")
    response = users_client.post(
        "/users/language", data={"lang": "pt_BR", "next": "/users/register?x=1", "csrf_token": token}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/users/register?x=1"
    with users_client.session_transaction() as session:
        assert session["lang"] == "pt_BR"
    # The choice beats the browser's language, and the confirmation is in the new language.
    html = users_client.get("/users/register", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert page_lang(html) == "pt-BR" and "Idioma alterado para Português (Brasil)." in html
    assert "Crie sua conta" in html


def test_the_switch_refuses_other_sites_unknown_languages_and_missing_tokens(users_client):
    token = csrf_from(users_client, "/users/login")
    away = users_client.post("/users/language", data={"lang": "en", "next": "//evil.example/", "csrf_token": token})
    assert away.headers["Location"] == "/inventory/"
    unknown = users_client.post("/users/language", data={"lang": "xx", "next": "/users/login", "csrf_token": token})
    assert unknown.status_code == 303
    with users_client.session_transaction() as session:
        assert session["lang"] == "en"
    assert users_client.post("/users/language", data={"lang": "pt_BR"}).status_code == 400


def test_form_errors_and_flashes_are_in_the_visitors_language(users_client, register):
    html = register(login="ab", password="short", headers=PT).get_data(as_text=True)
    assert "Use de 3 a 64 caracteres." in html and "Use pelo menos 8 caracteres." in html
    assert 'aria-describedby="password-error password-hint"' in html
    welcome = register(headers=PT)
    assert welcome.status_code == 303
    assert "Bem-vindo, alice! Sua conta está pronta." in users_client.get("/users/account").get_data(as_text=True)


def test_a_choice_made_while_logged_in_is_saved_on_the_account_and_restored_at_login(users_app, register):
    register()
    client = users_app.test_client()
    token = csrf_from(client, "/users/login")
    client.post("/users/login", data={"login": "alice", "password": "a good password", "csrf_token": token})
    token = csrf_from(client, "/users/account")
    client.post("/users/language", data={"lang": "pt_BR", "next": "/users/account", "csrf_token": token})
    assert stored_locale(users_app, "alice") == "pt_BR"

    elsewhere = users_app.test_client()  # another browser, in English
    token = csrf_from(elsewhere, "/users/login")
    logged_in = elsewhere.post(
        "/users/login",
        data={"login": "alice", "password": "a good password", "csrf_token": token},
        headers={"Accept-Language": "en"},
    )
    assert logged_in.status_code == 303
    with elsewhere.session_transaction() as session:
        assert session["lang"] == "pt_BR"  # every app reads it from the shared session
    html = elsewhere.get("/users/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Você entrou como alice." in html and page_lang(html) == "pt-BR"


def test_a_choice_made_before_registering_goes_with_the_new_account(users_app, users_client, register):
    token = csrf_from(users_client, "/users/login")
    users_client.post("/users/language", data={"lang": "pt_BR", "next": "/users/register", "csrf_token": token})
    register(login="bruna")
    assert stored_locale(users_app, "bruna") == "pt_BR"


def test_logging_out_keeps_the_language(users_client, register):
    token = csrf_from(users_client, "/users/login")
    users_client.post("/users/language", data={"lang": "pt_BR", "next": "/users/login", "csrf_token": token})
    register()
    token = csrf_from(users_client, "/users/account")
    users_client.post("/users/logout", data={"csrf_token": token})
    with users_client.session_transaction() as session:
        assert session["lang"] == "pt_BR" and "_user_id" not in session
    assert "Você saiu da sua conta." in users_client.get("/users/login").get_data(as_text=True)


def test_api_errors_follow_accept_language_and_never_the_session(users_client):
    english = users_client.post("/users/api/tokens", json={"login": "nobody", "password": "wrong password"})
    assert english.status_code == 401 and english.json["error"]["message"] == "Wrong login or password."
    portuguese = users_client.post(
        "/users/api/tokens", json={"login": "nobody", "password": "wrong password"}, headers=PT
    )
    assert portuguese.json["error"]["message"] == "Login ou senha incorretos."
    assert portuguese.json["error"]["code"] == "invalid_credentials"  # codes are for programs: never translated
    invalid = users_client.post("/users/api/users", json={"login": "ab", "password": "a good password"}, headers=PT)
    assert invalid.status_code == 422 and invalid.json["error"]["message"] == "Use de 3 a 64 caracteres."
    with users_client.session_transaction() as session:
        session["lang"] = "pt_BR"
    cookie_only = users_client.post("/users/api/tokens", json={"login": "nobody", "password": "wrong password"})
    assert cookie_only.json["error"]["message"] == "Wrong login or password."
    unauthorized = users_client.get("/users/api/me", headers=PT)
    assert unauthorized.status_code == 401
    assert unauthorized.json["error"]["message"] == "É preciso um token bearer válido."


def test_a_new_account_keeps_the_language_its_browser_asked_for_so_its_mail_is_in_it(users_app, register):
    """No choice made: a Portuguese browser's account is kept in Portuguese (its receipts and resets
    are written with no page to ask), an English browser's follows the browser as before."""
    assert register(login="bruna", headers=PT).status_code == 303
    assert stored_locale(users_app, "bruna") == "pt_BR"
    english = users_app.test_client()
    token = csrf_from(english, "/users/register")
    data = {"login": "alice", "email": "alice@example.com", "password": "a good password", "csrf_token": token}
    assert english.post("/users/register", data=data, headers={"Accept-Language": "en"}).status_code == 303
    assert stored_locale(users_app, "alice") is None


def test_a_reset_for_an_account_without_a_language_is_in_the_language_it_was_asked_in(users_app, register):
    register(login="alice", headers={"Accept-Language": "en"})  # no language kept on the account
    visitor = users_app.test_client()
    token = csrf_from(visitor, "/users/password/forgot")
    visitor.post("/users/password/forgot", data={"email": "alice@example.com", "csrf_token": token}, headers=PT)
    with users_app.app_context():
        [reset] = db.session.scalars(select(MailMessage).where(MailMessage.kind == PASSWORD_RESET)).all()
        assert reset.locale == "pt_BR"
