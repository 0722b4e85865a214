"""In Chromium through nginx, with the keyboard alone (Tab, Enter, typing; never a click): register,
search, open an item, order it, change the quantity, cancel; pay on the Stripe emulator; log in as
the admin and edit a price inline. After each htmx swap the focus is somewhere sensible."""

import re

from playwright.sync_api import Locator, Page, expect

from stacktools.client import DEFAULT_PASSWORD, new_login
from stacktools.stack import ADMIN_LOGIN
from tests.browser.helpers import add_item, assert_accessible

TABS = 80  # more than any page of the shop has stops


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus, as a keyboard user would."""
    expect(target).to_be_visible()
    for _ in range(TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} never got the focus in {TABS} presses of Tab")


def retype(page: Page, text: str) -> None:
    """Replace what the focused field holds."""
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(text)


def register_with_the_keyboard(stack, page: Page) -> str:
    login = new_login("keys")
    page.goto(stack.url("/users/register"))
    expect(page.locator("#login")).to_be_focused()  # the first field is ready for typing
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    page.keyboard.type(f"{login}@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#nav-user")).to_have_text(login)
    return login


def find_and_open_with_the_keyboard(page: Page, item: dict, search: str) -> None:
    """From the catalog: the skip link, the search field, then the item's link."""
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Search items"))
    page.keyboard.type(search)
    link = page.locator(f"#catalog-item-{item['id']} a.item-name")
    expect(page.locator("#catalog-items tr")).to_have_count(1)
    expect(page.locator("#announcer")).to_have_text("1 item found.")
    tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(item["name"])


def order_with_the_keyboard(page: Page, quantity: int) -> int:
    tab_to(page, page.get_by_label("Quantity"))
    retype(page, str(quantity))
    expect(page.locator("#order-total")).to_contain_text(f"{quantity} ×")
    tab_to(page, page.get_by_role("button", name="Order"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_a_shopper_orders_changes_and_cancels_with_the_keyboard_alone(stack, page: Page, word):
    item = add_item(stack, f"Teacup {word}", price="3.50", quantity=10)
    register_with_the_keyboard(stack, page)
    find_and_open_with_the_keyboard(page, item, word)
    order_with_the_keyboard(page, 2)
    expect(page.locator("#order-status")).to_have_text("Pending")
    expect(page.locator("#order-total-price")).to_have_text("$7.00")

    tab_to(page, page.get_by_role("button", name="Change quantity"))
    page.keyboard.press("Enter")
    quantity = page.locator("#order-quantity").get_by_label("Quantity")
    expect(quantity).to_be_focused()  # the form opens where the keyboard is
    retype(page, "3")
    page.keyboard.press("Enter")
    notice = page.locator("#order-detail [role=status]")
    expect(notice).to_contain_text("Quantity changed to 3")
    expect(notice).to_be_focused()  # the result is read out, and Tab goes on from there
    expect(page.locator("#order-total-price")).to_have_text("$10.50")

    page.once("dialog", lambda dialog: dialog.accept())  # the confirmation answered with Enter
    tab_to(page, page.get_by_role("button", name="Cancel order"))
    page.keyboard.press("Enter")
    expect(page.locator("#order-status")).to_have_text("Cancelled")
    expect(page.locator("body")).not_to_be_focused()  # focus was not dropped on the floor
    assert page.evaluate("document.activeElement.closest('#main') !== null")


def test_a_shopper_pays_on_the_emulator_with_the_keyboard_alone(stack, page: Page, word):
    item = add_item(stack, f"Saucer {word}", price="4.00", quantity=5)
    register_with_the_keyboard(stack, page)
    find_and_open_with_the_keyboard(page, item, word)
    order_id = order_with_the_keyboard(page, 2)

    tab_to(page, page.locator("#pay-order"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/checkout/"))  # Stripe's (the emulator's) page
    expect(page.get_by_label("Card number")).to_be_focused()
    page.keyboard.type("4242 4242 4242 4242")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/orders/checkout/success"))
    expect(page.locator("#payment-status")).to_have_text("Payment received", timeout=15_000)
    assert_accessible(page, "the payment success page")
    tab_to(page, page.locator("#order-link"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}$"))
    expect(page.locator("#order-status")).to_have_text("Paid")


def test_a_shopper_fills_a_cart_and_checks_out_with_the_keyboard_alone(stack, page: Page, word):
    cup = add_item(stack, f"Cup {word}", price="6.00", quantity=5)
    jug = add_item(stack, f"Jug {word}", price="9.50", quantity=5)
    register_with_the_keyboard(stack, page)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Search items"))
    page.keyboard.type(word)
    expect(page.locator("#catalog-items tr")).to_have_count(2)
    for item in (cup, jug):
        tab_to(page, page.get_by_role("button", name=f"Add to cart {item['name']}"))
        page.keyboard.press("Enter")
        expect(page.locator(f"#catalog-item-{item['id']} .cart-feedback")).to_contain_text("In your cart: 1.")
        assert page.evaluate("document.activeElement.closest('#main') !== null")  # not dropped on the floor
    tab_to(page, page.locator("#nav-cart"), backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Your cart")

    tab_to(page, page.get_by_label(f"Quantity of Cup {word}"))
    retype(page, "2")
    page.keyboard.press("Enter")
    expect(page.locator("#cart-total")).to_have_text("$21.50")  # 2 x 6.00 + 9.50
    assert page.evaluate("document.activeElement.closest('#cart') !== null")  # still in the cart
    tab_to(page, page.get_by_role("button", name="Check out"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/checkout/"))  # Stripe's (the emulator's) page
    expect(page.get_by_label("Card number")).to_be_focused()
    page.keyboard.type("4242 4242 4242 4242")
    page.keyboard.press("Enter")
    expect(page.locator("#payment-status")).to_have_text("Payment received", timeout=15_000)
    tab_to(page, page.locator("#order-link"))
    page.keyboard.press("Enter")
    expect(page.locator("#order-status")).to_have_text("Paid")
    expect(page.locator("#order-total-price")).to_have_text("$21.50")


def test_the_admin_logs_in_and_edits_a_price_inline_with_the_keyboard_alone(stack, page: Page, word):
    item = add_item(stack, f"Candle {word}", price="12.50")
    page.goto(stack.url("/users/login"))
    expect(page.locator("#login")).to_be_focused()
    page.keyboard.type(ADMIN_LOGIN)
    page.keyboard.press("Tab")
    page.keyboard.type(stack.env["SHOP_ADMIN_PASSWORD"])
    page.keyboard.press("Enter")
    expect(page.locator("#nav-user")).to_have_text(ADMIN_LOGIN)

    page.goto(stack.url(f"/inventory/admin/?q={word}"))
    row = page.locator(f"#item-{item['id']}")
    tab_to(page, row.get_by_role("button", name="Edit"))
    page.keyboard.press("Enter")
    expect(row.get_by_label("Name")).to_be_focused()
    tab_to(page, row.get_by_label("Price"))
    retype(page, "abc")
    page.keyboard.press("Enter")
    price = row.get_by_label("Price")
    expect(price).to_be_focused()  # the invalid field, its error read with it
    expect(price).to_have_accessible_description(re.compile("at most two decimals"))
    retype(page, "14.75")
    page.keyboard.press("Enter")
    expect(row.locator(".item-price")).to_have_text("$14.75")
    expect(row.get_by_role("button", name="Edit")).to_be_focused()  # back on the row, ready for more
    expect(page.locator("#announcer")).to_have_text(f"Saved Candle {word}.")


def test_a_form_sent_back_with_errors_puts_the_keyboard_on_its_first_wrong_field(stack, page: Page, pt_page: Page):
    # The login field is where a fresh form starts; after a wrong password the focus (and a screen
    # reader) lands on the field whose error says what went wrong, not on the login that was right.
    page.goto(stack.url("/users/login"))
    expect(page.get_by_label("Login")).to_be_focused()
    page.keyboard.type(ADMIN_LOGIN)
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Password")).to_be_focused()
    expect(page.get_by_label("Password")).to_have_accessible_description("Wrong login or password.")

    # A registration whose login is fine but whose e-mail is not: the e-mail field, without JavaScript too.
    context = page.context.browser.new_context(java_script_enabled=False, locale="pt-BR")
    for each in (pt_page, context.new_page()):
        each.goto(stack.url("/users/register"))
        each.get_by_label("Login", exact=True).fill(new_login("focus"))
        each.get_by_label("Endereço de e-mail").fill("not an address")
        each.get_by_label("Senha", exact=True).fill(DEFAULT_PASSWORD)
        each.get_by_role("button", name="Criar conta").click()
        expect(each.get_by_label("Endereço de e-mail")).to_have_attribute("aria-invalid", "true")
        expect(each.get_by_label("Endereço de e-mail")).to_be_focused()
    context.close()


def test_what_reads_as_a_button_answers_the_space_bar_as_a_button_does(stack, page: Page, word):
    # Links that work without JavaScript but are named buttons (role="button"): a keyboard user presses
    # Space on a button, and the page must not scroll instead.
    item = add_item(stack, f"Trivet {word}", price="5.00", quantity=4)
    register_with_the_keyboard(stack, page)
    find_and_open_with_the_keyboard(page, item, word)
    order_with_the_keyboard(page, 2)
    tab_to(page, page.get_by_role("button", name="Change quantity"))
    page.keyboard.press("Space")
    expect(page.locator("#order-quantity").get_by_label("Quantity")).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Keep 2"))
    page.keyboard.press("Space")
    expect(page.locator("#order-quantity")).to_have_text("2")

    page.once("dialog", lambda dialog: dialog.accept())
    tab_to(page, page.get_by_role("button", name="Cancel order"))
    page.keyboard.press("Space")
    expect(page.locator("#order-status")).to_have_text("Cancelled")


def test_a_category_chosen_with_the_keyboard_keeps_the_focus_on_its_link(stack, page: Page, word):
    # The results (with the category links) are swapped; the focus stays on the link just followed,
    # now the current one, not on "All categories" (which sounds as if the filter were undone).
    for name, category in ((f"Mug {word}", "Kitchen"), (f"Pan {word}", "Kitchen"), (f"Sock {word}", "Outdoors")):
        add_item(stack, name, category=category)
    page.goto(stack.url(f"/inventory/?q={word}"))
    kitchen = page.locator("#category-nav").get_by_role("link", name="Kitchen", exact=True)
    tab_to(page, kitchen)
    page.keyboard.press("Enter")
    expect(page.locator("#catalog-items tr")).to_have_count(2)
    expect(kitchen).to_have_attribute("aria-current", "page")
    expect(kitchen).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#category-nav").get_by_role("link", name="Outdoors", exact=True)).to_be_focused()


def test_an_account_form_sent_back_with_an_error_opens_with_the_keyboard_on_that_field(stack, page: Page):
    # The account page is longer than a window: a form's answer opens at the form, with the focus
    # (and a screen reader) on the field that was wrong, not at the top of a section to read through.
    register_with_the_keyboard(stack, page)
    page.set_viewport_size({"width": 800, "height": 500})
    page.goto(stack.url("/users/account"))
    for form, field, button in (
        ("#password-settings", "Current password", "Change password"),
        ("#my-data", "Current password", "Delete my account"),
    ):
        page.locator(form).get_by_label(field).fill("not my password")
        if form == "#password-settings":
            page.locator(form).get_by_label("New password").fill("a brand new password")
        page.locator(form).get_by_role("button", name=button).click()
        wrong = page.locator(form).get_by_label(field)
        expect(wrong).to_have_accessible_description("This is not your current password.")
        expect(wrong).to_be_focused()
        expect(wrong).to_be_in_viewport()
    expect(page.locator("#nav-user")).to_be_visible()  # the account is still there


FOCUS_RING = """element => {
  const style = getComputedStyle(element);
  const [r, g, b] = style.outlineColor.match(/[\\d.]+/g).map(Number);
  const lum = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const ring = 0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b);
  return { style: style.outlineStyle, width: parseFloat(style.outlineWidth), contrast: 1.05 / (ring + 0.05) };
}"""


def test_the_keyboard_focus_is_plain_to_see_on_links_and_buttons(stack, page: Page, word):
    # Pico's own ring on links and on the secondary buttons most actions use is a pale tint (1.2 to
    # 1.8 : 1 on white); the shop draws a solid ring of at least 3 : 1 (WCAG 1.4.11) wherever Tab lands.
    item = add_item(stack, f"Coaster {word}")
    register_with_the_keyboard(stack, page)
    page.goto(stack.url(f"/inventory/?q={word}"))
    for target in (
        page.get_by_role("link", name="Catalog", exact=True),  # a link
        page.get_by_role("button", name="Log out"),  # a secondary outline button
        page.get_by_role("button", name=f"Add to cart {item['name']}"),  # a secondary button
        page.locator(f"#catalog-item-{item['id']} a.item-name"),
    ):
        tab_to(page, target)
        ring = target.evaluate(FOCUS_RING)
        assert ring["style"] == "solid" and ring["width"] >= 2 and ring["contrast"] >= 3, ring


def test_keeping_the_quantity_puts_the_keyboard_back_on_change_quantity(stack, page: Page, word):
    # "Keep" closes the form without a change: the focus goes back where the customer opened it,
    # not onto the first control of the order (its Pay button, one Enter away from Stripe).
    item = add_item(stack, f"Ladle {word}", price="4.00", quantity=5)
    register_with_the_keyboard(stack, page)
    find_and_open_with_the_keyboard(page, item, word)
    order_with_the_keyboard(page, 2)
    change = page.get_by_role("button", name="Change quantity")
    tab_to(page, change)
    page.keyboard.press("Enter")
    expect(page.locator("#order-quantity").get_by_label("Quantity")).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Keep 2"))
    page.keyboard.press("Enter")
    expect(page.locator("#order-quantity")).to_have_text("2")
    expect(change).to_be_focused()
