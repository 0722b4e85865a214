"""Every route of every app, walked through nginx as anonymous, a user, another user and an admin.

The table below is the expected answer of each route for each of them; a route the apps serve
that is missing from the table fails the test, so a new route cannot slip in unreviewed.
"""

import secrets

import pytest
import requests

from stacktools.client import DEFAULT_PASSWORD, ShopClient, find_user, new_login
from stacktools.stack import ADMIN_LOGIN, ADMIN_PASSWORD
from tests.picture_samples import picture

OK = "granted"  # anything but 401/403/404 or a redirect to the login page: the rules behind ran
LOGIN = "login"  # pages: a redirect to /users/login; API: 401
FORBID = 403
HIDDEN = 404
BAD = 400  # refused before anyone is asked who they are (an unsigned webhook)

PUBLIC = (OK, OK, OK, OK)
USERS_ONLY = (LOGIN, OK, OK, OK)
ADMINS_ONLY = (LOGIN, FORBID, FORBID, OK)
OWNER_OR_ADMIN = (LOGIN, OK, HIDDEN, OK)
OWNER_ONLY = (LOGIN, OK, HIDDEN, FORBID)  # an admin sees and cancels any order, but does not pay or edit it
NOT_THROUGH_NGINX = (HIDDEN, HIDDEN, HIDDEN, HIDDEN)
NOT_IN_CART = (HIDDEN, HIDDEN, HIDDEN, HIDDEN)  # a cart is its visitor's own: another item's line is nobody's

# (method, rule): (anonymous, owner/user, other user, admin)
TABLE = {
    # inventory
    ("GET", "/inventory/"): PUBLIC,
    ("GET", "/inventory/items/<int:item_id>"): PUBLIC,
    ("GET", "/inventory/admin/"): ADMINS_ONLY,
    ("POST", "/inventory/admin/items"): ADMINS_ONLY,
    ("GET", "/inventory/admin/items/new"): ADMINS_ONLY,
    ("GET", "/inventory/admin/items/new/cancel"): ADMINS_ONLY,
    ("GET", "/inventory/admin/archived"): ADMINS_ONLY,
    ("POST", "/inventory/admin/items/<int:item_id>/restore"): ADMINS_ONLY,
    ("GET", "/inventory/admin/items/<int:item_id>"): ADMINS_ONLY,
    ("POST", "/inventory/admin/items/<int:item_id>"): ADMINS_ONLY,
    ("PUT", "/inventory/admin/items/<int:item_id>"): ADMINS_ONLY,
    ("DELETE", "/inventory/admin/items/<int:item_id>"): ADMINS_ONLY,
    ("GET", "/inventory/admin/items/<int:item_id>/delete"): ADMINS_ONLY,
    ("POST", "/inventory/admin/items/<int:item_id>/delete"): ADMINS_ONLY,
    ("GET", "/inventory/admin/items/<int:item_id>/edit"): ADMINS_ONLY,
    ("GET", "/inventory/admin/items/<int:item_id>/history"): ADMINS_ONLY,
    ("GET", "/inventory/admin/items/<int:item_id>/picture"): ADMINS_ONLY,
    ("POST", "/inventory/admin/items/<int:item_id>/picture"): ADMINS_ONLY,
    ("POST", "/inventory/admin/items/<int:item_id>/picture/delete"): ADMINS_ONLY,
    ("GET", "/inventory/pictures/<string:picture_hash>-<int:width>.<string:fmt>"): PUBLIC,
    ("GET", "/inventory/fragments/low-stock"): ADMINS_ONLY,
    ("GET", "/inventory/api/items"): PUBLIC,
    ("GET", "/inventory/api/items/<int:item_id>"): PUBLIC,
    ("POST", "/inventory/api/items"): ADMINS_ONLY,
    ("PATCH", "/inventory/api/items/<int:item_id>"): ADMINS_ONLY,
    ("DELETE", "/inventory/api/items/<int:item_id>"): ADMINS_ONLY,
    ("PUT", "/inventory/api/items/<int:item_id>/picture"): ADMINS_ONLY,
    ("DELETE", "/inventory/api/items/<int:item_id>/picture"): ADMINS_ONLY,
    ("GET", "/inventory/api/openapi.json"): PUBLIC,
    ("GET", "/inventory/healthz"): PUBLIC,
    ("GET", "/inventory/readyz"): NOT_THROUGH_NGINX,
    ("GET", "/inventory/metrics"): NOT_THROUGH_NGINX,
    ("GET", "/inventory/internal/items"): NOT_THROUGH_NGINX,
    ("GET", "/inventory/internal/items/<int:item_id>"): NOT_THROUGH_NGINX,
    ("POST", "/inventory/internal/reservations"): NOT_THROUGH_NGINX,
    ("GET", "/inventory/internal/reservations/<key>"): NOT_THROUGH_NGINX,
    ("PATCH", "/inventory/internal/reservations/<key>"): NOT_THROUGH_NGINX,
    ("POST", "/inventory/internal/reservations/<key>/commit"): NOT_THROUGH_NGINX,
    ("POST", "/inventory/internal/reservations/<key>/release"): NOT_THROUGH_NGINX,
    # users
    ("GET", "/users/"): USERS_ONLY,
    ("GET", "/users/account"): USERS_ONLY,
    ("POST", "/users/account/password"): USERS_ONLY,
    ("GET", "/users/admin/"): ADMINS_ONLY,
    ("POST", "/users/admin/<int:user_id>/<action>"): ADMINS_ONLY,
    ("GET", "/users/login"): PUBLIC,
    ("POST", "/users/login"): PUBLIC,
    ("POST", "/users/logout"): PUBLIC,
    ("GET", "/users/register"): PUBLIC,
    ("POST", "/users/register"): PUBLIC,
    ("GET", "/users/language"): PUBLIC,
    ("POST", "/users/language"): PUBLIC,
    ("GET", "/users/api/me"): USERS_ONLY,
    ("GET", "/users/api/users"): ADMINS_ONLY,
    ("POST", "/users/api/users"): PUBLIC,
    ("PATCH", "/users/api/users/<int:user_id>"): ADMINS_ONLY,
    ("POST", "/users/api/tokens"): PUBLIC,
    ("GET", "/users/api/openapi.json"): PUBLIC,
    ("GET", "/users/healthz"): PUBLIC,
    ("GET", "/users/readyz"): NOT_THROUGH_NGINX,
    ("GET", "/users/metrics"): NOT_THROUGH_NGINX,
    ("GET", "/users/internal/users/<int:user_id>"): NOT_THROUGH_NGINX,
    ("POST", "/users/account/email"): USERS_ONLY,
    ("POST", "/users/account/email/resend"): USERS_ONLY,  # with no change waiting, it says so
    ("POST", "/users/account/email/cancel"): USERS_ONLY,
    ("GET", "/users/account/export"): USERS_ONLY,
    ("POST", "/users/account/delete"): USERS_ONLY,  # the walk's wrong password deletes nothing
    ("GET", "/users/password/forgot"): PUBLIC,
    ("POST", "/users/password/forgot"): PUBLIC,
    ("GET", "/users/password/reset/<token>"): PUBLIC,
    ("POST", "/users/password/reset/<token>"): PUBLIC,
    ("GET", "/users/email/confirm/<token>"): USERS_ONLY,  # opened by the account it is for (a 410 for a forged one)
    ("POST", "/users/email/confirm/<token>"): USERS_ONLY,
    ("GET", "/users/email/confirm"): USERS_ONLY,  # back from the login: the link opened logged out, if any
    ("GET", "/users/email/restore/<token>"): PUBLIC,  # the link is the credential (a 410 for a forged one)
    ("POST", "/users/email/restore/<token>"): PUBLIC,
    ("GET", "/users/admin/mail/"): ADMINS_ONLY,
    ("POST", "/users/admin/mail/<int:message_id>/retry"): ADMINS_ONLY,
    ("GET", "/users/api/me/export"): USERS_ONLY,
    ("DELETE", "/users/api/me"): USERS_ONLY,
    ("POST", "/users/api/password-resets"): PUBLIC,
    # orders
    ("GET", "/orders/"): USERS_ONLY,
    ("POST", "/orders/"): USERS_ONLY,
    ("GET", "/orders/new"): USERS_ONLY,
    ("GET", "/orders/quote"): PUBLIC,
    ("GET", "/orders/cart/"): PUBLIC,
    ("GET", "/orders/cart/count"): PUBLIC,
    ("POST", "/orders/cart/lines"): PUBLIC,
    ("POST", "/orders/cart/lines/<int:item_id>"): NOT_IN_CART,
    ("POST", "/orders/cart/lines/<int:item_id>/remove"): NOT_IN_CART,
    ("POST", "/orders/cart/checkout"): USERS_ONLY,
    ("GET", "/orders/api/cart"): USERS_ONLY,
    ("PUT", "/orders/api/cart/lines/<int:item_id>"): USERS_ONLY,
    ("DELETE", "/orders/api/cart/lines/<int:item_id>"): USERS_ONLY,
    ("POST", "/orders/api/cart/checkout"): USERS_ONLY,
    ("GET", "/orders/<int:order_id>"): OWNER_OR_ADMIN,
    ("POST", "/orders/<int:order_id>/pay"): OWNER_ONLY,
    ("GET", "/orders/<int:order_id>/edit"): OWNER_ONLY,
    ("POST", "/orders/<int:order_id>/edit"): OWNER_ONLY,
    ("GET", "/orders/<int:order_id>/cancel"): OWNER_OR_ADMIN,
    ("POST", "/orders/<int:order_id>/cancel"): OWNER_OR_ADMIN,
    ("GET", "/orders/admin/"): ADMINS_ONLY,
    ("POST", "/orders/admin/<int:order_id>/cancel"): ADMINS_ONLY,
    ("POST", "/orders/admin/<int:order_id>/resolve"): ADMINS_ONLY,
    ("GET", "/orders/checkout/success"): OWNER_OR_ADMIN,
    ("POST", "/orders/stripe/webhook"): (BAD, BAD, BAD, BAD),
    ("GET", "/orders/api/orders"): USERS_ONLY,
    ("POST", "/orders/api/orders"): USERS_ONLY,
    ("GET", "/orders/api/orders/<int:order_id>"): OWNER_OR_ADMIN,
    ("PATCH", "/orders/api/orders/<int:order_id>"): OWNER_ONLY,
    ("POST", "/orders/api/orders/<int:order_id>/cancel"): OWNER_OR_ADMIN,
    ("POST", "/orders/api/orders/<int:order_id>/checkout"): OWNER_ONLY,
    ("GET", "/orders/api/openapi.json"): PUBLIC,
    ("GET", "/orders/healthz"): PUBLIC,
    ("GET", "/orders/readyz"): NOT_THROUGH_NGINX,
    ("GET", "/orders/metrics"): NOT_THROUGH_NGINX,
    ("GET", "/orders/admin/mail/"): ADMINS_ONLY,
    ("POST", "/orders/admin/mail/<int:message_id>/retry"): ADMINS_ONLY,
    ("GET", "/orders/internal/users/<int:user_id>/orders"): NOT_THROUGH_NGINX,
    ("POST", "/orders/internal/users/<int:user_id>/erase"): NOT_THROUGH_NGINX,
}
PERSONAS = ("anonymous", "owner", "other", "admin")


def served_routes() -> set[tuple[str, str]]:
    """(method, rule) of every route the three apps register."""
    from inventory_app import create_app as inventory
    from orders_app import create_app as orders
    from users_app import create_app as users

    config = {"SECRET_KEY": "x", "SHOP_SERVICE_TOKEN": "y", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    routes = set()
    for create_app in (inventory, users, orders):
        for rule in create_app(config).url_map.iter_rules():
            routes |= {(method, rule.rule) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_the_table_covers_every_route_of_every_app():
    served = served_routes()
    assert sorted(served - set(TABLE)) == [], "routes without an expected answer in TABLE"
    assert sorted(set(TABLE) - served) == [], "TABLE names routes that no app serves"


class Walker:
    """Makes the objects a route needs, and calls it as each persona would (page or API)."""

    def __init__(self, stack):
        self.stack = stack
        self.admin = ShopClient(stack.base_url)
        self.admin.login(ADMIN_LOGIN, ADMIN_PASSWORD)
        self.admin_token = self.admin.api_token(ADMIN_LOGIN, ADMIN_PASSWORD)
        self.clients = {"anonymous": ShopClient(stack.base_url), "admin": self.admin}
        self.tokens = {"anonymous": None, "admin": self.admin_token}
        for persona in ("owner", "other"):
            client = ShopClient(stack.base_url)
            client.register(new_login(persona))
            self.clients[persona] = client
            self.tokens[persona] = client.api_token(client.login_name)
        self.stock_item = self.new_item(quantity=1000)

    def new_item(self, quantity: int = 50) -> int:
        response = self.admin.api(
            "POST",
            "/inventory/api/items",
            self.admin_token,
            json={"name": f"Access {secrets.token_hex(3)}", "description": "", "price": "5.00", "quantity": quantity},
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def make_room(self) -> None:
        """Cancel the owner's Pending orders: a customer may have only a few (SHOP_MAX_PENDING_ORDERS),
        and every call here orders afresh."""
        token = self.tokens["owner"]
        pending = self.admin.api("GET", "/orders/api/orders?status=Pending&per_page=100", token).json()["items"]
        for each in pending:
            self.admin.api("POST", f"/orders/api/orders/{each['id']}/cancel", token)

    def picture_url(self) -> str:
        response = requests.put(
            self.stack.url(f"/inventory/api/items/{self.new_item()}/picture"),
            files={"file": ("p.jpg", picture("JPEG", (200, 100)), "image/jpeg")},
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["picture"]["url"]

    def new_order(self) -> int:
        response = self.admin.api(
            "POST",
            "/orders/api/orders",
            self.tokens["owner"],
            json={"inventory_id": self.stock_item, "quantity": 1},
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def new_user(self) -> int:
        response = self.admin.api(
            "POST", "/users/api/users", json={"login": new_login("c"), "password": DEFAULT_PASSWORD}
        )
        return response.json()["id"]

    def path(self, rule: str) -> str:
        """The rule with fresh objects in place of its parameters (owned by the owner persona)."""
        values = {}
        if "<int:order_id>" in rule or "<key>" in rule:
            values["order_id"] = self.new_order()
        path = rule.replace("<int:item_id>", str(self.new_item()))
        path = path.replace("<int:order_id>", str(values.get("order_id", "")))
        path = path.replace("<key>", f"order-{values.get('order_id', '')}")
        path = path.replace("<int:user_id>", str(self.new_user())).replace("<action>", "deactivate")
        path = path.replace("<int:message_id>", "1").replace("<token>", "not-a-real-link")
        if path == "/orders/checkout/success":  # the owner's order, with a Checkout Session of its own
            order_id = self.new_order()
            url = self.admin.api("POST", f"/orders/api/orders/{order_id}/checkout", self.tokens["owner"]).json()["url"]
            path += f"?session_id={url.rstrip('/').rsplit('/', 1)[-1]}"
        if "<string:picture_hash>" in rule:  # a stored picture's URL
            path = self.picture_url()
        if path == "/orders/quote":
            path += f"?inventory_id={self.stock_item}&quantity=2"
        return path

    def stand_in(self, persona: str) -> ShopClient:
        """A fresh logged-in user in the persona's role, for a route that ends its sessions (logout)."""
        client = ShopClient(self.stack.base_url)
        if persona == "anonymous":
            return client
        client.register(new_login(persona))
        if persona == "admin":
            user_id = find_user(self.admin, self.admin_token, client.login_name)["id"]
            self.admin.api("PATCH", f"/users/api/users/{user_id}", self.admin_token, json={"is_admin": True})
        return client

    def call(self, persona: str, method: str, rule: str) -> requests.Response:
        self.make_room()
        path = self.path(rule)
        client = self.stand_in(persona) if rule == "/users/logout" else self.clients[persona]
        if "/api/" in rule:
            body = {"quantity": 2, "inventory_id": self.stock_item, "login": new_login(), "password": "x"}
            if rule == "/users/api/tokens":  # right credentials: the route itself is open to all
                body.update(login=self.clients["owner"].login_name, password=DEFAULT_PASSWORD)
            return client.api(method, path, self.tokens[persona], json=body if method != "GET" else None)
        if method == "GET":
            return client.get(path, follow=False)
        data = {"quantity": "2", "inventory_id": str(self.stock_item), "lang": "en", "name": "x", "price": "1"}
        headers = {"Origin": self.stack.base_url}
        if method == "POST":
            return client.post(path, data)
        token = client.csrf_token()
        return client.http.request(
            method, self.stack.url(path), data=data, headers={**headers, "X-CSRFToken": token}, allow_redirects=False
        )


def verdict(response: requests.Response, rule: str) -> str | int:
    if response.status_code in (401, 403, 404, 400) and not (response.status_code == 400 and "/api/" in rule):
        return LOGIN if response.status_code == 401 else response.status_code
    if response.status_code in (302, 303) and "/users/login" in response.headers.get("Location", ""):
        return LOGIN
    return OK


@pytest.fixture(scope="module")
def walker(stack):
    return Walker(stack)


@pytest.mark.parametrize(("method", "rule"), sorted(TABLE), ids=lambda v: v)
def test_route_answers_each_persona_as_the_table_says(walker, method, rule):
    answers = {}
    for persona in PERSONAS:
        answers[persona] = verdict(walker.call(persona, method, rule), rule)
    assert answers == dict(zip(PERSONAS, TABLE[(method, rule)], strict=True))
