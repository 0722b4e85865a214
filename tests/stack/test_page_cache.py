"""nginx shares the catalog among visitors who are not logged in, for one second, and never
shares anything of one visitor (shared_ui/page_cache.py, nginx.conf's location /inventory/).

Whether two requests meet the same copy must not depend on how fast the second follows the first:
the tests of what is shared, and with whom, run on a shop of their own whose copies last an hour
(`lasting`). Only the copy's end is seen on the shared stack, where it comes after the shop's 1 s.
"""

import secrets

import pytest
import requests

from stacktools.client import ShopClient, new_login
from stacktools.stack import ADMIN_LOGIN, Stack, serve, wait_until

CACHE = "X-Cache-Status"


@pytest.fixture(scope="module")
def lasting(request):
    """A shop whose visitors' pages nginx keeps for an hour (unused for 10 s, nginx drops them)."""
    yield from serve(Stack(SHOP_PAGE_CACHE_SECONDS="3600"), request)


def admin_token_of(stack) -> str:
    return ShopClient(stack.base_url).api_token(ADMIN_LOGIN, stack.env["SHOP_ADMIN_PASSWORD"])


def new_item(stack, token) -> tuple[int, str]:
    """A fresh item with a name no other test searches for; its id and that name."""
    name = f"Cached Lamp {secrets.token_hex(4)}"
    body = {"name": name, "description": "A lamp.", "price": "12.00", "quantity": 7}
    created = ShopClient(stack.base_url).api("POST", "/inventory/api/items", token, json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"], name


@pytest.fixture(scope="module")
def admin_token(stack):
    return admin_token_of(stack)


@pytest.fixture(scope="module")
def lasting_admin_token(lasting):
    return admin_token_of(lasting)


@pytest.fixture
def item(stack, admin_token):
    return new_item(stack, admin_token)


@pytest.fixture
def lasting_item(lasting, lasting_admin_token):
    return new_item(lasting, lasting_admin_token)


def visitor_get(stack, path, **headers) -> requests.Response:
    """A first-time visitor: no cookie, a new connection."""
    return requests.get(stack.url(path), headers=headers, timeout=15, allow_redirects=False)


def test_visitors_without_a_cookie_share_one_copy_of_the_page(lasting, lasting_item):
    stack, (_, name) = lasting, lasting_item
    path = f"/inventory/?q={name.replace(' ', '+')}"
    first = visitor_get(stack, path)
    second = visitor_get(stack, path)
    assert first.status_code == second.status_code == 200
    assert name in first.text
    assert first.headers[CACHE] in ("MISS", "EXPIRED")
    assert second.headers[CACHE] in ("HIT", "UPDATING")
    assert second.text == first.text
    # each answer names its own request (the id in nginx's log), also the one served from the copy
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    access_log = stack.var_dir / "logs" / "nginx-access.log"  # written at least once a second
    ids = [f'"request_id":"{response.headers["X-Request-ID"]}"' for response in (first, second)]
    wait_until(lambda: all(each in access_log.read_text() for each in ids), timeout=10)
    for response in (first, second):
        assert "Set-Cookie" not in response.headers  # the page starts no session
        assert "csrf" not in response.text.lower()
        assert "X-Accel-Expires" not in response.headers  # nginx's instruction, not the browser's
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]  # kept with the copy


def test_a_stock_change_reaches_visitors_within_a_few_seconds_and_customers_at_once(stack, item, admin_token):
    item_id, _ = item
    path = f"/inventory/items/{item_id}"
    # The app lets nginx keep a visitor's page for a second, the shop's default ("a few seconds").
    straight = requests.get(stack.app_url("inventory", path), timeout=15)
    assert straight.headers["X-Accel-Expires"] == "1"
    # Visitors are served a copy: ask until one answer comes from it (a loaded machine may ask the
    # second time after the copy's second; the asking that finds it expired makes a new copy).
    copy = wait_until(lambda: (answer := visitor_get(stack, path)).headers[CACHE] in ("HIT", "UPDATING") and answer)
    assert "In stock" in copy.text
    customer = ShopClient(stack.base_url)
    customer.register()
    changed = customer.api("PATCH", f"/inventory/api/items/{item_id}", admin_token, json={"quantity": 0})
    assert changed.status_code == 200, changed.text
    seen = customer.get(path)  # logged in: straight from the app
    assert seen.headers[CACHE] == "BYPASS"
    assert "sold out" in seen.text.lower()
    # The copy ends and nginx asks the app again: the visitor's page says so, not a bypass.
    fresh = wait_until(lambda: (answer := visitor_get(stack, path)) and "Out of stock" in answer.text and answer)
    assert fresh.headers[CACHE] in ("EXPIRED", "MISS")


def test_a_logged_in_page_is_never_stored_nor_served_from_the_copy(lasting, lasting_item):
    stack, (_, name) = lasting, lasting_item
    path = f"/inventory/?q={name.replace(' ', '+')}"
    shared = visitor_get(stack, path)
    assert 'id="nav-login"' in shared.text
    customer = ShopClient(stack.base_url)
    customer.register(new_login("cache"))
    mine = customer.get(path)
    assert mine.headers[CACHE] == "BYPASS"
    assert customer.login_name in mine.text and 'id="logout"' in mine.text
    assert '"X-CSRFToken"' in mine.text
    after = visitor_get(stack, path)
    assert customer.login_name not in after.text
    assert 'id="nav-login"' in after.text and "csrf" not in after.text.lower()
    # A bearer token skips the cache too (it is somebody's request).
    assert visitor_get(stack, path, Authorization="Bearer x").headers[CACHE] == "BYPASS"


def test_a_customer_who_logged_out_and_closed_the_browser_gets_the_shared_copy(lasting, lasting_item):
    """The year-long device cookie (users_app/devices.py) goes to users_app's pages alone, so it does
    not keep a customer who once logged in off the visitors' copy of the catalog."""
    stack, (_, name) = lasting, lasting_item
    path = f"/inventory/?q={name.replace(' ', '+')}"
    customer = ShopClient(stack.base_url)
    customer.register(new_login("back"))
    customer.logout()
    customer.http.cookies.clear_session_cookies()  # the browser closed: the session's cookie goes
    assert [cookie.name for cookie in customer.http.cookies] == ["shop_device"]
    assert visitor_get(stack, path).status_code == 200  # the copy is made
    again = customer.get(path)
    assert again.status_code == 200 and again.headers[CACHE] == "HIT"
    assert 'id="nav-login"' in again.text


def test_languages_and_htmx_fragments_get_copies_of_their_own(lasting, lasting_item):
    stack, (_, name) = lasting, lasting_item
    path = f"/inventory/?q={name.replace(' ', '+')}"
    english = {"Accept-Language": "en-US,en;q=0.9"}
    variants = [  # (headers, what its page must be); each asked twice, the copies of the others still there
        (english, lambda text: ">Log in<" in text and "<html" in text),
        ({"Accept-Language": "pt-BR,pt;q=0.9"}, lambda text: ">Entrar<" in text and ">Log in<" not in text),
        ({"HX-Request": "true", **english}, lambda text: "<html" not in text and name in text),
        # A boosted htmx request wants the whole page: it must not get the fragment's copy.
        ({"HX-Request": "true", "HX-Boosted": "true", **english}, lambda text: "<html" in text),
    ]
    for headers, expected in variants:
        first, again = visitor_get(stack, path, **headers), visitor_get(stack, path, **headers)
        assert expected(first.text) and expected(again.text), headers
        assert first.headers[CACHE] == "MISS", headers  # not another variant's copy
        assert again.headers[CACHE] in ("HIT", "UPDATING"), headers


def test_only_the_catalog_and_item_pages_go_through_the_cache(stack):
    """The JSON API, health checks and admin pages are never stored, nor wait on the cache."""
    for path in ("/inventory/api/items", "/inventory/healthz", "/inventory/admin/"):
        response = visitor_get(stack, path)
        assert CACHE not in response.headers, path


def test_a_visitor_switches_language_without_a_session_and_a_customer_only_by_post(stack):
    visitor = ShopClient(stack.base_url)
    page = visitor.get("/inventory/")
    assert 'method="get" action="/users/language"' in page.text
    switched = visitor.get("/users/language?lang=pt_BR&next=/inventory/", follow=False)
    assert switched.status_code == 303 and switched.headers["Location"].endswith("/inventory/")
    now = visitor.get("/inventory/")
    assert now.headers[CACHE] == "BYPASS" and ">Entrar<" in now.text
    assert "Idioma alterado" in now.text  # the flash came with the session
    # Logged in, the pages post the switch with a token; a GET (a link on another site) changes nothing.
    customer = ShopClient(stack.base_url)
    customer.register()
    assert 'method="post" action="/users/language"' in customer.get("/inventory/").text
    ignored = customer.get("/users/language?lang=pt_BR&next=/inventory/", follow=False)
    assert ignored.status_code == 303
    assert ">Log out<" in customer.get("/inventory/").text
    refused = customer.post("/users/language", {"lang": "pt_BR", "next": "/inventory/"}, csrf=False)
    assert refused.status_code == 400
