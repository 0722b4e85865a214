"""In Chromium through nginx: axe-core finds no serious or critical problem on any page of the shop,
nor in the states htmx swaps in (search results, a row in edit mode, a validation error), in
English and in Brazilian Portuguese. Helpers here serve the other accessibility and language tests."""

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from stacktools.client import DEFAULT_PASSWORD
from tests.browser.helpers import (
    add_item,
    api_token,
    assert_accessible,
    log_in,
    log_in_as_admin,
    place_order,
    register_user,
)


@pytest.mark.parametrize(
    "path",
    [
        "/inventory/",
        "/users/login",
        "/users/register",
        "/inventory/items/999999999",
        "/users/password/forgot",
        "/users/password/reset/not-a-link",
    ],
)
def test_public_pages_pass_axe_in_english_and_portuguese(stack, page: Page, pt_page: Page, path):
    for each, lang in ((page, "en"), (pt_page, "pt-BR")):
        each.goto(stack.url(path))
        expect(each.locator("html")).to_have_attribute("lang", lang)
        assert_accessible(each, f"{path} in {lang}")


def test_catalog_search_results_and_empty_state_pass_axe(stack, page: Page, word):
    add_item(stack, f"Lamp {word}", description="Brass, with a linen shade.")
    add_item(stack, f"Vase {word}", quantity=2)
    add_item(stack, f"Bowl {word}", quantity=0)
    page.goto(stack.url("/inventory/"))
    page.get_by_label("Search items").fill(word)
    expect(page.locator("#catalog-items tr")).to_have_count(3)
    expect(page.locator("#announcer")).to_have_text("3 items found.")  # read out by screen readers
    assert_accessible(page, "catalog with search results swapped in")

    page.get_by_label("Search items").fill(word + "zz")
    expect(page.locator("#catalog-results .empty-state")).to_contain_text("No items match")
    expect(page.locator("#announcer")).to_contain_text("No items match")
    assert_accessible(page, "catalog with no results")


def test_item_page_and_its_order_form_pass_axe(stack, page: Page, pt_page: Page, word):
    item = add_item(stack, f"Kettle {word}")
    page.goto(stack.url(f"/inventory/items/{item['id']}"))
    assert_accessible(page, "item page, anonymous")
    log_in(stack, pt_page, register_user(stack))
    pt_page.goto(stack.url(f"/inventory/items/{item['id']}"))
    expect(pt_page.get_by_label("Quantidade")).to_be_visible()
    assert_accessible(pt_page, "item page with the order form, in Portuguese")


def test_registration_with_errors_passes_axe_and_ties_errors_to_fields(stack, page: Page, pt_page: Page):
    for each, (login_label, password_label, button) in (
        (page, ("Login", "Password", "Create account")),
        (pt_page, ("Login", "Senha", "Criar conta")),
    ):
        each.goto(stack.url("/users/register"))
        each.get_by_label(login_label, exact=True).fill("ab")
        each.get_by_label(password_label, exact=True).fill("short")
        each.get_by_role("button", name=button).click()
        field = each.get_by_label(login_label, exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        described = re.compile(r"^(Use 3 to 64 characters|Use de 3 a 64 caracteres)\.$")
        expect(field).to_have_accessible_description(described)
        assert_accessible(each, f"registration with errors ({button})")


def test_account_and_users_admin_pass_axe(stack, page: Page):
    log_in(stack, page, register_user(stack))
    page.goto(stack.url("/users/account"))
    assert_accessible(page, "account")
    settings = page.locator("#email-settings")
    settings.get_by_label("E-mail address").fill("waiting@new.example")
    settings.get_by_label("Current password").fill(DEFAULT_PASSWORD)
    settings.get_by_role("button", name="Save e-mail address").click()
    expect(page.locator("#email-pending")).to_contain_text("waiting@new.example")
    assert_accessible(page, "account with an address change waiting")
    page.get_by_role("button", name="Log out").click()

    log_in_as_admin(stack, page)
    page.goto(stack.url("/users/admin/"))
    assert_accessible(page, "users admin")
    page.goto(stack.url("/users/admin/mail/"))
    assert_accessible(page, "e-mail that could not be sent")
    page.goto(stack.url("/users/admin/"))
    page.get_by_label("Search logins").fill("shopper")
    expect(page.locator("#announcer")).to_contain_text("shown")
    assert_accessible(page, "users admin with search results")


def test_inventory_admin_in_edit_mode_and_with_an_error_passes_axe(stack, page: Page, word):
    item = add_item(stack, f"Clock {word}")
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={word}"))
    assert_accessible(page, "inventory admin")
    row = page.locator(f"#item-{item['id']}")
    row.get_by_role("button", name="Edit").click()
    expect(row).to_have_class(re.compile("editing"))
    expect(row.get_by_label("Name")).to_be_focused()
    assert_accessible(page, "inventory admin, a row in edit mode")

    row.get_by_label("Price").fill("free")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_label("Price")).to_have_attribute("aria-invalid", "true")
    expect(row.get_by_label("Price")).to_be_focused()
    assert_accessible(page, "inventory admin, a row with a validation error")

    page.get_by_role("button", name="Add item").click()
    expect(page.locator("tr.editing")).to_have_count(2)
    assert_accessible(page, "inventory admin, a new row")

    page.goto(stack.url(f"/inventory/admin/items/{item['id']}/history"))
    assert_accessible(page, "stock history")

    page.goto(stack.url("/inventory/admin/archived"))
    expect(page.get_by_role("heading", name="Archived items")).to_be_visible()
    assert_accessible(page, "archived items")


def test_my_orders_empty_and_with_an_order_and_the_order_page_pass_axe(stack, page: Page, pt_page: Page, word):
    login = register_user(stack)
    log_in(stack, page, login)
    page.goto(stack.url("/orders/"))
    expect(page.locator("#order-list .empty-state")).to_be_visible()
    assert_accessible(page, "my orders, none yet")

    item = add_item(stack, f"Teapot {word}", price="7.25")
    order_id = place_order(stack, login, item["id"])
    page.goto(stack.url("/orders/"))
    expect(page.locator(f"#order-{order_id}")).to_be_visible()
    assert_accessible(page, "my orders, one order")
    page.goto(stack.url(f"/orders/{order_id}"))
    assert_accessible(page, "order page")

    log_in(stack, pt_page, login)
    pt_page.goto(stack.url(f"/orders/{order_id}"))
    assert_accessible(pt_page, "order page, Portuguese browser")


def test_the_admin_order_monitor_passes_axe(stack, page: Page, word):
    login = register_user(stack)
    item = add_item(stack, f"Jug {word}", quantity=3)
    place_order(stack, login, item["id"], 1)
    log_in_as_admin(stack, page)
    page.goto(stack.url("/orders/admin/"))
    expect(page.locator("#low-stock")).to_be_visible()  # inventory's fragment, pulled in by htmx
    assert_accessible(page, "admin order monitor")
    page.get_by_label("Item").fill(word)
    page.on("dialog", lambda dialog: dialog.accept())
    row = page.locator("#monitor-results tbody tr").filter(has_text=f"Jug {word}")
    row.get_by_role("button", name="Cancel").click()
    expect(row.locator(".action-done")).to_contain_text("is cancelled; its stock went back.")
    assert_accessible(page, "admin order monitor, a row saying what was done")


def test_the_cart_passes_axe_empty_filled_and_short_in_english_and_portuguese(stack, page: Page, pt_page: Page, word):
    login = register_user(stack)
    log_in(stack, page, login)
    page.goto(stack.url("/orders/cart/"))
    expect(page.locator("#cart-empty")).to_be_visible()
    assert_accessible(page, "an empty cart")

    mug, lamp = add_item(stack, f"Mug {word}", price="8.50"), add_item(stack, f"Lamp {word}", price="25.00")
    page.goto(stack.url(f"/inventory/?q={word}"))
    for item in (mug, lamp):
        page.get_by_role("button", name=f"Add to cart {item['name']}").click()
        expect(page.locator(f"#catalog-item-{item['id']} .cart-feedback")).to_contain_text("In your cart: 1.")
    assert_accessible(page, "the catalog with Add to cart answers swapped in")
    page.locator("#nav-cart").click()
    page.get_by_label(f"Quantity of Mug {word}").fill("3")
    page.get_by_role("button", name=f"Update Mug {word}").click()
    expect(page.locator("#cart-total")).to_have_text("$50.50")
    assert_accessible(page, "a cart of two lines after an update")

    sold = requests.patch(
        stack.url(f"/inventory/api/items/{mug['id']}"),
        json={"quantity": 2},
        headers={"Authorization": f"Bearer {api_token(stack)}"},
        timeout=10,
    )
    assert sold.status_code == 200, sold.text
    page.reload()
    expect(page.locator(f"#cart-line-{mug['id']} .cart-line-note")).to_contain_text("Only 2 left.")
    expect(page.get_by_role("button", name="Check out")).to_have_count(0)  # it would only be refused
    assert_accessible(page, "a cart with a short line")

    log_in(stack, pt_page, login)
    pt_page.goto(stack.url("/orders/cart/"))
    expect(pt_page.locator("h1")).to_have_text("Seu carrinho")
    expect(pt_page.locator(f"#cart-line-{mug['id']} .cart-line-note")).to_contain_text("Só restam 2.")
    assert_accessible(pt_page, "the cart in Portuguese")
