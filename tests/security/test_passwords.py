"""Passwords: Argon2id at OWASP's parameters, never in clear anywhere, common ones refused."""

import secrets

from argon2 import extract_parameters
from argon2.low_level import Type

from stacktools.client import ShopClient, new_login


def test_no_clear_password_in_any_database_or_log(stack):
    login = new_login()
    password = "Unique-" + secrets.token_hex(12)
    wrong = "Wrong-" + secrets.token_hex(12)
    client = ShopClient(stack.base_url)
    assert client.register(login, password).status_code == 303
    client.logout()
    client.post("/users/login", {"login": login, "password": wrong})
    client.api("POST", "/users/api/tokens", json={"login": login, "password": wrong})
    client.login(login, password)

    scanned = 0
    for path in stack.var_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            scanned += 1
            assert password.encode() not in content, path
            assert wrong.encode() not in content, path
    assert scanned >= 5  # the databases, their WAL files, the app and nginx logs


def test_stored_hashes_are_argon2id_at_owasp_parameters(stack):
    login = new_login()
    ShopClient(stack.base_url).register(login, "Another-" + secrets.token_hex(8))
    password_hash = stack.query("users", "SELECT password_hash FROM users WHERE login = :login", login=login)[0][0]
    params = extract_parameters(password_hash)
    assert params.type is Type.ID
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism >= 1


def test_the_most_common_passwords_are_refused(shop):
    for common in ("password", "12345678", "qwerty123", "iloveyou", "Password1"):
        response = shop.api("POST", "/users/api/users", json={"login": new_login(), "password": common})
        assert response.status_code == 422, common
        assert response.json()["error"]["field"] == "password"
