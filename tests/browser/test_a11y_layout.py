"""In Chromium through nginx: the three apps look like one shop at desktop and phone widths (the same
header, nav and footer; nothing wider than the screen), and loading shows while htmx works.

With SHOP_SCREENSHOTS=1 the test also writes the README's screenshots to docs/screenshots/
(desktop 1280x800 in English, phone 390x844 in Brazilian Portuguese, a shop of its own with the
demo catalog in reais); normal runs leave those files alone.
"""

import os

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from shared_ui.config import PROJECT_ROOT
from stacktools.stack import Stack, serve
from tests.browser.helpers import add_item, assert_accessible, log_in, log_in_as_admin, place_order, register_user

SCREENS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SHOTS = PROJECT_ROOT / "docs" / "screenshots"
WRITE_SHOTS = os.environ.get("SHOP_SCREENSHOTS") == "1"


def check_the_frame(page: Page, where: str) -> dict:
    """The shared layout is there, nothing is wider than the screen, tables are still tables to screen
    readers (a phone's tables scroll in their own box) and axe is content; returns how the frame looks."""
    expect(page.locator("header.site-header nav .brand")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(page.locator("table").count())
    assert_accessible(page, f"{where} at {page.viewport_size['width']}px")
    expect(page.locator("footer.site-footer")).to_be_attached()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{where} is {overflow}px wider than the screen"
    for link in page.locator("header.site-header nav a, header.site-header nav button").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 1, (
            f"{where}: {link.inner_text()!r} sticks out of the screen"
        )
    return page.evaluate(
        """() => {
          const style = (selector) => { const s = getComputedStyle(document.querySelector(selector));
            return [s.fontFamily, s.color, s.backgroundColor].join("|"); };
          return {body: style("body"), brand: style("header .brand"), footer: style("footer.site-footer")};
        }"""
    )


def shoot(page: Page, name: str, screen: str) -> None:
    if WRITE_SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{screen}.png"), animations="disabled", caret="hide")


@pytest.fixture(scope="module")
def demo_shop():
    """A shop of its own with the demo catalog, selling in reais: what the screenshots show."""
    yield from serve(Stack(SHOP_DEMO_DATA="1", SHOP_CURRENCY="brl"))


@pytest.mark.parametrize(("screen", "locale"), [("desktop", "en-US"), ("phone", "pt-BR")])
def test_every_app_wears_the_same_frame_at_desktop_and_phone_widths(demo_shop, browser: Browser, screen, locale):
    context = browser.new_context(viewport=SCREENS[screen], locale=locale)
    page = context.new_page()
    shop = demo_shop
    login = register_user(shop)
    item = requests.get(shop.url("/inventory/api/items?q=socks"), timeout=10).json()["items"][0]
    order_id = place_order(shop, login, item["id"], 1)

    frames = {}
    page.goto(shop.url("/inventory/"))
    frames["catalog"] = check_the_frame(page, "the catalog")
    shoot(page, "catalog", screen)
    page.goto(shop.url(f"/inventory/items/{item['id']}"))
    frames["item, anonymous"] = check_the_frame(page, "an item page")

    log_in(shop, page, login)
    page.goto(shop.url(f"/inventory/items/{item['id']}"))
    frames["item"] = check_the_frame(page, "an item page with the order form")
    shoot(page, "item", screen)
    page.goto(shop.url(f"/orders/{order_id}"))
    frames["order"] = check_the_frame(page, "an order page")
    shoot(page, "order", screen)
    page.goto(shop.url("/orders/"))
    frames["my orders"] = check_the_frame(page, "my orders")
    page.goto(shop.url("/users/account"))
    frames["account"] = check_the_frame(page, "the account page")
    page.locator("#logout").click()

    log_in_as_admin(shop, page)
    page.goto(shop.url("/inventory/admin/"))
    frames["inventory admin"] = check_the_frame(page, "the inventory admin")
    shoot(page, "inventory-admin", screen)
    page.goto(shop.url("/orders/admin/"))
    expect(page.locator("#low-stock")).to_be_visible()
    frames["order monitor"] = check_the_frame(page, "the order monitor")
    page.goto(shop.url("/users/admin/"))
    frames["users admin"] = check_the_frame(page, "the users admin")
    context.close()

    looks = {repr(frame) for frame in frames.values()}
    assert len(looks) == 1, f"the apps' frames differ: {frames}"


def test_a_fresh_shopper_sees_empty_states_that_say_what_to_do(stack, page: Page):
    log_in(stack, page, register_user(stack))
    page.goto(stack.url("/orders/"))
    empty = page.locator("#order-list .empty-state")
    expect(empty).to_contain_text("no orders yet")
    expect(empty.get_by_role("link", name="Browse the catalog")).to_be_visible()
    page.goto(stack.url("/inventory/?q=nothing-sells-like-this"))
    expect(page.locator("#catalog-results .empty-state")).to_have_text("No items match “nothing-sells-like-this”.")


def test_htmx_requests_show_a_loading_indicator(stack, page: Page):
    add_item(stack, "Slow Search Spoon")
    page.goto(stack.url("/inventory/"))
    # Hold the search answer back so the indicator can be seen while the request runs.
    held = []
    page.route("**/inventory/?q=*", lambda route: held.append(route))
    page.get_by_label("Search items").fill("spoon")
    expect(page.locator("#catalog-indicator")).to_have_css("opacity", "1")
    expect(page.locator("#page-indicator")).to_have_class("htmx-indicator page-indicator")  # not the search's bar
    held[0].continue_()
    expect(page.locator("#catalog-indicator")).to_have_css("opacity", "0")
    expect(page.locator("#catalog-items tr")).to_have_count(1)
