"""In Chromium through nginx: a visitor fills a cart from the catalog, registers (the cart comes
along), changes a quantity, checks out in one click, pays the three lines on the emulator's page
and finds the order Paid with its exact total and every item's stock down by its line."""

import re
import secrets

from playwright.sync_api import Page, expect

from tests.browser.helpers import register
from tests.stack.shop_orders import CARD_OK, new_item, stock_of


def test_a_visitor_fills_a_cart_registers_checks_out_and_pays_three_lines(stack, page: Page):
    word = f"cartword{secrets.token_hex(3)}"
    items = {
        name: new_item(stack, price=price, quantity=10, name=f"{name} {word}")
        for name, price in (("Mug", "8.50"), ("Lamp", "25.00"), ("Pen", "1.20"))
    }
    page.goto(stack.url(f"/inventory/?q={word}"))
    for name in items:
        page.get_by_role("button", name=f"Add to cart {name} {word}").click()
        expect(page.locator(f"#catalog-item-{items[name]} .cart-feedback")).to_contain_text("In your cart: 1.")
    expect(page.locator("#nav-cart")).to_contain_text("(3)")

    register(stack, page)  # the visitor's cart joins the new account's
    page.locator("#nav-cart").click()
    expect(page.locator("#cart-lines tbody tr")).to_have_count(3)
    page.get_by_label(f"Quantity of Mug {word}").fill("2")
    page.get_by_role("button", name=f"Update Mug {word}").click()
    expect(page.locator("#cart-total")).to_have_text("$43.20")  # 2 x 8.50 + 25.00 + 1.20
    expect(page.locator("#nav-cart")).to_contain_text("(4)")  # swapped in with the cart

    page.get_by_role("button", name="Check out").click()
    expect(page).to_have_url(re.compile(re.escape(stack.env["STRIPE_API_BASE"]) + r"/checkout/cs_"))
    expect(page.locator("body")).to_contain_text(f"Lamp {word}")
    page.get_by_label("Card number").fill(CARD_OK)
    page.get_by_role("button", name="Pay 43.20 USD").click()
    expect(page.locator("#payment-status")).to_have_text("Payment received", timeout=15_000)
    page.locator("#order-link").click()
    expect(page.locator("#order-status")).to_have_text("Paid")
    expect(page.locator("#order-total-price")).to_have_text("$43.20")
    for item_id in items.values():
        expect(page.locator(f"#order-line-{item_id}")).to_have_count(1)
    assert {name: stock_of(stack, item) for name, item in items.items()} == {"Mug": 8, "Lamp": 9, "Pen": 9}
    page.locator("#nav-cart").click()
    expect(page.locator("#cart-empty")).to_be_visible()
