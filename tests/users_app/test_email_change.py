"""The change of address waiting for its link: shown on the account page, sent again, cancelled,
replaced by a newer request; a link held in the outbox that no longer works is not sent; a link
opened logged out keeps its token out of the login page's address."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.helpers import csrf_from
from tests.mail_server import text_of
from tests.users_app.test_mail import CONFIRM_LINK, app, ask_change, confirm, confirm_link, deliver, smtp
from users_app.extensions import db
from users_app.models import User, utcnow

__all__ = ["app", "smtp"]  # the fixtures: a users app whose mail goes to a real SMTP server


def address_of(app, login="alice") -> str:
    with app.app_context():
        return db.session.scalar(select(User.email).where(User.login == login))


def account_page(client) -> str:
    return re.sub(r"</?strong[^>]*>", "", html.unescape(client.get("/users/account").get_data(as_text=True)))


def post(client, path, **data):
    return client.post(path, data={**data, "csrf_token": csrf_from(client, "/users/account")})


def refused(client, link) -> str:
    """The link's page says it no longer works (410) and changes nothing."""
    response = client.get(link)
    assert response.status_code == 410, response.status_code
    return response.get_data(as_text=True)


def test_the_account_page_says_which_address_waits_for_its_link_and_until_when(client, register, app):
    register("alice", email="alice@example.com")
    assert 'id="email-pending"' not in client.get("/users/account").get_data(as_text=True)
    ask_change(client, "alice@new.example")
    page = account_page(client)
    assert 'id="email-pending"' in page
    assert "We sent a link to alice@new.example." in page
    with app.app_context():
        asked_at = db.session.scalar(select(User.email_pending_at).where(User.login == "alice"))
    until = (asked_at + timedelta(hours=24)).isoformat()
    assert f'<time datetime="{until}Z">' in page and "it works until" in page
    assert "Receipts and password reset links go to alice@example.com." in page  # not changed yet


def test_a_second_request_replaces_the_first_whose_link_stops_working(client, register, app, smtp):
    register("alice", email="alice@example.com")
    ask_change(client, "alice@one.example")
    first = confirm_link(app, "alice@one.example")
    ask_change(client, "alice@two.example")
    assert "This link no longer works" in refused(client, first)
    assert confirm(client, first).status_code == 410
    page = account_page(client)
    assert "We sent a link to alice@two.example." in page and "alice@one.example" not in page
    assert address_of(app) == "alice@example.com"
    assert confirm(client, confirm_link(app, "alice@two.example")).status_code == 303
    assert address_of(app) == "alice@two.example"


def test_the_link_is_sent_again_on_request_and_that_counts_as_a_request(client, register, app, smtp):
    app.config["SHOP_EMAIL_CHANGES_PER_HOUR"] = 2
    register("alice", email="alice@example.com")
    ask_change(client, "alice@new.example")
    resent = post(client, "/users/account/email/resend")
    assert resent.status_code == 303
    assert "We sent a new link to alice@new.example" in account_page(client)
    # one mail: the first request's, replaced before it went, is not sent with a link that would not work
    assert deliver(app) == {"sent": 1, "skipped": 1}
    [message] = smtp.inbox.to("alice@new.example")
    link = CONFIRM_LINK.search(text_of(message)).group(1)
    throttled = post(client, "/users/account/email/resend")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"]
    assert "too often" in throttled.get_data(as_text=True) and 'id="pending-error"' in throttled.get_data(as_text=True)
    assert deliver(app) is None  # nothing more mailed
    assert confirm(client, link).status_code == 303
    assert address_of(app) == "alice@new.example"


def test_cancelling_the_change_keeps_the_address_and_its_link_stops_working(client, register, app, smtp):
    register("alice", email="alice@example.com")
    ask_change(client, "alice@new.example")
    link = confirm_link(app, "alice@new.example")
    cancelled = post(client, "/users/account/email/cancel")
    assert cancelled.status_code == 303 and cancelled.headers["Location"] == "/users/account#main"
    page = account_page(client)
    assert "The change to alice@new.example is cancelled" in page and 'id="email-pending"' not in page
    assert "This link no longer works" in refused(client, link)
    assert confirm(client, link).status_code == 410
    assert deliver(app) == {"skipped": 1}  # the link, still in the outbox, does not go out
    assert smtp.inbox.to("alice@new.example") == [] and address_of(app) == "alice@example.com"
    for action in ("cancel", "resend"):  # nothing waits any more: nothing is sent
        again = post(client, f"/users/account/email/{action}")
        assert again.status_code == 303
        assert "No change of your e-mail address is waiting." in account_page(client)
    assert deliver(app) is None


def change_password(client, app):
    data = {"current_password": "a good password", "new_password": "another good password"}
    assert post(client, "/users/account/password", **data).status_code == 303


def reset_password(client, app):
    from users_app import reset_links

    with app.app_context():
        token = reset_links.make_token(db.session.scalar(select(User).where(User.login == "alice")))
    link = f"/users/password/reset/{token}"
    visitor = app.test_client()
    data = {"password": "another good password", "csrf_token": csrf_from(visitor, link)}
    assert visitor.post(link, data=data).status_code == 303


def newer_request(client, app):
    ask_change(client, "alice@newer.example")


def cancel(client, app):
    assert post(client, "/users/account/email/cancel").status_code == 303


def confirmed_another(client, app):
    ask_change(client, "alice@newer.example")
    assert confirm(client, confirm_link(app, "alice@newer.example")).status_code == 303


@pytest.mark.parametrize(
    "meanwhile", [newer_request, cancel, confirmed_another, change_password, reset_password], ids=lambda f: f.__name__
)
def test_a_link_held_while_the_mail_server_was_down_is_not_sent_once_it_would_not_work(
    client, register, app, smtp, meanwhile
):
    """The mail is made when it goes out: made after the change it was for was replaced, cancelled or
    ended by a password change, it carried a link made from the account as it was then, which worked."""
    register("alice", email="alice@example.com")
    ask_change(client, "alice@held.example")
    smtp.stop()
    assert deliver(app) == {"retry": 1}
    meanwhile(client, app)
    smtp.start()
    deliver(app, now=utcnow() + timedelta(hours=1))
    assert smtp.inbox.to("alice@held.example") == []
    assert address_of(app) != "alice@held.example"


def test_a_link_opened_logged_out_comes_back_after_the_login_without_its_token_in_the_login_address(
    client, register, login, app
):
    register("alice", email="alice@example.com")
    ask_change(client, "alice@new.example")
    link = confirm_link(app, "alice@new.example")
    token = link.rsplit("/", 1)[1]
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})

    opened = client.get(link)
    assert opened.status_code == 302 and opened.headers["Location"] == "/users/login?next=/users/email/confirm"
    assert opened.headers["Referrer-Policy"] == "no-referrer" and opened.headers["Cache-Control"] == "no-store"
    assert address_of(app) == "alice@example.com"
    logged_in = login("alice", next_path="/users/email/confirm")
    assert logged_in.status_code == 303 and logged_in.headers["Location"] == "/users/email/confirm"
    back = client.get("/users/email/confirm")
    assert back.status_code == 303 and back.headers["Location"] == link
    page = re.sub(r"</?strong>", "", html.unescape(client.get(link).get_data(as_text=True)))
    assert "Make alice@new.example the address of the account alice?" in page
    assert address_of(app) == "alice@example.com"  # the owner's button still makes the change
    assert client.post(link, data={}).status_code == 400
    assert confirm(client, link).status_code == 303
    assert address_of(app) == "alice@new.example"
    assert token not in client.get("/users/email/confirm").get_data(as_text=True)  # used: nothing waits
    assert client.get("/users/email/confirm").status_code == 410


def test_a_link_opened_logged_out_by_someone_else_changes_nothing_after_their_login(client, register, app):
    register("alice", email="alice@example.com")
    ask_change(client, "alice@new.example")
    link = confirm_link(app, "alice@new.example")
    stranger = app.test_client()
    data = {"login": "bob", "password": "a good password", "email": "bob@example.com"}
    stranger.post("/users/register", data={**data, "csrf_token": csrf_from(stranger, "/users/register")})
    stranger.post("/users/logout", data={"csrf_token": csrf_from(stranger, "/users/account")})
    assert stranger.get(link).headers["Location"] == "/users/login?next=/users/email/confirm"
    data = {"login": "bob", "password": "a good password", "csrf_token": csrf_from(stranger, "/users/login")}
    stranger.post("/users/login?next=/users/email/confirm", data=data)
    answer = stranger.get("/users/email/confirm", follow_redirects=True)
    assert answer.status_code == 410 and "This link is for another account" in answer.get_data(as_text=True)
    assert address_of(app) == "alice@example.com"
    assert app.test_client().get("/users/email/confirm").headers["Location"] == "/users/login?next=/users/email/confirm"


def test_a_portuguese_account_sees_its_change_waiting_in_portuguese(client, register):
    register("ana", email="ana@example.com")
    client.post("/users/language", data={"lang": "pt_BR", "csrf_token": csrf_from(client, "/users/account")})
    ask_change(client, "ana@novo.example")
    page = account_page(client)
    assert "Alteração aguardando confirmação" in page and "Enviamos um link para ana@novo.example." in page
    assert "Enviar o link de novo" in page and "Cancelar esta alteração" in page
    post(client, "/users/account/email/cancel")
    assert "A alteração para ana@novo.example foi cancelada" in account_page(client)


def test_my_data_has_the_address_waiting_and_deleting_the_account_erases_it(client, register, app):
    register("alice", email="alice@example.com")
    ask_change(client, "alice@new.example")
    app.extensions["shop_orders_client"] = NoOrders()
    assert client.get("/users/account/export").get_json()["account"]["email_pending"] == "alice@new.example"
    assert post(client, "/users/account/delete", delete_password="a good password").status_code == 303
    with app.app_context():
        erased = db.session.scalar(select(User).where(User.email_pending.is_not(None)))
    assert erased is None


class NoOrders:
    """orders_app's part of my data, for an account with none."""

    def orders_of(self, user_id):
        return {}

    def erase(self, user_id, login):
        return {"cancelled": 0}


def test_a_change_whose_link_expired_says_so_and_sending_it_again_gives_24_hours_more(client, register, app, smtp):
    register("alice", email="alice@example.com")
    ask_change(client, "alice@new.example")
    with app.app_context():
        alice = db.session.scalar(select(User).where(User.login == "alice"))
        alice.email_pending_at = utcnow() - timedelta(hours=25)
        db.session.commit()
    page = account_page(client)
    assert "The link we sent to alice@new.example has expired." in page and "it works until" not in page
    assert post(client, "/users/account/email/resend").status_code == 303
    assert "it works until" in account_page(client)
    deliver(app)
    [message] = smtp.inbox.to("alice@new.example")  # the first one, asked before the resend, is not sent
    assert confirm(client, CONFIRM_LINK.search(text_of(message)).group(1)).status_code == 303
    assert address_of(app) == "alice@new.example"
