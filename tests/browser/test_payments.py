"""In Chromium through nginx: order, Pay, a card on the emulator's hosted page, back on the success
page, the order Paid and its stock sold; and a declined card that changes nothing."""

import re
import time

from playwright.sync_api import Page, expect

from stacktools.stack import wait_until
from tests.browser.helpers import log_in, register
from tests.stack.shop_orders import (
    CARD_DECLINED,
    CARD_OK,
    checkout_url,
    customer,
    new_item,
    order,
    placed,
    reservation,
    session_id,
    stock_of,
)


def order_and_pay(stack, page: Page, price: str, quantity: int) -> tuple[int, int]:
    item = new_item(stack, price=price, quantity=10)
    register(stack, page)
    page.goto(stack.url(f"/orders/new?inventory_id={item}&quantity={quantity}"))
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#order-status")).to_have_text("Pending")
    order_id = int(re.search(r"/orders/(\d+)$", page.url).group(1))
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    # The form posts to the shop, which answers 303 to the emulator's origin: the CSP's form-action allows it.
    expect(page).to_have_url(re.compile(re.escape(stack.env["STRIPE_API_BASE"]) + r"/checkout/cs_"))
    return item, order_id


def reload_until_contains(page: Page, selector: str, text: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while text not in page.locator(selector).inner_text() and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator(selector)).to_contain_text(text)


def test_pay_with_a_card_on_the_checkout_page_and_come_back_paid(stack, page: Page):
    item, order_id = order_and_pay(stack, page, "6.00", 2)
    expect(page.locator("h1")).to_have_text("Pay 12.00 USD")
    page.get_by_label("Card number").fill(CARD_OK)
    page.get_by_role("button", name="Pay 12.00 USD").click()

    expect(page).to_have_url(re.compile(r"/orders/checkout/success\?session_id=cs_"))
    expect(page.locator("#payment-status")).to_have_text("Payment received", timeout=15_000)
    page.locator("#order-link").click()
    expect(page.locator("#order-status")).to_have_text("Paid")
    # The webhook may come after the success page has fulfilled the order itself; the order page
    # does not refresh on its own, so look again until Stripe's word is on it.
    reload_until_contains(page, "#payment-timeline", "Payment page finished", seconds=45)
    expect(page.get_by_role("button", name=re.compile(r"^Pay "))).to_have_count(0)
    wait_until(lambda: reservation(stack, order_id)["state"] == "committed")
    assert stock_of(stack, item) == 8


def test_a_declined_card_leaves_the_order_pending_and_payable(stack, page: Page):
    item, order_id = order_and_pay(stack, page, "3.00", 1)
    checkout = page.url
    page.get_by_label("Card number").fill(CARD_DECLINED)
    page.get_by_role("button", name="Pay 3.00 USD").click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")

    page.get_by_role("link", name="Cancel and return").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}\?payment=cancelled$"))
    expect(page.locator("#payment-not-completed")).to_contain_text("Payment not completed")
    expect(page.locator("#order-status")).to_have_text("Pending")
    assert reservation(stack, order_id)["state"] == "held" and stock_of(stack, item) == 9

    page.get_by_role("button", name="Pay again $3.00").click()
    expect(page).to_have_url(checkout)  # the same link: it is still open


def test_the_page_waiting_for_stripe_says_it_updates_itself_only_where_it_does(stack, page: Page):
    """Only htmx asks again: without JavaScript the page offers "Check again" and must not also say
    that it updates by itself."""
    buyer = customer(stack)
    order_id = placed(order(buyer, new_item(stack, price="3.00"), 1))
    waiting = f"/orders/checkout/success?session_id={session_id(checkout_url(buyer, order_id))}"
    no_script = page.context.browser.new_context(java_script_enabled=False)
    static_page = no_script.new_page()
    for each in (page, static_page):
        log_in(stack, each, buyer.login_name)
        each.goto(stack.url(waiting))
    assert "the page updates by itself" in page.locator("#payment-result").inner_text()
    without = static_page.locator("#payment-result").inner_text()
    no_script.close()
    assert "Waiting for Stripe" in without and "Check again" in without and "by itself" not in without
