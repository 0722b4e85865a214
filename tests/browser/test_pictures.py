"""In Chromium through nginx: an admin gives an item a picture from the inline table, shoppers see it
in the catalog and on the item page, and files that are not safe pictures are refused with the reason."""

import re
import secrets

import pytest
import requests
from playwright.sync_api import Page, expect

from tests import picture_samples as samples
from tests.browser.helpers import add_item, assert_accessible, log_in_as_admin


@pytest.fixture
def word() -> str:
    return "pic" + secrets.token_hex(3)


def open_picture_row(page: Page, item_id: int):
    row = page.locator(f"#item-{item_id}")
    row.get_by_role("button", name="Picture").click()
    expect(row).to_have_class(re.compile("picture-row"))
    return row


def upload(row, name: str, mime: str, data: bytes) -> None:
    row.get_by_label("Picture file (PNG, JPEG or WebP, up to 5 MB)").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )
    row.get_by_role("button", name="Upload").click()


def loaded(page: Page, selector: str) -> bool:
    """The image really arrived and decoded (a broken one has naturalWidth 0)."""
    return page.locator(selector).first.evaluate("img => img.complete && img.naturalWidth > 0")


def test_admin_uploads_a_jpeg_from_the_table_and_shoppers_see_it(stack, page: Page, browser, word):
    item = add_item(stack, f"Teapot {word}", description="Cast iron.")
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={word}"))
    row = open_picture_row(page, item["id"])
    assert_accessible(page, "inventory admin, a row in picture mode")
    upload(row, "teapot.jpg", "image/jpeg", samples.picture("JPEG", (1200, 900)))

    expect(row).not_to_have_class(re.compile("picture-row"))
    expect(row.locator(".item-picture img")).to_be_visible()
    expect(page.locator("#announcer")).to_have_text(f"The picture of Teapot {word} is saved.")

    shopper = browser.new_context().new_page()  # a visitor: the page nginx may share
    shopper.goto(stack.url(f"/inventory/?q={word}"))
    thumb = shopper.locator(f"#catalog-item-{item['id']} .item-picture img")
    expect(thumb).to_have_attribute("alt", "")  # the name is the next cell: not read out twice
    expect(thumb).to_have_attribute("width", "80")
    expect(thumb).to_have_attribute("height", "60")
    thumb.scroll_into_view_if_needed()
    shopper.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    shopper.goto(stack.url(f"/inventory/items/{item['id']}"))
    large = shopper.locator(".item-large-picture img")
    expect(large).to_be_visible()
    assert loaded(shopper, ".item-large-picture img")
    src = large.evaluate("img => img.currentSrc")
    assert re.search(r"/inventory/pictures/[0-9a-f]{64}-\d+\.webp$", src), src  # Chromium takes the WebP
    assert_accessible(shopper, "item page with its picture")
    shopper.context.close()


def test_a_bomb_an_html_file_named_png_and_an_svg_are_refused_and_nothing_changes(stack, page: Page, word):
    item = add_item(stack, f"Vase {word}")
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={word}"))
    row = open_picture_row(page, item["id"])
    upload(row, "vase.png", "image/png", samples.picture("PNG", (600, 600)))
    expect(row.locator(".item-picture img")).to_be_visible()
    before = requests.get(stack.url(f"/inventory/api/items/{item['id']}"), timeout=10).json()["picture"]

    for name, mime, data, reason in (
        ("bomb.png", "image/png", samples.png_bomb(), "more than 40 megapixels"),
        ("page.png", "image/png", samples.HTML_AS_PNG, "web page or an SVG drawing"),
        ("drawing.svg", "image/svg+xml", samples.SVG, "web page or an SVG drawing"),
    ):
        row = open_picture_row(page, item["id"])
        upload(row, name, mime, data)
        error = row.locator(f"#item-{item['id']}-picture-file-error")
        expect(error).to_contain_text(reason)
        field = row.get_by_label("Picture file (PNG, JPEG or WebP, up to 5 MB)")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_be_focused()
        assert_accessible(page, f"inventory admin, {name} refused")
        row.get_by_role("button", name="Cancel").click()
        expect(row).not_to_have_class(re.compile("editing"))
        after = requests.get(stack.url(f"/inventory/api/items/{item['id']}"), timeout=10).json()["picture"]
        assert after == before, f"{name} changed the picture"


def test_a_file_over_nginxs_limit_says_why_next_to_its_field(stack, page: Page, word):
    """The 413 was said at the top of the page, out of sight of the row being edited, while the file
    field still showed what it had said of the file before ("a web page or an SVG drawing")."""
    item = add_item(stack, f"Rug {word}")
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={word}"))
    row = open_picture_row(page, item["id"])
    upload(row, "page.png", "image/png", samples.HTML_AS_PNG)
    error = row.locator(f"#item-{item['id']}-picture-file-error")
    expect(error).to_contain_text("web page or an SVG drawing")
    upload(row, "rug.jpg", "image/jpeg", b"\xff\xd8" + b"\0" * (7 * 1024 * 1024))  # nginx refuses it: 413
    expect(error).to_have_text("What you sent is too large: a picture may be up to 5 MB. Choose a smaller file.")
    field = row.get_by_label("Picture file (PNG, JPEG or WebP, up to 5 MB)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", f"item-{item['id']}-picture-file-error")
    expect(field).to_be_focused()
    expect(page.locator("#request-error")).to_be_hidden()
    assert_accessible(page, "inventory admin, a file over nginx's limit")
    assert requests.get(stack.url(f"/inventory/api/items/{item['id']}"), timeout=10).json()["picture"] is None

    page.goto(stack.url(f"/inventory/items/{item['id']}"))  # the item page's form: the same, first time
    page.get_by_text("Add a picture").click()
    section = page.locator("#item-picture")
    section.get_by_label("Picture file (PNG, JPEG or WebP, up to 5 MB)").set_input_files(
        files=[{"name": "rug.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8" + b"\0" * (7 * 1024 * 1024)}]
    )
    section.get_by_role("button", name="Upload").click()
    expect(section.locator("#item-picture-file-error")).to_have_text(
        "What you sent is too large: a picture may be up to 5 MB. Choose a smaller file."
    )
    expect(section.get_by_label("Picture file (PNG, JPEG or WebP, up to 5 MB)")).to_be_focused()


def test_a_category_link_filters_the_catalog_with_the_search_and_the_url_reloads_it(stack, page: Page, word):
    for name, category in ((f"Mug {word}", "Kitchen"), (f"Pan {word}", "Kitchen"), (f"Sock {word}", "Outdoors")):
        add_item(stack, name, category=category)
    page.goto(stack.url("/inventory/"))
    page.get_by_label("Search items").fill(word)
    expect(page.locator("#catalog-items tr")).to_have_count(3)
    page.locator("#category-nav").get_by_role("link", name="Kitchen", exact=True).click()
    expect(page).to_have_url(re.compile(rf"q={word}.*category=Kitchen"))
    expect(page.locator("#catalog-items .item-name")).to_have_count(2)
    expect(page.locator("#category-nav [aria-current=page]")).to_have_text("Kitchen")
    page.get_by_label("Search items").fill(f"pan {word}")  # the search keeps the category
    expect(page.locator("#catalog-items .item-name")).to_have_text([f"Pan {word}"])
    expect(page).to_have_url(re.compile("category=Kitchen"))
    page.reload()
    expect(page.locator("#catalog-items .item-name")).to_have_text([f"Pan {word}"])
    assert_accessible(page, "catalog filtered by a category and searched")


def test_admin_adds_and_removes_a_picture_on_the_item_page(stack, page: Page, word):
    item = add_item(stack, f"Kettle {word}")
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/items/{item['id']}"))
    page.get_by_text("Add a picture").click()
    section = page.locator("#item-picture")
    section.get_by_label("Picture file (PNG, JPEG or WebP, up to 5 MB)").set_input_files(
        files=[{"name": "kettle.webp", "mimeType": "image/webp", "buffer": samples.picture("WEBP", (800, 800))}]
    )
    section.get_by_label("Alternative text (optional)").fill("A copper kettle")
    section.get_by_role("button", name="Upload").click()
    large = page.locator(".item-large-picture img")
    expect(large).to_have_attribute("alt", "A copper kettle")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=large.element_handle())
    assert_accessible(page, "item page with its picture, as an admin")

    page.get_by_text("Change the picture").click()
    answers, questions = iter([False, True]), []
    page.on(
        "dialog",
        lambda dialog: (questions.append(dialog.message), dialog.accept() if next(answers) else dialog.dismiss()),
    )
    page.locator("#item-picture").get_by_role("button", name="Remove picture").click()  # asked, and answered no
    assert questions == [f"Remove the picture of “Kettle {word}”? This cannot be undone."]
    expect(large).to_be_visible()
    page.locator("#item-picture").get_by_role("button", name="Remove picture").click()  # and yes
    expect(page.locator(".item-large-picture")).to_have_count(0)
    assert len(questions) == 2
    expect(page.locator("#announcer")).to_have_text(f"The picture of Kettle {word} is removed.")
    assert requests.get(stack.url(f"/inventory/api/items/{item['id']}"), timeout=10).json()["picture"] is None
