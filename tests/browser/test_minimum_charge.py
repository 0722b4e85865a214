"""In Chromium through nginx: items priced under Stripe's minimum charge ($0.50) say so before anything
is pressed. A sticker at $0.30 is ordered two at a time (its form starts there; the live total says why
one is not enough); a free sample has no order form, goes in the cart, and the cart offers no Check out
until something else brings it to the minimum."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import add_item, assert_accessible, register


def test_a_sticker_under_the_minimum_is_ordered_by_two_and_the_page_says_why(stack, page: Page, word):
    sticker = add_item(stack, f"Sticker {word}", price="0.30", quantity=10)
    register(stack, page)
    page.goto(stack.url(f"/inventory/items/{sticker['id']}"))
    note = (
        "A card payment must be at least $0.50: order at least 2 of this item, or add it to your cart with other items."
    )
    expect(page.locator("#item-minimum")).to_have_text(note)
    expect(page.locator("#quantity")).to_have_value("2")
    expect(page.locator("#order-total")).to_have_text("$0.60")
    page.locator("#quantity").fill("1")  # the live total (htmx) says why one is refused, before Place order
    expect(page.locator("#order-total")).to_contain_text("order at least 2 of this item")
    page.locator("#quantity").fill("3")
    expect(page.locator("#order-total")).to_have_text("3 × $0.30 = $0.90")
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("#order-quantity")).to_have_text("3")


def test_a_free_sample_goes_in_the_cart_and_is_checked_out_with_something_else(stack, page: Page, word):
    free = add_item(stack, f"Free sample {word}", price="0.00", quantity=10)
    mug = add_item(stack, f"Mug {word}", price="8.50", quantity=10)
    register(stack, page)
    page.goto(stack.url(f"/inventory/items/{free['id']}"))
    free_note = "This item is free, but a card payment must be at least $0.50"
    expect(page.locator("#item-minimum")).to_contain_text(free_note)
    expect(page.get_by_role("button", name="Place order")).to_have_count(0)
    assert_accessible(page, "a free item's page")

    page.get_by_role("button", name=f"Add to cart Free sample {word}").click()
    feedback = page.locator("#main .cart-feedback")
    expect(feedback).to_contain_text("In your cart: 1.")
    expect(feedback).to_contain_text("A card payment must be at least $0.50: add $0.50 more to check out.")
    expect(page.locator("#announcer")).to_contain_text("add $0.50 more to check out")

    page.locator("#nav-cart").click()
    expect(page.locator("#cart-minimum")).to_contain_text("add $0.50 more to check out")
    expect(page.get_by_role("button", name="Check out")).to_have_count(0)
    assert_accessible(page, "a cart under the minimum charge")
    page.locator("#cart-keep-shopping").click()
    expect(page).to_have_url(re.compile(r"/inventory/$"))

    page.goto(stack.url(f"/inventory/?q={word}"))
    page.get_by_role("button", name=f"Add to cart Mug {word}").click()
    expect(page.locator(f"#catalog-item-{mug['id']} .cart-feedback")).to_contain_text("In your cart: 1.")
    expect(page.locator(f"#catalog-item-{mug['id']} .cart-feedback")).not_to_contain_text("card payment")
    page.locator("#nav-cart").click()
    expect(page.locator("#cart-total")).to_have_text("$8.50")
    page.get_by_role("button", name="Check out").click()
    expect(page).to_have_url(re.compile(re.escape(stack.env["STRIPE_API_BASE"]) + r"/checkout/cs_"))
    expect(page.locator("body")).to_contain_text(f"Free sample {word}")
