"""E-mail addresses, password reset links and the outbox, against a real SMTP server (aiosmtpd)."""

import html
import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shared_ui import outbox
from shared_ui.mail import SmtpUrlError, parse_smtp_url
from tests.helpers import csrf_from, make_app, statements_run
from tests.mail_server import html_of, smtp_server, text_of
from users_app import accounts, create_app, email_confirm, email_restore, mail, reset_links
from users_app.extensions import db
from users_app.models import Attempt, MailAttempt, MailMessage, User, utcnow

LINK = re.compile(r"http://[^\s\"<]+/users/password/reset/[A-Za-z0-9_.\-]+")
ANSWER = "If an account has this address, we sent it a link"


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def app(tmp_path, smtp):
    return make_app(
        create_app,
        "users",
        tmp_path,
        SHOP_ADMIN_LOGIN="boss",
        SHOP_ADMIN_PASSWORD="boss-password-1",
        SHOP_SMTP_URL=smtp.url,
        SHOP_MAIL_FROM="Shop <shop@example.com>",
        SHOP_PUBLIC_URL="http://shop.test",
    )


def deliver(app, **kwargs):
    with app.app_context():
        return outbox.deliver_due(mail.OUTBOX, **kwargs)


def messages(app, **where):
    with app.app_context():
        query = select(MailMessage).filter_by(**where).order_by(MailMessage.id)
        return db.session.scalars(query).all()


def forgot(client, email):
    token = csrf_from(client, "/users/password/forgot")
    return client.post("/users/password/forgot", data={"email": email, "csrf_token": token})


CONFIRM_LINK = re.compile(r"http://shop\.test(/users/email/confirm/[A-Za-z0-9_.\-]+)")


def ask_change(client, new) -> None:
    data = {"email": new, "email_password": "a good password", "csrf_token": csrf_from(client, "/users/account")}
    assert client.post("/users/account/email", data=data).status_code == 303


def confirm_link(app, new) -> str:
    """The link of the latest change to `new`, as its mail reads (not sent: the outbox skips it once
    the address is the account's)."""
    with app.app_context():
        query = select(MailMessage).filter_by(kind=mail.EMAIL_CONFIRM, to_address=new).order_by(MailMessage.id.desc())
        return CONFIRM_LINK.search(mail.render(db.session.scalars(query).first()).text).group(1)


def confirm(client, link):
    """The link's page, opened in this browser, and its button pressed."""
    return client.post(link, data={"csrf_token": csrf_from(client, "/users/account")})


def register_in(client, login) -> None:
    """`login` registered (login@example.com) and logged in, in this browser."""
    data = {"login": login, "password": "a good password", "email": f"{login}@example.com"}
    data["csrf_token"] = csrf_from(client, "/users/register")
    assert client.post("/users/register", data=data).status_code == 303


def change_address(app, client, new) -> None:
    """Asked on the account page and confirmed by its link, opened in the same (logged-in) browser."""
    ask_change(client, new)
    assert confirm(client, confirm_link(app, new)).status_code == 303


def reset_link(smtp, address) -> str:
    [message] = smtp.inbox.to(address)
    return LINK.search(text_of(message)).group(0).replace("http://shop.test", "")


def test_registration_keeps_the_address_and_refuses_it_again_in_other_case(client, register):
    assert register("alice", email="Alice@Example.com").status_code == 303
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    response = register("bob", email="alice@example.COM")
    assert response.status_code == 422
    assert "Another account uses this e-mail address." in response.get_data(as_text=True)


def test_the_registration_form_requires_an_address_and_says_so_next_to_the_field(client, register):
    response = register("alice", email="")
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    response = register("alice", email="not an address")
    assert "Enter an e-mail address like name@example.com." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "said"),
    [
        ("a,b@example.com", "Enter an e-mail address like name@example.com."),  # two addresses
        ("victim(x)@example.com", "Enter an e-mail address like name@example.com."),  # mail to victim@
        ('"ana"@example.com', "Enter an e-mail address like name@example.com."),
        ("joão@exemplo.com.br", "cannot reach addresses with accents"),
        ("ana@exémplo.com", "cannot reach addresses with accents"),
    ],
)
def test_an_address_the_shops_mail_cannot_reach_as_written_is_refused_next_to_the_field(client, register, email, said):
    response = register("alice", email=email)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert 'id="email-error"' in page and said in page


def test_an_address_the_shops_mail_reaches_is_taken_and_reached(app, register, smtp):
    address = "o'brien+shop@xn--exmplo-9ua.com.br"  # a domain with accents, in its xn-- form
    assert register("alice", email=address).status_code == 303
    forgot(app.test_client(), address)
    assert deliver(app) == {"sent": 1}
    assert reset_link(smtp, address).startswith("/users/password/reset/")


def test_the_api_takes_an_address_or_none_and_refuses_a_taken_one(client, app):
    assert (
        client.post("/users/api/users", json={"login": "old_client", "password": "a good password"}).status_code == 201
    )
    body = {"login": "carol", "password": "a good password", "email": "carol@example.com"}
    assert client.post("/users/api/users", json=body).status_code == 201
    again = client.post("/users/api/users", json={**body, "login": "carol2", "email": "CAROL@example.com"})
    assert again.status_code == 409 and again.get_json()["error"]["field"] == "email"
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "carol")) == "carol@example.com"


@pytest.mark.parametrize("email", ["", "   "])
def test_an_empty_address_given_to_the_api_is_a_422_not_an_account_without_one(client, app, email):
    """A client that sends "email": "" (a form field left empty) meant to give one: it was a 201 and an
    account with no address, so no password reset and no receipts, and the client never knew."""
    response = client.post("/users/api/users", json={"login": "dave", "password": "a good password", "email": email})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "email"
    with app.app_context():
        assert db.session.scalar(select(User).where(User.login == "dave")) is None


def test_an_account_without_an_address_is_asked_for_one_and_adds_it_with_its_password(client, app):
    client.post("/users/api/users", json={"login": "old_client", "password": "a good password"})
    token = csrf_from(client, "/users/login")
    client.post("/users/login", data={"login": "old_client", "password": "a good password", "csrf_token": token})
    page = client.get("/users/account").get_data(as_text=True)
    assert 'id="email-missing"' in page
    token = csrf_from(client, "/users/account")
    wrong = {"email": "old@example.com", "email_password": "nope nope nope", "csrf_token": token}
    assert client.post("/users/account/email", data=wrong).status_code == 422
    right = {**wrong, "email_password": "a good password"}
    assert client.post("/users/account/email", data=right).status_code == 303
    assert 'id="email-missing"' in client.get("/users/account").get_data(as_text=True)  # not until confirmed
    assert confirm(client, confirm_link(app, "old@example.com")).status_code == 303
    assert "old@example.com" in client.get("/users/account").get_data(as_text=True)
    assert [m.kind for m in messages(app)] == [mail.EMAIL_CONFIRM]  # no old address: no notice


def test_a_new_address_is_the_accounts_once_its_owner_opens_the_link_sent_to_it(client, register, app, smtp):
    """A typo in the new address sent receipts and reset links to a stranger at once: now the account
    keeps its address until the link sent to the new one is opened, logged in to the account."""
    register("alice", email="alice@example.com")
    ask_change(client, "alice@new.example")
    page = html.unescape(client.get("/users/account").get_data(as_text=True))
    assert "We sent a link to alice@new.example; your address changes when you open it and confirm." in page
    assert 'value="alice@example.com"' in page
    assert deliver(app) == {"sent": 1}
    assert smtp.inbox.to("alice@example.com") == []  # nothing changed yet: nothing to tell
    [asked] = smtp.inbox.to("alice@new.example")
    assert asked["Subject"] == "Confirm your new e-mail address" and CONFIRM_LINK.search(html_of(asked))
    link = CONFIRM_LINK.search(text_of(asked)).group(1)
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@example.com"

    stranger = app.test_client()  # the typo's stranger, not logged in: nothing changes
    refused = stranger.get(link)
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/users/login?next=")
    assert refused.headers["Referrer-Policy"] == "no-referrer"
    other = app.test_client()
    register_in(other, "bob")
    assert "for another account" in other.get(link).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@example.com"

    done = confirm(client, link)
    assert done.status_code == 303 and done.headers["Cache-Control"] == "no-store"
    assert "Your e-mail address is now alice@new.example." in client.get("/users/account").get_data(as_text=True)
    assert deliver(app) == {"sent": 1}
    [notice] = smtp.inbox.to("alice@example.com")
    assert notice["Subject"] == "Your e-mail address was changed" and RESTORE_LINK.search(text_of(notice))
    assert notice["From"] == "Shop <shop@example.com>"
    assert notice["Date"].endswith("+0000")  # UTC, said as such (-0000 means "offset unknown")
    again = client.get(link)
    assert again.status_code == 410 and "is the address of your account already" in again.get_data(as_text=True)


def test_opening_a_confirmation_link_only_asks_so_a_typos_stranger_cannot_make_the_owner_confirm_it(
    client, register, app, smtp
):
    """alice mistyped her new address: the link went to a stranger's inbox. Opening it was the
    confirmation, so the stranger only had to make alice's browser open it (a link or a redirect from
    any page: the session cookie goes along) to put their address on her account, then ask for a
    password reset there. Opening it now asks; only the page's own button (its CSRF token) confirms."""
    register("alice", email="alice@example.com")
    ask_change(client, "alice@gmial.example")
    link = confirm_link(app, "alice@gmial.example")
    opened = client.get(link, headers={"Referer": "https://evil.example/"})
    assert opened.status_code == 200 and opened.headers["Referrer-Policy"] == "no-referrer"
    page = re.sub(r"</?strong>", "", html.unescape(opened.get_data(as_text=True)))
    assert "Make alice@gmial.example the address of the account alice?" in page
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@example.com"
    assert client.post(link, data={}).status_code == 400  # a cross-site form has no CSRF token
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@example.com"
    assert confirm(client, link).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@gmial.example"


def test_a_taken_address_is_told_only_to_whoever_opens_the_link_sent_to_it(client, register, app, smtp):
    """Asking for bob's address answers as for any other (no telling who has an account); the link,
    in bob's inbox, says it is taken, and so does one whose address was registered meanwhile."""
    other = app.test_client()
    register_in(other, "bob")
    register("alice", email="alice@example.com")
    for new in ("Bob@Example.com", "carol@example.com"):
        data = {"email": new, "email_password": "a good password", "csrf_token": csrf_from(client, "/users/account")}
        response = client.post("/users/account/email", data=data, follow_redirects=True)
        assert f"We sent a link to {new};" in html.unescape(response.get_data(as_text=True))
        if new == "carol@example.com":  # registered while its link is on its way
            other.post("/users/logout", data={"csrf_token": csrf_from(other, "/users/account")})
            register_in(other, "carol")
        taken = confirm(client, confirm_link(app, new))
        assert taken.status_code == 409 and "Another account uses this e-mail address." in taken.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@example.com"


def test_a_confirmation_link_expires_and_counts_from_the_asking(client, register, app, monkeypatch):
    register("alice", email="alice@example.com")
    with app.app_context():
        alice = db.session.scalar(select(User).where(User.login == "alice"))
        resent = email_confirm.make_token(alice, "a@new.example", utcnow() - timedelta(hours=24, minutes=1))
        later = email_confirm.make_token(alice, "a@new.example", utcnow())
    assert "This link has expired" in client.get(f"/users/email/confirm/{resent}").get_data(as_text=True)
    monkeypatch.setattr(email_confirm, "MAX_AGE_HOURS", -1)
    expired = client.get(f"/users/email/confirm/{later}")
    assert expired.status_code == 410 and "This link has expired" in expired.get_data(as_text=True)
    assert client.get("/users/email/confirm/forged.token").status_code == 410


def test_every_request_counts_towards_the_hourly_limit_of_changes(client, register, app):
    app.config["SHOP_EMAIL_CHANGES_PER_HOUR"] = 2
    register("alice", email="alice@example.com")
    for new in ("a@one.example", "a@two.example"):
        ask_change(client, new)
    data = {"email": "a@three.example", "email_password": "a good password",
            "csrf_token": csrf_from(client, "/users/account")}
    response = client.post("/users/account/email", data=data)
    assert response.status_code == 429 and "too often" in response.get_data(as_text=True)
    assert [m.to_address for m in messages(app)] == ["a@one.example", "a@two.example"]


def test_writing_the_same_address_in_other_case_sends_no_alarm_to_it(client, register, app, smtp):
    """The shop takes "Alice@Example.com" for the address "alice@example.com" is (unique ignoring case):
    writing it so is no change of mailbox, yet it sent that mailbox "Your e-mail address was changed"
    with a link to undo it, whose page then said the account has that address already."""
    register("alice", email="alice@example.com")
    token = csrf_from(client, "/users/account")
    data = {"email": "Alice@Example.com", "email_password": "a good password", "csrf_token": token}
    assert client.post("/users/account/email", data=data).status_code == 303
    assert "Alice@Example.com" in client.get("/users/account").get_data(as_text=True)
    assert messages(app) == []
    assert deliver(app) is None and smtp.inbox.to("alice@example.com") == []


RESTORE_LINK = re.compile(r"http://shop\.test(/users/email/restore/[A-Za-z0-9_.\-]+)")


def owner_and_intruder(app):
    """Two browsers: alice registered (alice@example.com) in the first, logged in to the same
    account with its password in the second."""
    owner, intruder = app.test_client(), app.test_client()
    registration = {"login": "alice", "email": "alice@example.com", "password": "a good password"}
    owner.post("/users/register", data={**registration, "csrf_token": csrf_from(owner, "/users/register")})
    token = csrf_from(intruder, "/users/login")
    intruder.post("/users/login", data={"login": "alice", "password": "a good password", "csrf_token": token})
    return owner, intruder


def test_an_address_changed_by_someone_else_is_put_back_by_the_notices_link(app, register, smtp):
    """Whoever changed it knew the password: the link ends their sessions and the password, and a
    link to choose a new one goes to the owner's address."""
    owner, intruder = owner_and_intruder(app)
    change_address(app, intruder, "intruder@evil.example")
    assert deliver(app) == {"sent": 1, "skipped": 1}  # the notice; the link, used already, is not sent
    [notice] = smtp.inbox.to("alice@example.com")
    assert RESTORE_LINK.search(html_of(notice))
    link = RESTORE_LINK.search(text_of(notice)).group(1)

    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "alice@example.com" in page.get_data(as_text=True)
    assert visitor.post(link, data={}).status_code == 400  # CSRF: a forged POST restores nothing
    done = visitor.post(link, data={"csrf_token": csrf_from(visitor, link)})
    assert done.status_code == 303 and done.headers["Location"] == "/users/login"

    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@example.com"
    assert intruder.get("/users/account").status_code == 302 and owner.get("/users/account").status_code == 302
    tokens = visitor.post("/users/api/tokens", json={"login": "alice", "password": "a good password"})
    assert tokens.status_code == 401  # the password the intruder knows works no more
    assert deliver(app) == {"sent": 2}
    _notice, reset_mail = smtp.inbox.to("alice@example.com")  # to the owner's address: a new password
    [told] = smtp.inbox.to("intruder@evil.example")  # the replaced address hears of it, with no link
    assert told["Subject"] == "Your account has its previous e-mail address again"
    assert "http" not in text_of(told) and "contact the shop" in text_of(told)
    reset = LINK.search(text_of(reset_mail)).group(0).replace("http://shop.test", "")
    reset_page = visitor.get(reset)
    done = visitor.post(reset, data={"password": "my own new password", "csrf_token": csrf_from(visitor, reset)})
    assert reset_page.status_code == 200 and done.status_code == 303
    assert (
        visitor.post("/users/api/tokens", json={"login": "alice", "password": "my own new password"}).status_code == 201
    )
    again = visitor.get(link)
    assert again.status_code == 410 and "This link was used already" in again.get_data(as_text=True)


def test_an_address_restore_link_outlives_later_changes_and_is_used_up_by_a_restore(
    app, client, register, smtp, monkeypatch
):
    register("alice", email="alice@example.com")
    for new in ("alice@new.example", "alice@newer.example"):  # a second change does not undo the first's link
        change_address(app, client, new)
    # the notices; the links, used already, are not sent; the notice to alice@new.example, made when
    # sent, works for this account while it has alice@newer.example
    assert deliver(app) == {"sent": 2, "skipped": 2}
    first = RESTORE_LINK.search(text_of(smtp.inbox.to("alice@example.com")[0])).group(1)
    second = RESTORE_LINK.search(text_of(smtp.inbox.to("alice@new.example")[-1])).group(1)
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    register("bob", email="alice@new.example")  # free since the second change
    visitor = app.test_client()
    taken = visitor.post(second, data={"csrf_token": csrf_from(visitor, second)})
    assert taken.status_code == 410
    assert "Another account uses that address now" in html.unescape(taken.get_data(as_text=True))
    restored = visitor.post(first, data={"csrf_token": csrf_from(visitor, first)})
    assert restored.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@example.com"
        alice = db.session.scalar(select(User).where(User.login == "alice"))
        later = email_restore.make_token(alice, "x@y.example", utcnow())
        # a notice sent again days after the change (a retry): its link counts from the change
        resent = email_restore.make_token(alice, "x@y.example", utcnow() - timedelta(days=3, minutes=1))
    assert "This link has expired" in app.test_client().get(f"/users/email/restore/{resent}").get_data(as_text=True)
    for used in (first, second):  # every link made before the restore is used up
        again = app.test_client().get(used)
        assert again.status_code == 410 and "This link was used already." in again.get_data(as_text=True)
    monkeypatch.setattr(email_restore, "MAX_AGE_DAYS", -1)
    expired = app.test_client().get(f"/users/email/restore/{later}")
    assert expired.status_code == 410 and "This link has expired" in expired.get_data(as_text=True)
    assert app.test_client().get("/users/email/restore/forged.token").status_code == 410


def test_mail_sent_after_a_restore_gives_the_intruder_no_way_back(app, register, smtp):
    """Mail is made when it is sent: a reset asked for the intruder's address and the notice of their
    next change, both still in the outbox when the owner restores, give them nothing."""
    _owner, intruder = owner_and_intruder(app)

    def change(to):
        change_address(app, intruder, to)

    change("b@evil.example")
    assert deliver(app) == {"sent": 1, "skipped": 1}
    owners_link = RESTORE_LINK.search(text_of(smtp.inbox.to("alice@example.com")[0])).group(1)
    forgot(app.test_client(), "b@evil.example")  # queued for the address the account has now
    change("c@evil.example")  # its notice, with a restore link, goes to b@
    visitor = app.test_client()
    assert visitor.post(owners_link, data={"csrf_token": csrf_from(visitor, owners_link)}).status_code == 303

    # the reset to b@ is not the account's address now (c@ is told), nor is the link to c@ sent
    assert deliver(app) == {"sent": 3, "skipped": 2}
    to_b = smtp.inbox.to("b@evil.example")
    assert [m["Subject"] for m in to_b] == ["Your e-mail address was changed"]
    intruders_link = RESTORE_LINK.search(text_of(to_b[0])).group(1)
    refused = app.test_client().get(intruders_link)  # made after the restore, for a change before it
    assert refused.status_code == 410 and "This link was used already." in refused.get_data(as_text=True)
    [reset] = [m for m in smtp.inbox.to("alice@example.com") if m["Subject"] == "Reset your password"]
    assert LINK.search(text_of(reset))
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.login == "alice")) == "alice@example.com"


def test_a_change_asked_with_the_password_while_the_address_is_restored_is_refused(app, register, smtp, monkeypatch):
    _owner, intruder = owner_and_intruder(app)
    change_address(app, intruder, "b@evil.example")
    deliver(app)
    link = RESTORE_LINK.search(text_of(smtp.inbox.to("alice@example.com")[0])).group(1)
    hashing = accounts.hash_password

    def restored_meanwhile(password):  # the owner restores while the intruder's new password is hashed
        visitor = app.test_client()
        worker = threading.Thread(target=lambda: visitor.post(link, data={"csrf_token": csrf_from(visitor, link)}))
        worker.start()
        worker.join()
        return hashing(password)

    monkeypatch.setattr(accounts, "hash_password", restored_meanwhile)
    change = {
        "current_password": "a good password",
        "new_password": "the intruder's own",
        "csrf_token": csrf_from(intruder, "/users/account"),
    }
    refused = intruder.post("/users/account/password", data=change)
    assert refused.status_code == 422 and "Your account changed meanwhile" in refused.get_data(as_text=True)
    with app.app_context():
        alice = db.session.scalar(select(User).where(User.login == "alice"))
        assert (alice.email, alice.password_hash) == ("alice@example.com", "")
    assert intruder.get("/users/account").status_code == 302


def test_the_address_form_says_every_problem_at_once_where_the_form_is(client, register):
    register("alice", email="alice@example.com")
    page = client.get("/users/account").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="([^"]+)"', page)
    # each form's answer opens at the form (the page is longer than a window): at its first invalid
    # field, which has the focus (a #fragment in the action would stop that); and ids are unique
    assert {"/users/account/email", "/users/account/password", "/users/account/delete"} <= set(forms)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert [name for name, count in Counter(ids).items() if count > 1] == []
    bad = {"email": "not an address", "email_password": "", "csrf_token": csrf_from(client, "/users/account")}
    answer = client.post("/users/account/email", data=bad)
    said = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert "Enter an e-mail address like name@example.com." in said and "Enter your current password." in said
    assert re.findall(r"<input [^>]*\bautofocus\b[^>]*>", said) == [re.search(r'<input [^>]*id="email"[^>]*>', said)[0]]
    good = {**bad, "email": "alice@new.example", "email_password": "a good password"}
    assert client.post("/users/account/email", data=good).headers["Location"] == "/users/account#main"


def test_forgot_answers_the_same_for_an_address_with_and_without_an_account(client, register, app):
    register("alice", email="alice@example.com")
    client.post("/users/logout", data={"csrf_token": csrf_from(client, "/users/account")})
    known, unknown = forgot(client, "alice@example.com"), forgot(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'value="[^"]+"', "", html)  # noqa: E731 (only the CSRF token differs)
    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    assert ANSWER in known.get_data(as_text=True)
    api = [client.post("/users/api/password-resets", json={"email": e}) for e in ("alice@example.com", "x@y.example")]
    assert [r.status_code for r in api] == [202, 202] and api[0].get_json() == api[1].get_json()
    assert [m.kind for m in messages(app)] == ["password_reset", "password_reset"]


def test_the_emailed_link_sets_a_new_password_once_and_ends_every_session(app, register, smtp):
    browser, other_device = app.test_client(), app.test_client()
    token = csrf_from(browser, "/users/register")
    data = {"login": "alice", "email": "alice@example.com", "password": "a good password", "csrf_token": token}
    browser.post("/users/register", data=data)
    api_token = other_device.post("/users/api/tokens", json={"login": "alice", "password": "a good password"})
    bearer = {"Authorization": f"Bearer {api_token.get_json()['token']}"}
    assert other_device.get("/users/api/me", headers=bearer).status_code == 200

    forgot(app.test_client(), "ALICE@example.com")
    assert deliver(app) == {"sent": 1}
    [message] = smtp.inbox.to("alice@example.com")
    assert message["Subject"] == "Reset your password"
    assert LINK.search(html_of(message))
    link = reset_link(smtp, "alice@example.com")

    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "alice" in page.get_data(as_text=True)
    token = csrf_from(visitor, link)
    done = visitor.post(link, data={"password": "a brand new password", "csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"] == "/users/login"

    assert browser.get("/users/account").status_code == 302  # logged out
    assert other_device.get("/users/api/me", headers=bearer).status_code == 401
    assert visitor.post("/users/api/tokens", json={"login": "alice", "password": "a good password"}).status_code == 401
    assert (
        visitor.post("/users/api/tokens", json={"login": "alice", "password": "a brand new password"}).status_code
        == 201
    )
    again = visitor.get(link)
    assert again.status_code == 410
    assert "This link was used already" in again.get_data(as_text=True)


def test_a_link_is_refused_after_the_password_changed_and_once_expired(app, client, register, smtp, monkeypatch):
    register("alice", email="alice@example.com")
    forgot(app.test_client(), "alice@example.com")
    deliver(app)
    link = reset_link(smtp, "alice@example.com")
    token = csrf_from(client, "/users/account")
    change = {"current_password": "a good password", "new_password": "another good one", "csrf_token": token}
    assert client.post("/users/account/password", data=change).status_code == 303
    assert client.get(link).status_code == 410

    forgot(app.test_client(), "alice@example.com")
    deliver(app)
    fresh = LINK.search(text_of(smtp.inbox.to("alice@example.com")[-1])).group(0).replace("http://shop.test", "")
    assert app.test_client().get(fresh).status_code == 200
    monkeypatch.setattr(reset_links, "MAX_AGE_SECONDS", -1)
    expired = app.test_client().get(fresh)
    assert expired.status_code == 410 and "This link has expired" in expired.get_data(as_text=True)
    assert app.test_client().get("/users/password/reset/forged.token").status_code == 410


def log_in(client, login, password):
    token = csrf_from(client, "/users/login")
    return client.post("/users/login", data={"login": login, "password": password, "csrf_token": token})


def test_a_password_set_by_the_emailed_link_gets_past_a_guessers_lockout(app, register, smtp):
    register("alice", email="alice@example.com")
    guesser = app.test_client()
    for _ in range(6):
        log_in(guesser, "alice", "a guess!")
    owner = app.test_client()  # a browser that never logged in to the account: no device cookie
    assert log_in(owner, "alice", "a good password").status_code == 429  # locked out with the guesser
    forgot(owner, "alice@example.com")
    deliver(app)
    link = reset_link(smtp, "alice@example.com")
    assert (
        owner.post(link, data={"password": "a brand new one", "csrf_token": csrf_from(owner, link)}).status_code == 303
    )
    assert log_in(owner, "alice", "a brand new one").status_code == 303
    with app.app_context():  # the guesses still count against the network they came from
        failed = select(Attempt.kind, Attempt.login_key, Attempt.address).where(Attempt.kind == "login_failed")
        kept = db.session.execute(failed).all()
    assert kept == [("login_failed", None, "127.0.0.1")] * 5  # the sixth guess was refused unheard


def test_resets_are_limited_per_address_and_per_network(app, register):
    register("alice", email="alice@example.com")
    for _ in range(5):
        assert forgot(app.test_client(), "alice@example.com").status_code == 200
    assert len(messages(app, kind="password_reset")) == app.config["SHOP_RESETS_PER_ADDRESS"]
    app.config["SHOP_RESETS_PER_NETWORK"] = 5
    limited = forgot(app.test_client(), "someone@example.com")
    assert limited.status_code == 429 and "Too many password reset requests" in limited.get_data(as_text=True)
    assert app.test_client().post("/users/api/password-resets", json={"email": "x@example.com"}).status_code == 429


def test_a_portuguese_account_gets_its_reset_link_in_portuguese(app, client, register, smtp):
    register("ana", email="ana@example.com")
    client.post("/users/language", data={"lang": "pt_BR", "csrf_token": csrf_from(client, "/users/account")})
    forgot(app.test_client(), "ana@example.com")
    deliver(app)
    [message] = smtp.inbox.to("ana@example.com")
    assert message["Subject"] == "Redefina sua senha"
    assert "Olá, ana." in text_of(message)


def test_a_portuguese_account_is_told_and_sent_its_confirmation_link_in_portuguese(app, client, register, smtp):
    register("ana", email="ana@example.com")
    client.post("/users/language", data={"lang": "pt_BR", "csrf_token": csrf_from(client, "/users/account")})
    data = {"email": "ana@novo.example", "email_password": "a good password"}
    page = client.post(
        "/users/account/email", data={**data, "csrf_token": csrf_from(client, "/users/account")}, follow_redirects=True
    )
    assert "Enviamos um link para ana@novo.example" in html.unescape(page.get_data(as_text=True))
    deliver(app)
    [message] = smtp.inbox.to("ana@novo.example")
    assert message["Subject"] == "Confirme seu novo endereço de e-mail"
    assert "Olá, ana." in text_of(message) and "funciona por 24 horas" in text_of(message)


def test_the_outbox_writes_a_key_once(app):
    with app.app_context():
        for _ in range(3):
            with db.session.begin():
                outbox.enqueue(mail.OUTBOX, key="the-same-event", kind="email_changed", to_address="a@example.com")
        assert db.session.scalar(select(func.count()).select_from(MailMessage)) == 1


def test_smtp_down_then_up_delivers_the_message_once_with_each_attempt_recorded(app, register, smtp):
    register("alice", email="alice@example.com")
    forgot(app.test_client(), "alice@example.com")
    smtp.stop()
    assert deliver(app) == {"retry": 1}
    [message] = messages(app)
    assert message.state == "queued" and message.attempts == 1 and message.last_error
    assert deliver(app) is None  # backing off: not due yet
    smtp.start()
    later = message.next_attempt_at + timedelta(seconds=1)
    assert deliver(app, now=later) == {"sent": 1}
    assert deliver(app, now=later + timedelta(hours=2)) is None
    assert len(smtp.inbox.to("alice@example.com")) == 1
    with app.app_context():
        outcomes = db.session.scalars(select(MailAttempt.outcome).order_by(MailAttempt.id)).all()
    assert outcomes == ["failed", "sent"]


def failed_reset(app, register, smtp):
    """alice's password reset, failed every attempt while the mail server was down."""
    register("alice", email="alice@example.com")
    forgot(app.test_client(), "alice@example.com")
    smtp.stop()
    now = outbox.utcnow()
    for _ in range(outbox.MAX_ATTEMPTS):
        deliver(app, now=now)
        now += timedelta(days=1)
    [message] = messages(app)
    return message


def test_a_message_that_keeps_failing_is_flagged_for_the_admins(app, register, smtp, login):
    message = failed_reset(app, register, smtp)
    assert message.state == "failed"
    app.test_cli_runner().invoke(args=["bootstrap-admin"])
    boss = app.test_client()
    token = csrf_from(boss, "/users/login")
    boss.post("/users/login", data={"login": "boss", "password": "boss-password-1", "csrf_token": token})
    page = boss.get("/users/admin/mail/").get_data(as_text=True)
    assert message.key in page
    # In UTC, and said so, as on the other admin pages ("When (UTC)", "… UTC"): a bare time read as
    # local time is hours off for an admin anywhere else.
    assert re.search(rf'<time datetime="{re.escape(message.created_at.isoformat())}Z">[^<]+ UTC</time>', page)
    metrics = app.test_client().get("/users/metrics").get_data(as_text=True)
    assert 'shop_mail_messages{kind="password_reset",state="failed"} 1.0' in metrics


def test_a_failed_send_logs_the_key_but_never_the_link(app, register, smtp, caplog):
    register("alice", email="alice@example.com")
    forgot(app.test_client(), "alice@example.com")
    smtp.stop()
    deliver(app)
    [message] = messages(app)
    logged = caplog.text
    assert message.key in logged and "/users/password/reset/" not in logged


def test_forgot_does_the_same_work_for_an_address_with_and_without_an_account(app, register, smtp):
    # What would make the known address slower (and so tell it apart) is work the unknown one does
    # not do: sending the mail in the request, or a different path through the database. The
    # request for either runs the same statements, but the outbox's that queue the link, and sends
    # nothing (the jobs process does).
    register("alice", email="alice@example.com")
    client = app.test_client()
    token = csrf_from(client, "/users/password/forgot")
    with app.app_context():
        engine = db.engine
    statements = {}
    for email in ("nobody@example.com", "alice@example.com", "nobody-else@example.com"):
        post = lambda email=email: client.post("/users/password/forgot", data={"email": email, "csrf_token": token})  # noqa: E731
        response, statements[email] = statements_run(engine, post)
        assert response.status_code == 200 and ANSWER in response.get_data(as_text=True)
    unknown, known, other_unknown = statements.values()
    assert unknown == other_unknown
    extra = sorted((known - unknown).elements())  # the outbox's: is the key new, then the message
    outbox_table = MailMessage.__tablename__
    assert [statement.split(" (")[0] for statement in extra if statement.startswith("INSERT")] == [
        f"INSERT INTO {outbox_table}"
    ], extra
    assert all(re.search(rf"\b(FROM|INTO) {outbox_table}\b", statement) for statement in extra), extra
    assert not unknown - known, unknown - known
    assert smtp.inbox.messages == []  # nothing sent in the request: the link waits in the outbox
    assert len(messages(app, kind="password_reset")) == 1


def test_a_message_claimed_by_one_jobs_process_is_not_sent_by_another(app, register, smtp):
    register("alice", email="alice@example.com")
    forgot(app.test_client(), "alice@example.com")
    now = outbox.utcnow()
    with app.app_context():
        db.session.execute(
            update(MailMessage).values(state="sending", claimed_until=now + timedelta(seconds=60), attempts=1)
        )
        db.session.commit()
    assert deliver(app, now=now) is None  # the other process has it
    assert smtp.inbox.messages == []
    assert deliver(app, now=now + timedelta(seconds=61)) == {"sent": 1}  # that process died: taken over
    assert len(smtp.inbox.messages) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:1025", ("127.0.0.1", 1025, "plain", None, None)),
        (
            "smtps://shop%40example.com:p%3Ass@mail.example.com",
            ("mail.example.com", 465, "ssl", "shop@example.com", "p:ss"),
        ),
        ("smtp+starttls://user:secret@mail.example.com:2525", ("mail.example.com", 2525, "starttls", "user", "secret")),
    ],
)
def test_the_smtp_url_says_host_port_security_and_credentials(url, expected):
    server = parse_smtp_url(url)
    assert (server.host, server.port, server.security, server.username, server.password) == expected
    assert "secret" not in repr(server) and "p:ss" not in repr(server)


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_an_smtp_url_that_is_not_one_is_refused(url):
    with pytest.raises(SmtpUrlError):
        parse_smtp_url(url)


def test_a_mail_server_that_is_down_costs_one_attempt_per_run_not_one_per_message(app, register, smtp):
    for name in ("alice", "bob", "carol"):
        register(name, email=f"{name}@example.com")
        forgot(app.test_client(), f"{name}@example.com")
    smtp.stop()
    assert deliver(app) == {"retry": 1}  # the others wait for the next run, untouched
    assert [m.attempts for m in messages(app)] == [1, 0, 0]
    smtp.start()
    assert deliver(app) == {"sent": 2}  # the first one backs off


def test_try_again_twice_says_the_second_time_that_the_message_was_already_queued(app, register, smtp):
    """Two admins (or two tabs) click "Try again" on one message: the second is told why nothing
    happened instead of a page with no message at all."""
    message = failed_reset(app, register, smtp)
    app.test_cli_runner().invoke(args=["bootstrap-admin"])
    boss = app.test_client()
    token = csrf_from(boss, "/users/login")
    boss.post("/users/login", data={"login": "boss", "password": "boss-password-1", "csrf_token": token})
    token = csrf_from(boss, "/users/admin/mail/")
    first = boss.post(f"/users/admin/mail/{message.id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "The message will be sent again." in first.get_data(as_text=True)
    second = boss.post(f"/users/admin/mail/{message.id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "already queued again" in second.get_data(as_text=True)


def test_the_failed_mail_page_says_how_many_there_are_when_it_lists_only_the_newest(app):
    with app.app_context():
        for number in range(52):
            db.session.add(MailMessage(key=f"failed-{number}", kind="password_reset", state="failed", attempts=8))
        db.session.commit()
    app.test_cli_runner().invoke(args=["bootstrap-admin"])
    boss = app.test_client()
    token = csrf_from(boss, "/users/login")
    boss.post("/users/login", data={"login": "boss", "password": "boss-password-1", "csrf_token": token})
    page = boss.get("/users/admin/mail/").get_data(as_text=True)
    assert page.count('<tr id="mail-') == 50 and "failed-51" in page and "failed-1<" not in page
    assert "The newest 50 of 52 are listed" in page


def test_the_failed_mail_page_does_not_say_every_message_was_sent_while_some_wait_to_be_tried_again(
    app, register, smtp
):
    """With the mail server down, a message that failed its first attempts waits hours for its last:
    the page said "Every message was sent." all that while."""
    register("alice", email="alice@example.com")
    forgot(app.test_client(), "alice@example.com")
    smtp.stop()
    deliver(app)
    [message] = messages(app)
    assert message.state == "queued" and message.attempts == 1
    app.test_cli_runner().invoke(args=["bootstrap-admin"])
    boss = app.test_client()
    token = csrf_from(boss, "/users/login")
    boss.post("/users/login", data={"login": "boss", "password": "boss-password-1", "csrf_token": token})
    page = html.unescape(boss.get("/users/admin/mail/").get_data(as_text=True))
    assert "Every message was sent." not in page
    assert "No message has failed every attempt." in page
    waiting = re.search(r'<p id="mail-retrying"[^>]*>([^<]*)</p>', page)
    assert waiting and waiting.group(1).startswith("1 message could not be sent yet: the shop tries it again by itself")

    smtp.start()
    deliver(app, now=outbox.utcnow() + timedelta(hours=1))
    page = boss.get("/users/admin/mail/").get_data(as_text=True)
    assert "Every message was sent." in page and "mail-retrying" not in page


def test_the_reset_page_names_the_account_for_the_browsers_password_manager(app, register, smtp):
    """The new password's form had no username field (Chrome: "Password forms should have (optionally
    hidden) username fields"), so a password manager saved the new password under no account, or
    offered to overwrite another's."""
    assert register("alice", email="alice@example.com").status_code == 303
    forgot(app.test_client(), "alice@example.com")
    deliver(app)
    page = app.test_client().get(reset_link(smtp, "alice@example.com")).get_data(as_text=True)
    form = re.search(r"<form method=\"post\".*?</form>", page, re.S).group(0)
    assert re.search(r'<input type="text" name="username" value="alice" autocomplete="username" hidden>', form)
    assert 'autocomplete="new-password"' in form
