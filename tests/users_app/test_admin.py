"""The admin user list: only for admins; promote, demote, deactivate, reactivate."""

import re

import pytest
from sqlalchemy import select

from tests.helpers import csrf_from
from users_app import accounts
from users_app.extensions import db
from users_app.models import User, utcnow


@pytest.fixture
def boss(app, client, login):
    app.test_cli_runner().invoke(args=["bootstrap-admin"])
    assert login("boss", "boss-password-1").status_code == 303
    return client


def user_id(app, login):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.login == login))


def signed_up(app, login):
    """A customer registered through the form, logged in on a client of their own."""
    client = app.test_client()
    data = {"login": login, "password": "a good password", "email": f"{login}@example.com"}
    client.post("/users/register", data={**data, "csrf_token": csrf_from(client, "/users/register")})
    return client


def fresh_user(app, login):
    with app.app_context():
        return db.session.scalar(select(User).where(User.login == login))


def test_admin_page_is_403_for_a_customer_and_a_login_redirect_for_anonymous(app, client, register):
    assert client.get("/users/admin/").status_code == 302
    register()
    response = client.get("/users/admin/")
    assert response.status_code == 403
    assert "You do not have access" in response.get_data(as_text=True)


def test_admin_sees_users_and_searches_them_as_a_fragment(boss, register, app):
    signed_up(app, "carol")
    page = boss.get("/users/admin/").get_data(as_text=True)
    assert "carol" in page and "boss" in page
    fragment = boss.get("/users/admin/?q=car", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert 'id="user-table"' in html and "carol" in html and "<html" not in html
    assert fragment.headers["Vary"].count("HX-Request") == 1


def test_deactivating_a_user_ends_their_session(boss, app):
    other = signed_up(app, "dave")
    assert other.get("/users/account").status_code == 200
    uid = user_id(app, "dave")
    token = csrf_from(boss, "/users/admin/")
    row = boss.post(f"/users/admin/{uid}/deactivate", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert row.status_code == 200
    assert "Deactivated" in row.get_data(as_text=True) and "<html" not in row.get_data(as_text=True)
    assert not fresh_user(app, "dave").is_active
    assert other.get("/users/account").status_code == 302


def test_promote_then_demote(boss, app, register):
    signed_up(app, "erin")
    uid = user_id(app, "erin")
    token = csrf_from(boss, "/users/admin/")
    boss.post(f"/users/admin/{uid}/promote", data={"csrf_token": token})
    assert fresh_user(app, "erin").is_admin
    boss.post(f"/users/admin/{uid}/demote", data={"csrf_token": token})
    assert not fresh_user(app, "erin").is_admin


def test_admin_cannot_lock_themselves_out(boss, app):
    uid = user_id(app, "boss")
    token = csrf_from(boss, "/users/admin/")
    response = boss.post(f"/users/admin/{uid}/demote", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert "You cannot remove your own access" in response.get_data(as_text=True)
    assert fresh_user(app, "boss").is_admin


def test_an_admin_is_offered_no_button_to_remove_their_own_access(boss, app):
    """The admin's own row offered "Remove admin" and "Deactivate", which only ever answered "You
    cannot remove your own access": the row says it is theirs instead; another admin's keeps them."""
    signed_up(app, "carol")
    boss_id, carol_id = user_id(app, "boss"), user_id(app, "carol")
    boss.post(f"/users/admin/{carol_id}/promote", data={"csrf_token": csrf_from(boss, "/users/admin/")})
    page = boss.get("/users/admin/").get_data(as_text=True)
    own_row = page[page.index(f'id="user-{boss_id}"') : page.index("</tr>", page.index(f'id="user-{boss_id}"'))]
    assert "<form" not in own_row and "(you)" in own_row
    for action in ("demote", "deactivate"):
        assert f"/users/admin/{boss_id}/{action}" not in page
        assert f"/users/admin/{carol_id}/{action}" in page


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, register):
    """Both requests passed the admin check before either wrote: the second finds its actor demoted."""
    register("xena")
    register("yuri")
    with app.app_context():
        xena, yuri = (db.session.scalar(select(User).where(User.login == name)) for name in ("xena", "yuri"))
        for admin in (xena, yuri):
            admin.is_admin = True
        db.session.commit()
        accounts.set_roles(yuri.id, xena, is_admin=False)  # yuri's request wrote first
        with pytest.raises(accounts.AccountError) as refused:
            accounts.set_roles(xena.id, db.session.get(User, yuri.id), is_admin=False)  # xena's, checked before
        assert refused.value.status == 403
    assert fresh_user(app, "yuri").is_admin and not fresh_user(app, "xena").is_admin


def test_admin_action_without_csrf_token_is_refused(boss, app):
    signed_up(app, "frank")
    uid = user_id(app, "frank")
    assert boss.post(f"/users/admin/{uid}/deactivate").status_code == 400
    assert fresh_user(app, "frank").is_active


def test_the_user_list_pages_keep_the_search_also_in_a_fragment(boss, app):
    with app.app_context():
        db.session.add_all(User(login=f"pager-{n:02d}", password_hash="not-a-hash") for n in range(55))
        db.session.commit()
    first = boss.get("/users/admin/?q=pager").get_data(as_text=True)
    assert first.count("pager-") >= 50 and "pager-54" not in first
    assert 'href="/users/admin/?q=pager&amp;page=2" rel="next"' in first and 'rel="prev"' not in first
    second = boss.get("/users/admin/?q=pager&page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in second and "pager-54" in second and "pager-00" not in second
    assert 'href="/users/admin/?q=pager&amp;page=1" rel="prev"' in second and 'rel="next"' not in second


def test_a_deleted_account_is_listed_as_deleted_with_no_buttons_the_server_would_refuse(boss, app):
    signed_up(app, "erin")
    uid = user_id(app, "erin")
    with app.app_context():  # what the owner's "Delete my account" leaves (users_app.my_data)
        user = db.session.get(User, uid)
        user.login, user.is_active, user.deleted_at = f"#deleted-{uid}", False, utcnow()
        db.session.commit()
    page = boss.get("/users/admin/").get_data(as_text=True)
    row = re.search(rf'<tr id="user-{uid}">(.*?)</tr>', page, re.S).group(1)
    assert "Deleted by its owner" in row and "Deactivated" not in row
    assert f"/users/admin/{uid}/" not in row  # no Make admin, no Reactivate: both answer "deleted by its owner"


def test_a_nul_character_in_the_search_is_dropped_not_sent_to_the_database(boss):
    """PostgreSQL refuses NUL in text (psycopg raises DataError: a 500); SQLite cut the pattern there
    and listed every user for a search that matches none."""
    html = boss.get("/users/admin/?q=%00nobody").get_data(as_text=True)
    assert "No users match." in html and '<tr id="user-' not in html
    assert 'value="nobody"' in html


def test_a_page_past_the_last_shows_the_last_and_an_action_without_javascript_comes_back_to_it(boss, app):
    with app.app_context():
        db.session.add_all(User(login=f"pager-{n:02d}", password_hash="not-a-hash") for n in range(55))
        db.session.commit()
    past = boss.get("/users/admin/?q=pager&page=7").get_data(as_text=True)
    assert "pager-54" in past and "No users match." not in past and 'rel="next"' not in past
    second = boss.get("/users/admin/?q=pager&page=2").get_data(as_text=True)
    form = re.search(r'<form method="post" action="(/users/admin/\d+/deactivate)".*?</form>', second, re.S)
    inputs = re.findall(r"<input [^>]*>", form.group(0))
    fields = {re.search(r'name="(\w+)"', i).group(1): re.search(r'value="([^"]*)"', i).group(1) for i in inputs}
    assert fields["q"] == "pager" and fields["page"] == "2"
    answer = boss.post(form.group(1), data=fields)
    assert answer.status_code == 303 and answer.headers["Location"] == "/users/admin/?q=pager&page=2"


def visible_text(html: str) -> str:
    """What a sighted admin reads in an htmx answer: without the live region's <template>s."""
    return re.sub(r"<template>.*?</template>", "", html, flags=re.S)


def test_an_admins_action_says_in_the_row_what_it_did_not_only_to_screen_readers(boss, app):
    """"dave is deactivated." went to the live region alone: a sighted admin saw the row change and
    no word of what was done."""
    signed_up(app, "dave")
    uid = user_id(app, "dave")
    token = csrf_from(boss, "/users/admin/")
    row = boss.post(f"/users/admin/{uid}/deactivate", data={"csrf_token": token}, headers={"HX-Request": "true"})
    html = row.get_data(as_text=True)
    assert '<small class="action-done">dave is deactivated.</small>' in visible_text(html)
    assert re.search(r'<div id="announcer" hx-swap-oob="innerHTML"><p>dave is deactivated.</p>', html)  # read out too


def test_making_an_admin_or_deactivating_asks_first_naming_the_account(boss, app):
    """"Make admin" gave a customer every admin power at one click, with no question; "Deactivate"
    logged them out everywhere the same way. Both ask now, naming whom; the ways back do not."""
    signed_up(app, "erin")
    uid = user_id(app, "erin")
    page = boss.get("/users/admin/").get_data(as_text=True)
    row = re.search(rf'<tr id="user-{uid}">.*?</tr>', page, re.S).group(0)
    questions = dict(re.findall(r'hx-post="/users/admin/\d+/(\w+)" hx-confirm="([^"]*)"', row))
    assert questions == {
        "promote": "Make erin an administrator? They can then change the inventory, refund orders and manage users.",
        "deactivate": "Deactivate erin? They are logged out everywhere and cannot log in until reactivated.",
    }
    token = csrf_from(boss, "/users/admin/")
    for action in ("promote", "deactivate"):
        boss.post(f"/users/admin/{uid}/{action}", data={"csrf_token": token})
    row = re.search(rf'<tr id="user-{uid}">.*?</tr>', boss.get("/users/admin/").get_data(as_text=True), re.S).group(0)
    assert "/demote" in row and "/reactivate" in row and "hx-confirm" not in row
