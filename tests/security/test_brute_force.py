"""Guessing logins and flooding registrations through nginx are refused with 429 and a clear message."""

import re

import pytest

from stacktools.client import DEFAULT_PASSWORD, ShopClient, new_login
from stacktools.stack import Stack


def test_repeated_bad_logins_against_one_account_get_429_across_workers(stack):
    login = new_login()
    ShopClient(stack.base_url).register(login)
    attacker = ShopClient(stack.base_url)
    statuses = [
        attacker.post("/users/login", {"login": login, "password": f"guess-{i}!"}).status_code for i in range(5)
    ]
    assert statuses == [422] * 5
    blocked = attacker.post("/users/login", {"login": login, "password": DEFAULT_PASSWORD})
    assert blocked.status_code == 429
    assert re.search(r"Too many failed attempts for this login\. Try again in \d+ seconds\.", blocked.text)
    # The API shares the limit: a token cannot be had either.
    api = attacker.api("POST", "/users/api/tokens", json={"login": login, "password": DEFAULT_PASSWORD})
    assert api.status_code == 429 and "Retry-After" in api.headers


def test_a_guessers_failures_do_not_keep_the_owner_out_of_a_browser_it_logged_in_with(stack):
    login = new_login()
    owner = ShopClient(stack.base_url)
    assert owner.register(login).status_code == 303
    owner.logout()
    guesser = ShopClient(stack.base_url)
    statuses = [guesser.post("/users/login", {"login": login, "password": f"guess-{i}!"}).status_code for i in range(5)]
    assert statuses == [422] * 5
    assert guesser.post("/users/login", {"login": login, "password": DEFAULT_PASSWORD}).status_code == 429
    assert owner.post("/users/login", {"login": login, "password": DEFAULT_PASSWORD}).status_code == 303
    [cookie] = [c for c in owner.http.cookies if c.name == "shop_device"]  # through nginx, as a browser keeps it
    assert cookie.path == "/users" and cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure  # plain http here
    assert login not in cookie.value and DEFAULT_PASSWORD not in cookie.value



def test_a_guessers_failures_do_not_keep_out_the_owners_script_that_sends_its_device_token(stack):
    """The API's device cookie, through nginx: the `Shop-Device` header reaches users_app."""
    login = new_login()
    client = ShopClient(stack.base_url)
    client.register(login)
    first = client.api("POST", "/users/api/tokens", json={"login": login, "password": DEFAULT_PASSWORD})
    assert first.status_code == 201 and "Set-Cookie" not in first.headers
    guesses = [
        client.api("POST", "/users/api/tokens", json={"login": login, "password": f"guess-{i}!"}).status_code
        for i in range(5)
    ]
    assert guesses == [401] * 5
    credentials = {"login": login, "password": DEFAULT_PASSWORD}
    assert client.api("POST", "/users/api/tokens", json=credentials).status_code == 429  # strangers: used up
    device = {"Shop-Device": first.json()["device_token"]}
    assert client.api("POST", "/users/api/tokens", json=credentials, headers=device).status_code == 201

@pytest.fixture(scope="module")
def strict_stack():
    """users_app and nginx alone, with the limits per address that the shared test stack lifts."""
    shop = Stack(SHOP_REGISTRATIONS_PER_HOUR="3", SHOP_LOGIN_FAILURES_PER_ADDRESS="4")
    try:
        shop.start("users", "web")
        yield shop
    finally:
        shop.close()


def test_a_registration_flood_from_one_address_is_limited(strict_stack):
    statuses = [ShopClient(strict_stack.base_url).register().status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    response = ShopClient(strict_stack.base_url).api(
        "POST", "/users/api/users", json={"login": new_login(), "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 429 and response.json()["error"]["code"] == "too_many_requests"


def test_bad_logins_from_one_address_against_many_accounts_are_limited(strict_stack):
    attacker = ShopClient(strict_stack.base_url)
    statuses = [
        attacker.post("/users/login", {"login": new_login(), "password": "guess-1!"}).status_code for _ in range(5)
    ]
    assert statuses == [422, 422, 422, 422, 429]
    assert (
        "Too many failed logins from your network"
        in attacker.post("/users/login", {"login": new_login(), "password": "x" * 9}).text
    )
