"""In Chromium through nginx at a phone's width (390 px, Brazilian Portuguese): what a customer needs
of each row to buy is on the screen, not in a box scrolled sideways."""

import requests
from playwright.sync_api import Browser, Locator, expect

from tests.browser.helpers import PT_BR, add_item, api_token, log_in, log_in_as_admin, place_order, register_user
from tests.picture_samples import picture

# A phone as Chromium emulates one (a touch screen, the page laid out for the viewport's width).
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, **PT_BR}


def scroll_down_to(element: Locator) -> None:
    """Scroll the page (down only: never a box sideways) until the element's top is in view."""
    element.evaluate("(el) => window.scrollTo(0, window.scrollY + el.getBoundingClientRect().top - 100)")


def test_a_phone_shows_a_catalog_rows_stock_and_a_cart_lines_total_and_remove(stack, browser: Browser, word):
    """The catalog and the cart were tables scrolled sideways in their box: a row's stock read "Em esto",
    and a cart line's total and Remove button stood off the screen, found only by swiping the table."""
    about = "Hand-glazed single-cup coffee dripper, size 02 filters."
    ids = [
        add_item(stack, f"Ceramic Pour-Over Dripper {n} {word}", price="24.50", quantity=30, description=about)["id"]
        for n in range(2)
    ]
    for item_id in ids:  # a thumbnail beside each, as the demo catalog has
        response = requests.put(
            stack.url(f"/inventory/api/items/{item_id}/picture"),
            files={"file": ("dripper.jpg", picture(), "image/jpeg")},
            headers={"Authorization": f"Bearer {api_token(stack)}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(stack.url(f"/inventory/?q={word}"))
    row = page.locator(f"#catalog-item-{ids[0]}")
    for cell, text in ((".item-price", "US$ 24,50"), (".item-availability", "Em estoque")):
        scroll_down_to(row.locator(cell))
        expect(row.locator(cell)).to_have_text(text)
        expect(row.locator(cell)).to_be_in_viewport(ratio=1)

    for item_id in ids:
        page.locator(f"#catalog-item-{item_id}").get_by_role("button", name="Adicionar ao carrinho").click()
        expect(page.locator(f"#catalog-item-{item_id} .cart-feedback")).to_contain_text("No seu carrinho: 1.")
    page.goto(stack.url("/orders/cart/"))
    line = page.locator(f"#cart-line-{ids[0]}")
    remove = line.get_by_role("button", name=f"Remover Ceramic Pour-Over Dripper 0 {word}")
    line_total = line.locator("td").nth(3)
    expect(line_total).to_have_text("US$ 24,50")
    for element in (line_total, remove):
        scroll_down_to(element)
        expect(element).to_be_in_viewport(ratio=1)
    remove.click()
    expect(page.locator(f"#cart-line-{ids[0]}")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()


def test_a_phone_shows_the_status_of_each_of_my_orders(stack, browser: Browser):
    """My orders was a table scrolled sideways: an order's status, what a customer comes to see, read
    "Pendent" at the screen's edge and its date was off the screen."""
    login = register_user(stack)
    item_id = add_item(stack, "Merino Wool Socks, hiking", price="18.99", quantity=5)["id"]
    order_id = place_order(stack, login, item_id, 1)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(stack, page, login)
    page.goto(stack.url("/orders/"))
    row = page.locator("#order-list tbody tr", has=page.locator(f'a[href="/orders/{order_id}"]'))
    for element in (row.get_by_text("Pendente"), row.locator("time")):
        expect(element).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()


def test_a_phone_shows_every_field_and_save_of_an_inventory_edit_row(stack, browser: Browser, word):
    """The admin's edit row was a table row scrolled sideways in its box: its Save stood off the screen
    to the right and the name box was some 80 px wide. Each field now takes the screen's width, one
    under the other, with Save and Cancel in view; a new item's row too."""
    item_id = add_item(stack, f"Ceramic Pour-Over Dripper {word}", price="24.50", quantity=30)["id"]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={word}"))
    row = page.locator(f"#item-{item_id}")
    edit = row.get_by_role("button", name=f"Editar Ceramic Pour-Over Dripper {word}")
    scroll_down_to(edit)
    expect(edit).to_be_in_viewport(ratio=1)
    edit.click()
    name = row.get_by_label("Nome")
    expect(name).to_be_focused()
    for field in (name, row.get_by_label("Preço"), row.get_by_label("Quantidade")):
        scroll_down_to(field)
        expect(field).to_be_in_viewport(ratio=1)
        assert field.bounding_box()["width"] >= 300
    for button in (row.get_by_role("button", name="Salvar"), row.get_by_role("button", name="Cancelar")):
        scroll_down_to(button)
        expect(button).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.locator("#item-table .table-scroll").evaluate("(box) => box.scrollWidth - box.clientWidth") <= 0
    row.get_by_label("Preço").fill("26")
    row.get_by_role("button", name="Salvar").click()
    expect(row.locator(".item-price")).to_contain_text("US$ 26,00")

    page.get_by_role("button", name="Adicionar item").click()
    new_row = page.locator("tr.editing")
    for element in (new_row.get_by_label("Nome"), new_row.get_by_label("Quantidade"),
                    new_row.get_by_role("button", name="Salvar"), new_row.get_by_role("button", name="Cancelar")):
        scroll_down_to(element)
        expect(element).to_be_in_viewport(ratio=1)
    assert new_row.get_by_label("Nome").bounding_box()["width"] >= 300
    context.close()


def test_the_inventory_edit_row_stays_a_table_row_on_a_desktop(stack, browser: Browser, word):
    """The phone's cards are for phones: at 1280 px the edit row is still a row of the table, each field
    under its column's head."""
    item_id = add_item(stack, f"Ceramic Pour-Over Dripper {word}", price="24.50", quantity=30)["id"]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in_as_admin(stack, page)
    page.goto(stack.url(f"/inventory/admin/?q={word}"))
    row = page.locator(f"#item-{item_id}")
    row.get_by_role("button", name="Edit").click()
    expect(row).to_have_css("display", "table-row")
    price_head = page.locator("#sort-price").bounding_box()
    price = row.get_by_label("Price").bounding_box()
    assert price["x"] <= price_head["x"] < price["x"] + price["width"]
    context.close()


def test_a_phone_says_what_the_order_monitors_search_box_is_for(stack, browser: Browser):
    """The monitor's search box said what it searches only in its placeholder, cut off on a phone
    (Portuguese, the longer). It has a label in view now, and a placeholder that fits."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in_as_admin(stack, page)
    page.goto(stack.url("/orders/admin/"))
    search = page.get_by_role("searchbox", name="Buscar pedidos")
    label = page.locator("#monitor-filters label", has_text="Buscar pedidos")
    expect(label).to_be_in_viewport(ratio=1)
    expect(search).to_be_in_viewport(ratio=1)
    room, needed = search.evaluate(
        """(field) => {
          const style = getComputedStyle(field);
          const context = document.createElement("canvas").getContext("2d");
          context.font = style.font;
          const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
          return [room, context.measureText(field.placeholder).width];
        }"""
    )
    assert needed <= room, f"the placeholder needs {needed:.0f}px, the box has {room:.0f}px"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()
