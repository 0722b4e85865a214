"""Password hashing cannot be used to take users_app down, and limits count clients, not proxies.

Through nginx: parallel guesses against one account get at most the limit through (an attempt is
recorded, as pending, before it is counted), while parallel logins with the right password all get
in (pending attempts are not failures); a flood of registrations of a taken login costs no hashing, so
another app's logged-in page still answers; nginx limits login, registration, tokens and password
changes per client; behind a trusted proxy (SHOP_TRUSTED_PROXIES) the limits apply to the client's
address from X-Forwarded-For, and without one that header cannot dodge them.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from stacktools.client import DEFAULT_PASSWORD, ShopClient, new_login
from stacktools.stack import Stack


def _post_json(stack, path: str, body: dict, **headers) -> requests.Response:
    return requests.post(stack.url(path), json=body, headers=headers, timeout=60)


def test_sixteen_parallel_wrong_guesses_get_at_most_the_limit_through(stack):
    login = new_login("victim")
    assert ShopClient(stack.base_url).register(login).status_code == 303
    limit = int(stack.env.get("SHOP_LOGIN_FAILURES_PER_LOGIN", "5"))
    barrier = threading.Barrier(16)

    def guess(i: int) -> int:
        barrier.wait()
        return _post_json(stack, "/users/api/tokens", {"login": login, "password": f"wrong guess {i}!"}).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(guess, range(16)))
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= limit, statuses
    # And the account is locked for a while: the right password waits too.
    right = _post_json(stack, "/users/api/tokens", {"login": login, "password": DEFAULT_PASSWORD})
    assert right.status_code == 429


def test_sixteen_parallel_logins_with_the_right_password_all_get_a_token(stack):
    """An API client fetching tokens from many threads at once is not taken for a guesser."""
    login = new_login("threads")
    assert ShopClient(stack.base_url).register(login).status_code == 303
    barrier = threading.Barrier(16)

    def fetch_token(_i: int) -> int:
        barrier.wait()
        return _post_json(stack, "/users/api/tokens", {"login": login, "password": DEFAULT_PASSWORD}).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(fetch_token, range(16)))
    assert statuses == [201] * 16


def test_a_flood_of_registrations_of_a_taken_login_leaves_other_apps_logged_in(stack):
    customer = ShopClient(stack.base_url)
    assert customer.register().status_code == 303
    taken = customer.login_name
    finished = threading.Event()

    def register_taken(_i: int) -> int:
        body = {"login": taken, "password": "a strong new password"}
        return _post_json(stack, "/users/api/users", body).status_code

    def flood() -> list[int]:
        try:
            with ThreadPoolExecutor(32) as pool:
                return list(pool.map(register_taken, range(400)))
        finally:
            finished.set()

    with ThreadPoolExecutor(1) as runner:
        flooding = runner.submit(flood)
        answers = []
        started = time.monotonic()
        while not finished.is_set() and time.monotonic() - started < 120:
            page = customer.get("/orders/", follow=False, timeout=30)
            answers.append((page.status_code, taken in page.text))
            time.sleep(0.3)
        statuses = flooding.result(timeout=180)
    assert set(statuses) == {409}, set(statuses)
    assert answers and all(answer == (200, True) for answer in answers), answers


@pytest.fixture(scope="module")
def limited_stack(request):
    """users_app and nginx with nginx's limit at one attempt a minute per client, no trusted proxy."""
    shop = Stack(SHOP_AUTH_REQUESTS_PER_MINUTE="1")
    try:
        shop.start("users", "web")
        yield shop
    finally:
        shop.close()


def test_nginx_limits_login_registration_tokens_and_the_password_forms_per_client(limited_stack):
    shop = limited_stack
    forms = [requests.post(shop.url("/users/login"), data={"login": "x"}, timeout=15) for _ in range(6)]
    refused = [response for response in forms if response.status_code == 429]
    assert len(refused) >= 3, [response.status_code for response in forms]
    assert "Too many attempts" in refused[0].text and refused[0].headers["Retry-After"]
    for path in ("/users/api/tokens", "/users/api/users"):
        answer = _post_json(shop, path, {"login": new_login(), "password": DEFAULT_PASSWORD})
        assert answer.status_code == 429 and answer.json()["error"]["code"] == "too_many_requests", path
    assert requests.post(shop.url("/users/register"), data={}, timeout=15).status_code == 429
    account_forms = ("password", "email", "email/resend", "delete")
    for path in [f"/users/account/{form}" for form in account_forms]:
        assert requests.post(shop.url(path), data={}, timeout=15).status_code == 429, path
    # A made-up X-Forwarded-For does not make another client: no proxy is trusted here.
    spoofed = _post_json(shop, "/users/api/tokens", {"login": "x", "password": "y"}, **{"X-Forwarded-For": "192.0.2.7"})
    assert spoofed.status_code == 429
    # Showing the forms is not limited.
    assert requests.get(shop.url("/users/login"), timeout=15).status_code == 200
    assert requests.get(shop.url("/users/register"), timeout=15).status_code == 200


@pytest.fixture(scope="module")
def proxied_stack(request):
    """The shop behind a proxy on 127.0.0.1 that adds the client's address to X-Forwarded-For."""
    shop = Stack(
        SHOP_TRUSTED_PROXIES="127.0.0.1/32", SHOP_AUTH_REQUESTS_PER_MINUTE="2", SHOP_LOGIN_FAILURES_PER_ADDRESS="2"
    )
    try:
        shop.start("users", "web")
        yield shop
    finally:
        shop.close()


def test_behind_a_trusted_proxy_the_apps_limits_count_each_client(proxied_stack):
    shop = proxied_stack

    def token(client: str) -> requests.Response:
        body = {"login": new_login(), "password": "wrong guess!"}
        return _post_json(shop, "/users/api/tokens", body, **{"X-Forwarded-For": f"{client}, 127.0.0.1"})

    first = [token("203.0.113.5").status_code for _ in range(3)]
    assert first == [401, 401, 429], first  # users_app: two failures from this client, then a wait
    assert token("203.0.113.6").status_code == 401  # another client is not held back


def test_behind_a_trusted_proxy_nginx_limits_count_each_client(proxied_stack):
    shop = proxied_stack

    def login_form(client: str) -> int:
        return requests.post(shop.url("/users/login"), headers={"X-Forwarded-For": client}, timeout=15).status_code

    assert 429 in [login_form("192.0.2.10") for _ in range(6)]
    assert login_form("192.0.2.11") != 429


def test_behind_a_trusted_proxy_nginx_counts_an_ipv6_client_as_its_64_and_ipv4_per_address(proxied_stack):
    """An IPv6 customer is handed a /64 (or more) and may send each post from another address in it:
    nginx counts the /64 as one client, as the apps do (users_app/throttle.py client_network)."""
    shop = proxied_stack

    def login_form(client: str) -> int:
        return requests.post(shop.url("/users/login"), headers={"X-Forwarded-For": client}, timeout=15).status_code

    # One /64, six addresses; its prefix holds the bytes 0xff and 0x0a (a newline), each matched as itself.
    assert 429 in [login_form(f"2001:db8:ff0a:a64::{n:x}") for n in range(1, 7)]
    assert login_form("2001:db8:ff0a:a65::1") != 429  # the next /64 is another client
    assert 429 not in [login_form(f"192.0.2.{n}") for n in range(30, 36)]  # IPv4: each address its own
    assert 429 not in [login_form(f"::ffff:192.0.2.{n}") for n in range(40, 46)]  # the same, written as IPv6
