"""In Chromium through nginx: an admin edits the inventory table in place, and shoppers see it."""

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from stacktools.client import TIMEOUT, new_login
from stacktools.stack import ADMIN_LOGIN


@pytest.fixture
def item(stack):
    """An item added through the admin API, with a name no other test uses."""
    base = stack.base_url
    token = requests.post(
        base + "/users/api/tokens", json={"login": ADMIN_LOGIN, "password": stack.env["SHOP_ADMIN_PASSWORD"]},
        timeout=TIMEOUT,
    ).json()["token"]
    word = new_login("lamp").replace("_", "")
    body = {"name": f"Desk Lamp {word}", "description": "Brass, with a linen shade.", "price": "12.50", "quantity": 8}
    response = requests.post(
        base + "/inventory/api/items", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    assert response.status_code == 201, response.text
    return response.json() | {"word": word}


def log_in_as_admin(stack, page: Page) -> None:
    page.goto(stack.url("/users/login"))
    page.get_by_label("Login").fill(ADMIN_LOGIN)
    page.get_by_label("Password").fill(stack.env["SHOP_ADMIN_PASSWORD"])
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#nav-user")).to_have_text(ADMIN_LOGIN)


def catalog_price(stack, page: Page, item) -> str:
    page.goto(stack.url(f"/inventory/?q={item['word']}"))
    return page.locator(f"#catalog-item-{item['id']} .item-price").inner_text()


def test_admin_edits_a_price_inline_and_the_catalog_shows_it(stack, page: Page, item):
    log_in_as_admin(stack, page)
    page.goto(stack.url("/inventory/admin/"))
    page.get_by_label("Search items").fill(item["word"])
    expect(page).to_have_url(re.compile(f"q={item['word']}"))  # the search results are in
    row = page.locator(f"#item-{item['id']}")
    expect(row).to_have_count(1)
    row.locator(".item-price").click()  # a click anywhere on the row opens it for editing

    expect(row).to_have_class(re.compile("editing"))
    price = row.get_by_label("Price")
    expect(price).to_have_value("12.50")
    price.fill("14.75")
    row.get_by_role("button", name="Save").click()

    expect(row).not_to_have_class(re.compile("editing"))
    expect(row.locator(".item-price")).to_have_text("$14.75")
    assert catalog_price(stack, page, item) == "$14.75"


def test_a_free_price_is_saved_inline_with_a_warning_and_its_page_offers_only_the_cart(stack, page: Page, item):
    """A price of 0 is allowed (a free sample), never silently: the row says customers get it only in a cart
    with other items, and the item page says so to customers instead of offering an order checkout refuses."""
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={item['word']}"))
    row = page.locator(f"#item-{item['id']}")
    row.locator(".item-price").click()
    expect(row).to_have_class(re.compile("editing"))
    row.get_by_label("Price").fill("0")
    row.get_by_role("button", name="Save").click()

    expect(row).not_to_have_class(re.compile("editing"))
    warning = "Free: customers can only get it in a cart with other items, as a card payment is at least $0.50."
    expect(row.locator(".price-warning")).to_have_text(warning)
    expect(page.locator("#announcer")).to_contain_text(warning)
    page.goto(stack.url(f"/inventory/items/{item['id']}"))
    expect(page.locator("#item-minimum")).to_contain_text("This item is free")
    expect(page.get_by_role("button", name="Place order")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Add to cart"))).to_have_count(1)


def test_an_invalid_edit_shows_its_error_in_the_row_and_changes_nothing(stack, page: Page, item):
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={item['word']}"))
    row = page.locator(f"#item-{item['id']}")
    row.get_by_role("button", name="Edit").click()
    row.get_by_label("Price").fill("-3")
    row.get_by_label("Quantity").fill("2.5")
    row.get_by_role("button", name="Save").click()

    expect(row.locator(f"#item-{item['id']}-price-error")).to_contain_text("at most two decimals")
    expect(row.locator(f"#item-{item['id']}-quantity-error")).to_have_text("Enter a whole number, 0 or more.")
    expect(row.get_by_label("Price")).to_be_focused()
    expect(row.get_by_label("Price")).to_have_attribute("aria-invalid", "true")

    row.get_by_role("button", name="Cancel").click()
    expect(row.locator(".item-price")).to_have_text("$12.50")
    assert catalog_price(stack, page, item) == "$12.50"


def test_admin_adds_a_row_and_deletes_it_after_confirming(stack, page: Page, item):
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={item['word']}"))
    page.get_by_role("button", name="Add item").click()
    new_row = page.locator("tr.editing")
    new_row.get_by_label("Name").fill(f"Floor Lamp {item['word']}")
    new_row.get_by_label("Price").fill("99")
    new_row.get_by_label("Quantity").fill("2")
    new_row.get_by_role("button", name="Save").click()
    added = page.locator("tr", has_text=f"Floor Lamp {item['word']}")
    expect(added.locator(".item-price")).to_have_text("$99.00")

    page.once("dialog", lambda dialog: dialog.accept())
    added.get_by_role("button", name="Delete").click()
    expect(added).to_have_count(0)
    page.goto(stack.url(f"/inventory/?q={item['word']}"))
    expect(page.locator(".item-name")).to_have_text([item["name"]])


def test_cancelling_a_new_item_puts_the_keyboard_back_on_add_item(stack, page: Page, item):
    # The new row goes away: focus went to the first item's Edit, one Enter from editing an item
    # nobody chose. It goes back to what opened the row.
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={item['word']}"))
    page.get_by_role("button", name="Add item").focus()
    page.keyboard.press("Enter")
    new_row = page.locator("tr.editing")
    expect(new_row.get_by_label("Name")).to_be_focused()
    new_row.get_by_role("button", name="Cancel").focus()
    page.keyboard.press("Enter")
    expect(new_row).to_have_count(0)
    expect(page.get_by_role("button", name="Add item")).to_be_focused()


def test_a_new_item_saved_with_the_keyboard_keeps_the_focus_in_its_own_row(stack, page: Page, item):
    # The new row is replaced by the item's row (with an id of its own): the keyboard stays there,
    # so Enter opens the new item, never the row below it.
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={item['word']}"))
    page.get_by_role("button", name="Add item").click()
    new_row = page.locator("tr.editing")
    expect(new_row.get_by_label("Name")).to_be_focused()
    page.keyboard.type(f"Wall Lamp {item['word']}")
    new_row.get_by_label("Price").fill("45")
    new_row.get_by_label("Quantity").fill("3")
    new_row.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    added = page.locator("#item-rows tr", has_text=f"Wall Lamp {item['word']}")
    expect(added.locator(".item-price")).to_have_text("$45.00")
    expect(page.locator("#announcer")).to_have_text(f"Added Wall Lamp {item['word']}.")
    expect(added.get_by_role("button", name="Edit")).to_be_focused()


def test_escape_in_an_edit_row_cancels_it_as_its_cancel_does(stack, page: Page, item):
    """Escape did nothing in an edit row: the admin had to Tab to Cancel. It now sends Cancel's own
    request (the row shown again, nothing saved) and the keyboard lands where Cancel puts it."""
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={item['word']}"))
    row = page.locator(f"#item-{item['id']}")
    row.get_by_role("button", name="Edit").click()
    expect(row.get_by_label("Name")).to_be_focused()
    row.get_by_label("Price").fill("99")
    with page.expect_request(stack.url(f"/inventory/admin/items/{item['id']}")):
        page.keyboard.press("Escape")
    expect(row.locator(".item-price")).to_have_text("$12.50")
    expect(row.get_by_role("button", name="Edit")).to_be_focused()
    assert catalog_price(stack, page, item) == "$12.50"

    page.goto(stack.url(f"/inventory/admin/?q={item['word']}"))
    page.get_by_role("button", name="Add item").click()
    new_row = page.locator("tr.editing")
    new_row.get_by_label("Name").fill(f"Escaped Lamp {item['word']}")
    new_row.get_by_label("Quantity").focus()
    page.keyboard.press("Escape")
    expect(new_row).to_have_count(0)
    expect(page.get_by_role("button", name="Add item")).to_be_focused()
    expect(page.locator("#item-rows tr")).to_have_count(1)
