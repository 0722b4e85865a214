"""Sessions: cookie flags, renewal at login, replay after logout, losing rights in every app."""

import time

import requests

from stacktools.client import DEFAULT_PASSWORD, ShopClient, find_user, new_login
from tests.helpers import CSRF_FIELD, make_app
from users_app import create_app as create_users_app

APP_PAGES = ("/inventory/", "/orders/", "/users/account")
ADMIN_PAGES = ("/inventory/admin/", "/orders/admin/", "/users/admin/")


def test_production_cookies_are_prefixed_secure_httponly_and_lax(tmp_path, monkeypatch):
    """The session's (__Host-: for the whole site), and the device cookie a login leaves
    (users_app/devices.py; __Secure-: for users_app's pages alone)."""
    monkeypatch.setenv("SHOP_PUBLIC_URL", "https://shop.example.com")
    client = make_app(create_users_app, "users", tmp_path).test_client()
    site = "https://shop.example.com"
    page = client.get("/users/register", base_url=site).get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    response = client.post(
        "/users/register",
        data={"login": "carol", "email": "carol@example.com", "password": DEFAULT_PASSWORD, "csrf_token": token},
        base_url=site,
        headers={"Referer": f"{site}/users/register"},
    )
    assert response.status_code == 303
    cookies = {cookie.split("=", 1)[0]: cookie for cookie in response.headers.getlist("Set-Cookie")}
    assert sorted(cookies) == ["__Host-shop_session", "__Secure-shop_device"]
    for cookie in cookies.values():
        for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
            assert flag in cookie
        assert "Domain=" not in cookie
    assert "Path=/;" in cookies["__Host-shop_session"] + ";"
    assert "Path=/users;" in cookies["__Secure-shop_device"] + ";"


def test_login_renews_the_session_and_its_csrf_token(stack):
    login = new_login()
    ShopClient(stack.base_url).register(login)
    visitor = ShopClient(stack.base_url)
    token_before = visitor.csrf_token()
    cookie_before = visitor.http.cookies.get("shop_session")
    visitor.login(login)
    assert visitor.http.cookies.get("shop_session") != cookie_before
    assert visitor.csrf_token() != token_before
    # A cookie captured before the login (fixation) is still anonymous.
    fixed = ShopClient(stack.base_url)
    fixed.http.cookies.set("shop_session", cookie_before)
    assert fixed.get("/orders/", follow=False).status_code == 302


def test_a_demoted_admin_loses_admin_pages_in_all_three_apps_within_five_seconds(stack, admin):
    login = new_login("boss")
    helper = ShopClient(stack.base_url)
    helper.register(login)
    admin_token = admin.api_token("admin", stack.env["SHOP_ADMIN_PASSWORD"])
    user_id = find_user(admin, admin_token, login)["id"]
    admin.api("PATCH", f"/users/api/users/{user_id}", admin_token, json={"is_admin": True})

    promoted = ShopClient(stack.base_url)
    promoted.login(login)
    for path in ADMIN_PAGES:
        assert promoted.get(path, follow=False).status_code == 200, path

    admin.api("PATCH", f"/users/api/users/{user_id}", admin_token, json={"is_admin": False})
    demoted = time.monotonic()
    time.sleep(max(0.0, demoted + 5 - time.monotonic()))  # the promise: within 5 seconds, everywhere
    for _ in range(6):
        for path in ADMIN_PAGES:
            assert promoted.get(path, follow=False).status_code in (302, 403), path


def test_a_deactivated_users_api_token_is_refused_by_every_app(stack, admin):
    login = new_login()
    client = ShopClient(stack.base_url)
    created = client.api("POST", "/users/api/users", json={"login": login, "password": DEFAULT_PASSWORD}).json()
    token = client.api_token(login)
    assert client.api("GET", "/users/api/me", token).status_code == 200
    admin_token = admin.api_token("admin", stack.env["SHOP_ADMIN_PASSWORD"])
    admin.api("PATCH", f"/users/api/users/{created['id']}", admin_token, json={"is_active": False})
    deactivated = time.monotonic()
    assert client.api("GET", "/users/api/me", token).status_code == 401
    time.sleep(max(0.0, deactivated + 5 - time.monotonic()))
    for _ in range(6):
        for path in ("/users/api/me", "/orders/api/orders"):
            assert client.api("GET", path, token).status_code == 401, path


def test_internal_user_records_are_not_reachable_with_a_forged_service_token(stack):
    response = requests.get(
        stack.app_url("users", "/users/internal/users/1"), headers={"X-Service-Token": "guess"}, timeout=5
    )
    assert response.status_code == 403
