"""One login for the three apps, through nginx: the foundation's promises, as a visitor sees them."""

import time

import pytest
import requests

from stacktools.client import TIMEOUT, ShopClient, find_user, new_login
from stacktools.stack import wait_until

APP_PAGES = ("/inventory/", "/orders/", "/users/account")


def shows_login(client: ShopClient, path: str, login: str) -> bool:
    response = client.get(path, follow=False)
    return response.status_code == 200 and f">{login}</a>" in response.text


def test_a_registered_user_is_logged_in_on_every_app(shop):
    login = new_login()
    assert shop.register(login).status_code == 303
    for path in APP_PAGES:
        assert shows_login(shop, path, login), path


def test_after_logout_a_saved_cookie_is_refused_by_all_three_apps(stack, shop):
    login = new_login()
    shop.register(login)
    for path in APP_PAGES:  # warm every app's cache of this user
        assert shows_login(shop, path, login)
    saved = shop.http.cookies.get("shop_session")
    shop.logout()
    logged_out = time.monotonic()

    replay = ShopClient(stack.base_url)
    replay.http.cookies.set("shop_session", saved)
    assert replay.get("/users/account", follow=False).status_code == 302  # users_app refuses at once
    # The other apps trust their copy of the user record for at most 3 seconds: within 5 seconds of
    # the logout, every worker of every instance refuses the cookie, every time.
    time.sleep(max(0.0, logged_out + 5 - time.monotonic()))
    for _ in range(6):
        for path in APP_PAGES:
            assert not shows_login(replay, path, login), path
    assert replay.get("/orders/", follow=False).status_code == 302


def test_a_deactivated_user_loses_access_everywhere_within_five_seconds(stack, shop, admin):
    login = new_login()
    shop.register(login)
    assert shows_login(shop, "/orders/", login)
    user_id = find_user(admin, admin.api_token("admin", stack.env["SHOP_ADMIN_PASSWORD"]), login)["id"]
    assert admin.post(f"/users/admin/{user_id}/deactivate", htmx=True).status_code == 200
    deactivated = time.monotonic()
    time.sleep(max(0.0, deactivated + 5 - time.monotonic()))  # the promise: within 5 seconds
    for _ in range(6):
        for path in APP_PAGES:
            assert not shows_login(shop, path, login), path


def test_admin_pages_are_for_admins_only(shop, admin):
    shop.register()
    for path in ("/inventory/admin/", "/orders/admin/", "/users/admin/"):
        assert shop.get(path, follow=False).status_code == 403, path
        assert admin.get(path, follow=False).status_code == 200, path
        anonymous = requests.get(shop.base_url + path, allow_redirects=False, timeout=TIMEOUT)
        assert anonymous.status_code == 302 and "/users/login?next=" in anonymous.headers["Location"]


def test_internal_routes_are_404_through_nginx_and_need_the_service_token_on_loopback(stack):
    for path in ("/inventory/internal/x", "/users/internal/users/1", "/orders/internal/", "/users/metrics"):
        assert requests.get(stack.url(path), timeout=TIMEOUT).status_code == 404, path
    direct = stack.app_url("users", "/users/internal/users/1")
    assert requests.get(direct, timeout=TIMEOUT).status_code == 403
    assert requests.get(direct, headers={"X-Service-Token": "wrong"}, timeout=TIMEOUT).status_code == 403
    ok = requests.get(direct, headers={"X-Service-Token": stack.env["SHOP_SERVICE_TOKEN"]}, timeout=TIMEOUT)
    assert ok.status_code == 200 and ok.json()["login"] == "admin"
    # A service token sent from outside is stripped by nginx: the route stays unreachable.
    assert requests.get(
        stack.url("/users/internal/users/1"), headers={"X-Service-Token": "x"}, timeout=TIMEOUT
    ).status_code == 404


@pytest.mark.parametrize(
    "path", ["/inventory/internal/items/1", "/users/metrics", "/orders/readyz", "/nowhere", "/_unavailable.html"]
)
def test_nginxs_own_404_is_the_shops_not_found_page_with_its_headers(stack, path):
    """nginx answers for these itself (a hidden internal URL, a path outside the apps, one of its own
    pages asked for directly): its bare English page said "nginx" and carried no security header."""
    response = requests.get(stack.url(path), timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Not found</h1>" in response.text and "nginx" not in response.text.lower()
    assert "Não há nada aqui" in response.text
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert (response.headers["X-Content-Type-Options"], response.headers["X-Frame-Options"]) == ("nosniff", "DENY")


def test_root_redirects_to_the_catalog_and_unknown_hosts_are_refused(stack):
    response = requests.get(stack.url("/"), allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 302 and response.headers["Location"].endswith("/inventory/")
    assert requests.get(stack.url("/users/login"), headers={"Host": "evil.example"}, timeout=TIMEOUT).status_code == 421


def test_static_assets_are_served_by_nginx_with_a_long_cache(stack, shop):
    html = shop.get("/users/login").text
    for marker in ("htmx.", "pico.", "shop."):
        start = html.index("/static/" + marker)
        url = html[start : html.index('"', start)]
        response = requests.get(stack.url(url), headers={"Accept-Encoding": "gzip"}, timeout=TIMEOUT)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"  # one header, not two
    assert requests.get(stack.url("/static/nope.js"), timeout=TIMEOUT).status_code == 404


def test_pages_carry_the_security_headers(shop):
    response = shop.get("/users/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_every_request_gets_a_request_id_that_the_app_logs(stack, shop):
    response = shop.get("/users/login")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) >= 16
    wait_until(lambda: request_id in stack.log("users"), timeout=30)  # written as the request ends


def test_body_over_one_mebibyte_is_refused_with_413(stack):
    response = requests.post(stack.url("/users/api/users"), data=b"x" * (1024 * 1024 + 10), timeout=TIMEOUT)
    assert response.status_code == 413


def test_registered_users_survive_a_restart_of_users_app(stack, shop):
    login = new_login()
    shop.register(login)
    shop.logout()
    stack.restart("users")
    shop.login(login)
    assert shows_login(shop, "/users/account", login)
