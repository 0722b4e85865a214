"""In Chromium through nginx: a shopper searches as they type, filters, and loads more items."""

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from stacktools.client import TIMEOUT, TimedSession, new_login
from stacktools.stack import ADMIN_LOGIN


@pytest.fixture
def shelf(stack):
    """27 items sharing a word no other test uses; the newest (26) is sold out. Returns the word."""
    token = requests.post(
        stack.url("/users/api/tokens"), json={"login": ADMIN_LOGIN, "password": stack.env["SHOP_ADMIN_PASSWORD"]},
        timeout=TIMEOUT,
    ).json()["token"]
    word = new_login("vase").replace("_", "")
    with TimedSession() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for n in range(27):
            body = {"name": f"Vase {word} {n:02d}", "price": "5.00", "quantity": 0 if n == 26 else 3}
            assert http.post(stack.url("/inventory/api/items"), json=body).status_code == 201
    return word


def test_search_as_you_type_filter_and_load_more(stack, page: Page, shelf):
    page.goto(stack.url("/inventory/"))
    page.get_by_label("Search items").press_sequentially(shelf[:8], delay=20)
    rows = page.locator("#catalog-items tr[id^=catalog-item-]")
    expect(rows).to_have_count(24)
    expect(rows.first.locator(".item-name")).to_have_text(f"Vase {shelf} 26")  # a search is newest first
    expect(rows.first.locator(".item-availability")).to_have_text("Out of stock")
    expect(page).to_have_url(re.compile(rf"q={shelf[:8]}"))  # the search is in the address bar

    page.get_by_role("button", name="More items").click()
    expect(rows).to_have_count(27)
    expect(rows.last.locator(".item-name")).to_have_text(f"Vase {shelf} 00")
    expect(page.get_by_role("button", name="More items")).to_have_count(0)

    page.get_by_label("Available only").check()
    expect(rows).to_have_count(24)
    expect(rows.first.locator(".item-name")).to_have_text(f"Vase {shelf} 25")  # 26 is sold out
    expect(page.get_by_text("Out of stock")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"available=1"))

    page.reload()  # the pushed URL brings back the same results as a full page
    expect(page.get_by_label("Available only")).to_be_checked()
    expect(rows.first.locator(".item-name")).to_have_text(f"Vase {shelf} 25")

    rows.first.locator(".item-name").click()
    expect(page.locator("h1")).to_have_text(f"Vase {shelf} 25")
    expect(page.get_by_role("button", name="Log in to order")).to_have_attribute(
        "href", re.compile(r"^/users/login\?next=/inventory/items/\d+$")
    )


def test_an_item_page_keeps_the_lines_of_its_description(stack, page: Page):
    token = requests.post(
        stack.url("/users/api/tokens"), json={"login": ADMIN_LOGIN, "password": stack.env["SHOP_ADMIN_PASSWORD"]},
        timeout=TIMEOUT,
    ).json()["token"]
    description = "Size: 30 cm across.\nMaterial: oiled oak.\n\nCare: wipe with a damp cloth."
    body = {"name": f"Oak Tray {new_login('tray')}", "price": "25.00", "quantity": 2, "description": description}
    created = requests.post(
        stack.url("/inventory/api/items"), json=body, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    assert created.status_code == 201
    page.goto(stack.url(f"/inventory/items/{created.json()['id']}"))
    assert page.locator(".item-description").inner_text() == description


def test_a_search_while_the_catalog_does_not_answer_says_so_in_the_page(stack, pt_page: Page, word):
    """nginx answers for an app that is down with its own page, which has no message of the shop's: the
    page said "Something went wrong" as for a bug. It says that part of the shop is not answering, in the
    page's language."""
    pt_page.goto(stack.url("/inventory/"))
    stack.stop("inventory")
    try:
        pt_page.get_by_label("Buscar itens").press_sequentially(word, delay=20)
        expect(pt_page.locator("#request-error")).to_have_text(
            "Uma parte da loja não está respondendo. Tente de novo em instantes."
        )
    finally:
        stack.start("inventory")


def test_log_in_and_the_language_switch_come_back_to_the_search_the_address_bar_shows(stack, page: Page, shelf):
    page.goto(stack.url("/inventory/"))
    page.get_by_label("Search items").press_sequentially(shelf[:8], delay=20)
    expect(page).to_have_url(re.compile(rf"/inventory/\?q={shelf[:8]}$"))
    back = f"?next=/inventory/%3Fq%3D{shelf[:8]}"  # as the layout writes it for a page loaded there
    expect(page.locator("#nav-login")).to_have_attribute("href", f"/users/login{back}")
    expect(page.locator("#nav-register")).to_have_attribute("href", f"/users/register{back}")

    page.locator("#lang-pt_BR").click()  # the page comes back in Portuguese, still showing the search
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.locator("#catalog-search")).to_have_value(shelf[:8])
    expect(page.locator("#catalog-items tr[id^=catalog-item-]")).to_have_count(24)
