"""Bad input through nginx is a 400 or 422 with the error shape (or the form's error), never a 500,
and the app logs no traceback for it: huge page numbers and ids, JSON nested past the parser's depth,
a nested keyset cursor, digits that are not ASCII ("²"), and prices no database column holds."""

import base64
import json

import pytest
import requests

from stacktools.client import ShopClient
from stacktools.stack import ADMIN_LOGIN, ADMIN_PASSWORD

HUGE = "100000000000000000000"
NESTED = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def tokens(stack) -> dict[str, str]:
    customer = ShopClient(stack.base_url)
    assert customer.register().status_code == 303
    return {
        "customer": customer.api_token(customer.login_name),
        "admin": customer.api_token(ADMIN_LOGIN, ADMIN_PASSWORD),
    }


@pytest.fixture(scope="module")
def admin_pages(stack) -> ShopClient:
    client = ShopClient(stack.base_url)
    client.login(ADMIN_LOGIN, ADMIN_PASSWORD)
    return client


class NoTraceback:
    """Asserts that the apps wrote no traceback while the block ran."""

    def __init__(self, stack):
        self.stack = stack

    def __enter__(self):
        # Per instance: scaled out, an app's log is two files, and a slice of the two joined would
        # read the wrong lines.
        self.marks = {app: self.stack.log_mark(app) for app in ("inventory", "users", "orders")}
        return self

    def __exit__(self, *exc):
        for app, mark in self.marks.items():
            written = self.stack.log_since(app, mark)
            assert "Traceback" not in written and "unhandled error" not in written, written[-3000:]


def _error_shape(response: requests.Response, statuses=(400, 422)) -> dict:
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return error


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (None, f"/inventory/api/items?page={HUGE}"),
        ("admin", f"/users/api/users?page={HUGE}"),
        ("customer", f"/orders/api/orders?page={HUGE}"),
        ("admin", f"/orders/api/orders?all=1&page={HUGE}"),
        (None, "/inventory/api/items?page=²"),
        ("customer", "/orders/api/orders?per_page=²"),
    ],
)
def test_a_page_number_past_any_list_is_a_400_with_the_error_shape(stack, tokens, role, path):
    with NoTraceback(stack):
        response = ShopClient(stack.base_url).api("GET", path, tokens.get(role))
        _error_shape(response)


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("admin", "PATCH", f"/users/api/users/{HUGE}"),
        ("admin", "PATCH", f"/inventory/api/items/{HUGE}"),
        ("admin", "DELETE", f"/inventory/api/items/{HUGE}"),
        (None, "GET", f"/inventory/api/items/{HUGE}"),
        ("customer", "GET", f"/orders/api/orders/{HUGE}"),
        ("customer", "POST", f"/orders/api/orders/{HUGE}/cancel"),
    ],
)
def test_an_id_too_large_for_any_row_is_a_404_with_the_error_shape(stack, tokens, role, method, path):
    with NoTraceback(stack):
        response = ShopClient(stack.base_url).api(method, path, tokens.get(role), json={"is_admin": True})
        _error_shape(response, statuses=(404,))


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        (None, "POST", "/users/api/tokens"),
        (None, "POST", "/users/api/users"),
        ("admin", "POST", "/inventory/api/items"),
        ("admin", "PATCH", "/inventory/api/items/1"),
        ("customer", "POST", "/orders/api/orders"),
        ("admin", "PATCH", "/users/api/users/1"),
    ],
)
def test_json_nested_deeper_than_the_parser_goes_is_malformed(stack, tokens, role, method, path):
    with NoTraceback(stack):
        response = ShopClient(stack.base_url).api(
            method, path, tokens.get(role), data=NESTED, headers={"Content-Type": "application/json"}
        )
        assert _error_shape(response, statuses=(400, 404))["code"] in ("malformed_json", "not_found")


@pytest.mark.parametrize("price", ["1e100", "1E+999999", "-1e-99999999", 1e100])
def test_a_price_no_column_holds_is_a_422(stack, tokens, price):
    with NoTraceback(stack):
        response = ShopClient(stack.base_url).api(
            "POST", "/inventory/api/items", tokens["admin"], json={"name": "Huge", "price": price, "quantity": 1}
        )
        assert _error_shape(response)["field"] == "price"


def test_a_nested_catalog_cursor_starts_from_the_top(stack):
    cursor = base64.urlsafe_b64encode(b"[" * 2_000).decode().rstrip("=")
    with NoTraceback(stack):
        response = requests.get(stack.url(f"/inventory/?after={cursor}"), headers={"Cookie": "x=1"}, timeout=15)
        assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["/inventory/api/items?q={words}", "/orders/api/orders?status={words}", "/inventory/?q={words}"]
)
def test_an_address_of_several_kilobytes_reaches_the_app(stack, tokens, path):
    words = "wool+" * 1_200  # 6 KB: more than gunicorn's default limit, less than nginx's
    with NoTraceback(stack):
        response = ShopClient(stack.base_url).api("GET", path.format(words=words), tokens["customer"])
        assert response.status_code in (200, 422), (response.status_code, response.text[:300])
        assert response.headers["X-Request-ID"]  # the app's answer, not a server's refusal


def test_an_address_longer_than_nginx_takes_is_a_414_with_the_error_shape(stack):
    response = requests.get(stack.url("/inventory/api/items?q=" + "wool+" * 2_000), timeout=15)
    assert _error_shape(response, statuses=(414,))["code"] == "uri_too_long"


@pytest.mark.parametrize(
    "path",
    [
        f"/inventory/admin/?page={HUGE}",
        f"/inventory/admin/archived?page={HUGE}",
        f"/users/admin/?page={HUGE}",
        f"/orders/?page={HUGE}",
    ],
)
def test_a_page_number_past_any_list_is_a_400_page(stack, admin_pages, path):
    with NoTraceback(stack):
        assert admin_pages.get(path).status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        *("item=²", "q=²", f"q={HUGE}", f"item={HUGE}", "q=%23" + HUGE, "date_to=9999-12-31", "date_from=²⁰²⁶-01-01"),
        *(f"before={HUGE}", f"after={HUGE}", "before=²", "after=-1"),  # its pages' cursors: made up, the first page
    ],
)
def test_odd_filters_of_the_order_monitor_show_the_monitor(stack, admin_pages, query):
    with NoTraceback(stack):
        assert admin_pages.get(f"/orders/admin/?{query}").status_code == 200


def test_non_ascii_digits_in_an_items_quantity_are_the_forms_error(stack, admin_pages):
    created = ShopClient(stack.base_url).api(
        "POST",
        "/inventory/api/items",
        admin_pages.api_token(ADMIN_LOGIN, ADMIN_PASSWORD),
        json={"name": "Digits", "price": "2.00", "quantity": 3},
    )
    item_id = created.json()["id"]
    with NoTraceback(stack):
        odd = ({"quantity": "²"}, {"quantity": "3", "expected_quantity": "²"}, {"quantity": "3", "price": "1e100"})
        for fields in odd:
            data = {"name": "Digits", "description": "", "price": "2.00", **fields}
            response = admin_pages.post(f"/inventory/admin/items/{item_id}", data, htmx=True)
            assert response.status_code in (200, 409, 422), response.status_code
    assert json.loads(requests.get(stack.url(f"/inventory/api/items/{item_id}"), timeout=5).text)["quantity"] == 3


@pytest.mark.parametrize(
    "path",
    [
        "/inventory/?q=lamp%00",
        "/inventory/?category=%00Kitchen",
        "/inventory/api/items?q=%00&category=a%00",
        "/inventory/admin/?q=%00",
        "/orders/admin/?q=%00&user=%00&item=%00",
        "/users/admin/?q=%00",
    ],
)
def test_a_nul_character_in_a_search_or_filter_is_dropped(stack, admin_pages, path):
    """PostgreSQL refuses NUL in any text (scaled out, each of these was a 500)."""
    with NoTraceback(stack):
        assert admin_pages.get(path).status_code == 200


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/users/login", {"login": "adm\x00in", "password": "whatever it is"}),
        ("/users/password/forgot", {"email": "someone\x00@example.com"}),
    ],
)
def test_a_nul_character_typed_into_the_login_or_the_forgotten_password_form_is_a_wrong_login(stack, path, fields):
    """PostgreSQL refuses NUL in any text: scaled out, each of these was a 500 ("Internal Server Error")
    instead of "Wrong login or password." or the page that says the link is on its way."""
    visitor = ShopClient(stack.base_url)
    with NoTraceback(stack):
        response = visitor.post(path, fields)
    assert response.status_code in (200, 422), response.status_code
    expected = "Wrong login or password." if path == "/users/login" else "If an account"
    assert expected in response.text
