"""The users JSON API through nginx, as DESIGN.md describes it."""

import pytest

from stacktools.client import DEFAULT_PASSWORD, find_user, new_login


def test_register_then_token_then_me(shop):
    login = new_login("api")
    created = shop.api("POST", "/users/api/users", json={"login": login, "password": DEFAULT_PASSWORD})
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "login": login, "is_admin": False, "is_active": True}

    token = shop.api("POST", "/users/api/tokens", json={"login": login, "password": DEFAULT_PASSWORD})
    assert token.status_code == 201
    body = token.json()
    assert body["token_type"] == "Bearer" and body["expires_at"].endswith("Z") and body["user"]["login"] == login

    me = shop.api("GET", "/users/api/me", body["token"])
    assert me.status_code == 200 and me.json()["login"] == login


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"login": "ab", "password": DEFAULT_PASSWORD}, 422, "invalid_field"),
        ({"login": "valid_login", "password": "short"}, 422, "invalid_field"),
        ({"login": 5, "password": DEFAULT_PASSWORD}, 422, "invalid_field"),
        ([], 400, "malformed_json"),
    ],
)
def test_invalid_registrations_answer_the_documented_error(shop, payload, status, code):
    response = shop.api("POST", "/users/api/users", json=payload)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


def test_malformed_json_is_a_400(shop):
    response = shop.api("POST", "/users/api/users", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_json"


def test_duplicate_login_is_a_409(shop):
    login = new_login("dup")
    shop.api("POST", "/users/api/users", json={"login": login, "password": DEFAULT_PASSWORD})
    response = shop.api("POST", "/users/api/users", json={"login": login.upper(), "password": DEFAULT_PASSWORD})
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_wrong_password_gets_no_token(shop):
    login = new_login()
    shop.api("POST", "/users/api/users", json={"login": login, "password": DEFAULT_PASSWORD})
    response = shop.api("POST", "/users/api/tokens", json={"login": login, "password": "not the password"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_credentials"


def test_api_ignores_the_session_cookie_and_forged_tokens(shop):
    shop.register()
    with_cookie = shop.http.get(shop.base_url + "/users/api/me")
    assert with_cookie.status_code == 401 and with_cookie.json()["error"]["code"] == "unauthorized"
    assert shop.api("GET", "/users/api/me", "forged.token.value").status_code == 401


def test_admin_lists_and_patches_users_and_a_customer_may_not(stack, shop):
    login = new_login()
    shop.api("POST", "/users/api/users", json={"login": login, "password": DEFAULT_PASSWORD})
    user_token = shop.api_token(login)
    assert shop.api("GET", "/users/api/users", user_token).status_code == 403

    admin_token = shop.api_token("admin", stack.env["SHOP_ADMIN_PASSWORD"])
    listing = shop.api("GET", "/users/api/users?per_page=100", admin_token)
    assert listing.status_code == 200
    page = listing.json()
    assert set(page) == {"items", "page", "per_page", "total"} and page["per_page"] == 100
    user_id = find_user(shop, admin_token, login)["id"]

    promoted = shop.api("PATCH", f"/users/api/users/{user_id}", admin_token, json={"is_admin": True})
    assert promoted.status_code == 200 and promoted.json()["is_admin"] is True
    bad = shop.api("PATCH", f"/users/api/users/{user_id}", admin_token, json={"is_admin": "yes"})
    assert bad.status_code == 422
    assert shop.api("PATCH", "/users/api/users/999999", admin_token, json={"is_admin": True}).status_code == 404


def test_a_token_stops_working_once_the_user_is_deactivated(stack, shop):
    login = new_login()
    user = shop.api("POST", "/users/api/users", json={"login": login, "password": DEFAULT_PASSWORD}).json()
    token = shop.api_token(login)
    admin_token = shop.api_token("admin", stack.env["SHOP_ADMIN_PASSWORD"])
    shop.api("PATCH", f"/users/api/users/{user['id']}", admin_token, json={"is_active": False})
    assert shop.api("GET", "/users/api/me", token).status_code == 401


def test_openapi_document_describes_the_routes(shop):
    doc = shop.api("GET", "/users/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {"/users", "/tokens", "/me", "/users/{id}"} <= set(doc["paths"])
