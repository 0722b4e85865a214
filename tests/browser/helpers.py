"""Helpers of the browser tests: accessibility checks, items, customers and orders made through the
APIs, logging a page in."""

import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from stacktools.client import DEFAULT_PASSWORD, ShopClient, new_login
from stacktools.stack import ADMIN_LOGIN

BLOCKING = ("serious", "critical")
PT_BR = {"locale": "pt-BR"}  # the browser's language: Accept-Language pt-BR

axe = Axe()


def assert_accessible(page: Page, where: str) -> None:
    """axe-core on the page as it is now: no serious or critical violation (all of them listed if any)."""
    results = axe.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {node['target']}: {node['failureSummary']}".replace("\n", " ") for node in v["nodes"][:5])
        for v in blocking
    )
    assert not blocking, f"axe on {where} ({page.url}):\n{report}"


def api_token(stack, login: str = ADMIN_LOGIN, password: str | None = None) -> str:
    password = password or stack.env["SHOP_ADMIN_PASSWORD"]
    response = requests.post(stack.url("/users/api/tokens"), json={"login": login, "password": password}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def add_item(
    stack, name: str, price: str = "12.50", quantity: int = 8, description: str = "", category: str | None = None
) -> dict:
    body = {"name": name, "description": description, "price": price, "quantity": quantity}
    response = requests.post(
        stack.url("/inventory/api/items"),
        json=body | ({"category": category} if category else {}),
        headers={"Authorization": f"Bearer {api_token(stack)}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def register_user(stack) -> str:
    """A new customer account (made over HTTP); its login. The password is DEFAULT_PASSWORD."""
    login = new_login("shopper")
    assert ShopClient(stack.base_url).register(login).status_code == 303
    return login


def place_order(stack, login: str, item_id: int, quantity: int = 2) -> int:
    response = requests.post(
        stack.url("/orders/api/orders"),
        json={"inventory_id": item_id, "quantity": quantity},
        headers={"Authorization": f"Bearer {api_token(stack, login, DEFAULT_PASSWORD)}"},
        timeout=15,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def log_in(stack, page: Page, login: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto(stack.url("/users/login"))
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.locator("#main form button[type=submit]").click()
    expect(page.locator("#nav-user")).to_have_text(login)


def log_in_as_admin(stack, page: Page) -> None:
    log_in(stack, page, ADMIN_LOGIN, stack.env["SHOP_ADMIN_PASSWORD"])


def register(stack, page: Page) -> str:
    login = new_login("buyer")
    page.goto(stack.url("/users/register"))
    page.get_by_label("Login").fill(login)
    page.get_by_label("E-mail address").fill(f"{login}@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.locator("#main form").get_by_role("button").click()
    expect(page.locator("#nav-user")).to_have_text(login)
    return login
