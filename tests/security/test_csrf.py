"""CSRF: forms and htmx posts need the token; a cross-site post changes nothing; the API needs none."""

import requests

from stacktools.client import DEFAULT_PASSWORD, TIMEOUT, ShopClient, find_user, new_login


def test_a_form_post_without_the_token_is_400_and_changes_nothing(stack):
    login = new_login()
    client = ShopClient(stack.base_url)
    client.register(login)
    response = client.post(
        "/users/account/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "brand new secret"},
        csrf=False,
    )
    assert response.status_code == 400
    assert "expired or was sent from another site" in response.text
    client.logout()
    client.login(login, DEFAULT_PASSWORD)  # the old password still works


def test_an_htmx_post_without_the_header_is_400_and_changes_nothing(stack, admin):
    login = new_login()
    ShopClient(stack.base_url).register(login)
    token = admin.api_token("admin", stack.env["SHOP_ADMIN_PASSWORD"])
    user_id = find_user(admin, token, login)["id"]
    response = admin.post(f"/users/admin/{user_id}/deactivate", htmx=True, csrf=False)
    assert response.status_code == 400
    assert find_user(admin, token, login)["is_active"]


def test_a_cross_site_post_with_the_victims_cookie_is_refused(stack):
    victim = ShopClient(stack.base_url)
    login = new_login()
    victim.register(login)
    # An attacker's page can make the browser post, but cannot read the token; a token from the
    # attacker's own session does not match the victim's.
    attacker_token = ShopClient(stack.base_url).csrf_token()
    forged = victim.http.post(
        stack.url("/users/logout"),
        data={"csrf_token": attacker_token},
        headers={"Origin": "https://evil.example", "Referer": "https://evil.example/page"},
        allow_redirects=False,
    )
    assert forged.status_code == 400
    assert f">{login}</a>" in victim.get("/users/account").text


def test_logout_by_get_is_not_possible(stack):
    client = ShopClient(stack.base_url)
    client.register()
    assert client.get("/users/logout", follow=False).status_code == 405


def test_bearer_api_calls_need_no_csrf_token(stack):
    login = new_login()
    response = requests.post(
        stack.url("/users/api/users"), json={"login": login, "password": DEFAULT_PASSWORD}, timeout=TIMEOUT
    )
    assert response.status_code == 201
