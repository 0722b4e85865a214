"""In Chromium through nginx, on a slow or failing network (Playwright's routing holds or fails the
shop's own requests): a request that fails says so where the customer is looking, and a click sent
again while the first is on its way does not do the thing twice."""

import re
from urllib.parse import parse_qs

from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import register
from tests.stack.shop_orders import new_item

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "en-US"}
OFFLINE = "The shop could not be reached. Check your connection and try again."


def test_a_failed_add_to_cart_far_down_a_phones_page_says_so_beside_its_button(stack, browser: Browser, word):
    """The message stood only in the box above the catalog, a few screens up on a phone: the button
    seemed to do nothing, and a customer taps it again and again."""
    ids = [new_item(stack, price="3.00", quantity=5, name=f"Thing {n} {word}") for n in range(8)]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(stack.url(f"/inventory/?q={word}"))
    row = page.locator(f"#catalog-item-{ids[0]}")  # newest first: the first made is the last row
    page.route("**/orders/cart/lines", lambda route: route.abort("internetdisconnected"))
    row.get_by_role("button", name=f"Add to cart Thing 0 {word}").click()
    expect(row.get_by_text(OFFLINE)).to_be_visible()
    expect(row.get_by_text(OFFLINE)).to_be_in_viewport()
    expect(page.locator("#request-error")).to_have_text(OFFLINE)  # still the alert screen readers hear

    page.unroute("**/orders/cart/lines")
    row.get_by_role("button", name=f"Add to cart Thing 0 {word}").click()
    expect(row.locator(".cart-feedback")).to_contain_text("In your cart: 1.")
    expect(page.get_by_text(OFFLINE)).to_have_count(0)  # the message went with the trouble
    context.close()


def test_a_double_click_on_add_to_cart_adds_one_unit(stack, page: Page, word):
    """A double-click, or a second click while a slow answer is on its way, sent a second post once
    the first was answered: two units in the cart for one meant."""
    mug, pen = (new_item(stack, price="3.00", quantity=5, name=f"{name} {word}") for name in ("Mug", "Pen"))
    posted, held = [], []

    def hold_the_first(route):
        posted.append(int(parse_qs(route.request.post_data)["inventory_id"][0]))
        if len(posted) == 1:
            held.append(route)
        else:
            route.continue_()

    page.goto(stack.url(f"/inventory/?q={word}"))
    page.route("**/orders/cart/lines", hold_the_first)
    page.get_by_role("button", name=f"Add to cart Mug {word}").dblclick()
    while not held:  # the first post reaches the route (Playwright runs handlers while it waits)
        page.wait_for_timeout(20)
    held[0].continue_()
    expect(page.locator(f"#catalog-item-{mug} .cart-feedback")).to_contain_text("In your cart: 1.")
    # Another row's add, posted after anything the first click's answer let go, orders what was sent.
    page.get_by_role("button", name=f"Add to cart Pen {word}").click()
    expect(page.locator(f"#catalog-item-{pen} .cart-feedback")).to_contain_text("In your cart: 1.")
    assert posted == [mug, pen]
    expect(page.locator("#nav-cart")).to_contain_text("(2)")


def test_check_out_shows_busy_takes_no_second_click_and_comes_back_when_it_fails(stack, page: Page, word):
    """A double-click on "Check out" sent two requests, and while Stripe was asked the button showed
    nothing: a customer clicks again. Now it is busy and disabled while its request runs, and back,
    with the message beside it, when the request fails."""
    mug = new_item(stack, price="3.00", quantity=5, name=f"Mug {word}")
    register(stack, page)
    page.goto(stack.url(f"/inventory/?q={word}"))
    page.get_by_role("button", name=f"Add to cart Mug {word}").click()
    expect(page.locator(f"#catalog-item-{mug} .cart-feedback")).to_contain_text("In your cart: 1.")
    page.goto(stack.url("/orders/cart/"))
    posted, held = [], []

    def hold(route):
        posted.append(route.request.url)
        held.append(route)

    page.route("**/orders/cart/checkout", hold)
    button = page.locator("#cart-checkout")
    button.dblclick()
    while not held:
        page.wait_for_timeout(20)
    expect(button).to_have_attribute("aria-busy", "true")
    expect(button).to_be_disabled()
    held[0].abort("internetdisconnected")
    expect(page.locator("#cart").get_by_text(OFFLINE)).to_be_visible()
    expect(button).to_be_enabled()
    expect(button).not_to_have_attribute("aria-busy", "true")
    assert len(posted) == 1

    page.unroute("**/orders/cart/checkout")
    button.click()
    expect(page).to_have_url(re.compile(re.escape(stack.env["STRIPE_API_BASE"]) + r"/checkout/cs_"))

