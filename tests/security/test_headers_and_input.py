"""Headers every page carries, and inputs that must not get through: big bodies, bad JSON, other hosts."""

import pytest
import requests

from stacktools.client import TIMEOUT, ShopClient, new_login


@pytest.mark.parametrize("path", ["/users/login", "/inventory/", "/users/register"])
def test_pages_carry_csp_nosniff_referrer_policy_and_no_framing(stack, path):
    response = requests.get(stack.url(path), timeout=TIMEOUT)
    csp = response.headers["Content-Security-Policy"]
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";")}
    assert directives["default-src"] == "default-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_copy_is_kept_of_what_a_logged_in_customer_sees(shop):
    """After a logout on a shared computer, Back must not show the last customer's pages from the
    browser's cache: every app's answer to a logged-in user says no-store; a visitor's catalog does not."""
    assert "no-store" not in shop.get("/inventory/").headers.get("Cache-Control", "")
    assert shop.register().status_code == 303
    for path in ("/inventory/", "/orders/", "/orders/cart/", "/users/account", "/orders/cart/count"):
        response = shop.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", path
    mine = shop.api("GET", "/orders/api/orders", shop.api_token(shop.login_name))
    assert mine.status_code == 200 and mine.headers["Cache-Control"] == "no-store"


def test_pages_load_scripts_only_from_the_shops_static_folder(shop):
    html = shop.get("/users/login").text
    scripts = [chunk.split('"', 1)[0] for chunk in html.split('<script src="')[1:]]
    assert scripts and all(src.startswith("/static/") for src in scripts)
    assert "<script>" not in html and " hx-on" not in html


def test_oversized_bodies_get_413(stack):
    for path in ("/users/api/users", "/users/login", "/orders/stripe/webhook"):
        response = requests.post(stack.url(path), data=b"x" * (2 * 1024 * 1024), timeout=TIMEOUT)
        assert response.status_code == 413, path


@pytest.mark.parametrize("body", ["{", "[1, 2]", '"text"', "null", "\xff\xfe"])
def test_malformed_json_gets_the_documented_400(stack, body):
    response = requests.post(
        stack.url("/users/api/tokens"), data=body.encode("latin-1"), headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost.evil"])
def test_an_unknown_host_header_is_refused(stack, host):
    assert requests.get(stack.url("/users/login"), headers={"Host": host}, timeout=TIMEOUT).status_code == 421


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example", "http:evil"])
def test_login_never_redirects_to_another_site(stack, target):
    client = ShopClient(stack.base_url)
    login = new_login()
    client.register(login)
    client.logout()
    response = client.http.post(
        stack.url(f"/users/login?next={requests.utils.quote(target, safe='')}"),
        data={"login": login, "password": "correct horse battery", "csrf_token": client.csrf_token()},
        allow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/inventory/"


def test_sql_metacharacters_in_a_login_are_just_a_wrong_login(shop):
    for login in ("' OR '1'='1", 'admin"--', "admin'; DROP TABLE users;--"):
        response = shop.api("POST", "/users/api/tokens", json={"login": login, "password": "whatever1"})
        assert response.status_code == 401
