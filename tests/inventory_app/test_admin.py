"""The admin inventory table: inline edit, add and delete rows; sorting; the low-stock fragment."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inventory_app import stock
from inventory_app.extensions import db
from inventory_app.models import StockMovement
from tests.helpers import csrf_from
from tests.inventory_app.conftest import htmx
from tests.inventory_app.holds import SERVICE
from tests.inventory_app.rows import edit, opened, save, shown_in

ADMIN_PATHS = [
    ("GET", "/inventory/admin/"),
    ("GET", "/inventory/admin/items/new"),
    ("POST", "/inventory/admin/items"),
    ("GET", "/inventory/admin/items/1"),
    ("GET", "/inventory/admin/items/1/edit"),
    ("POST", "/inventory/admin/items/1"),
    ("DELETE", "/inventory/admin/items/1"),
    ("GET", "/inventory/admin/items/1/delete"),
    ("GET", "/inventory/fragments/low-stock"),
]


def hold(client, key, item_id, quantity):
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"key": key, "item_id": item_id, "quantity": quantity, "expires_at": expires}
    assert client.post("/inventory/internal/reservations", json=body, headers=SERVICE).status_code == 201


@pytest.mark.parametrize(("method", "path"), ADMIN_PATHS)
def test_admin_routes_send_anonymous_users_to_login_and_refuse_customers(client, customer, make_item, method, path):
    make_item()
    response = client.open(path, method=method)
    assert response.status_code in (302, 400)  # 400: a mutation without a CSRF token never gets that far
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/users/login?next=")
    assert htmx(customer, method, path, token_page="/inventory/").status_code == 403


def test_an_anonymous_htmx_request_is_redirected_by_htmx_not_swapped(client, make_item):
    response = client.get("/inventory/admin/items/1/edit", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/users/login?next=")


def test_the_table_shows_stock_on_hand_and_units_held_by_pending_orders(admin, client, make_item):
    item_id = make_item("Blue Mug", 1250, 10)
    hold(client, "order-1", item_id, 3)
    html = admin.get("/inventory/admin/").get_data(as_text=True)
    row = re.search(rf'<tr id="item-{item_id}".*?</tr>', html, re.S).group(0)
    assert "Blue Mug" in row and "$12.50" in row
    assert '<td class="item-quantity" data-label="On hand">7</td>' in row
    assert '<td class="item-held" data-label="Held">3</td>' in row


def test_clicking_a_row_opens_its_edit_form_in_place(admin, make_item):
    item_id = make_item("Blue Mug", 1250, 10)
    response = htmx(admin, "GET", f"/inventory/admin/items/{item_id}/edit")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.strip().startswith(f'<tr id="item-{item_id}" class="editing">')
    assert 'value="Blue Mug"' in html and 'value="12.50"' in html and 'value="10"' in html
    assert f'hx-post="/inventory/admin/items/{item_id}"' in html
    assert f'hx-get="/inventory/admin/items/{item_id}"' in html  # Cancel


def test_cancel_brings_back_the_display_row(admin, make_item):
    item_id = make_item("Blue Mug")
    html = htmx(admin, "GET", f"/inventory/admin/items/{item_id}").get_data(as_text=True)
    assert html.strip().startswith(f'<tr id="item-{item_id}" hx-get=') and "Blue Mug" in html


def test_saving_a_row_updates_the_item_and_answers_the_display_row(admin, client, make_item, stored):
    item_id = make_item("Blue Mug", 1250, 10)
    response = edit(admin, item_id, name="Blue Mug XL", price="14.00", description="Now bigger.")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'class="editing"' not in html
    assert "Blue Mug XL" in html and "$14.00" in html
    item = stored(item_id)
    assert (item.name, item.price_cents, item.description, item.quantity) == ("Blue Mug XL", 1400, "Now bigger.", 10)
    assert "$14.00" in client.get(f"/inventory/items/{item_id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter a name."),
        ({"name": "x" * 121}, "name", "Use at most 120 characters."),
        ({"description": "x" * 2001}, "description", "Use at most 2000 characters."),
        ({"price": "-1"}, "price", "Enter a price of 0 or more with at most two decimals"),
        ({"price": "1.999"}, "price", "Write the price without a thousands separator and with at most two decimals"),
        ({"price": "abc"}, "price", "Enter a price of 0 or more with at most two decimals"),
        ({"price": "1e3"}, "price", "Enter a price of 0 or more with at most two decimals"),
        ({"price": "1_000"}, "price", "Enter a price of 0 or more with at most two decimals"),
        ({"price": "١٢"}, "price", "Enter a price of 0 or more with at most two decimals"),
        ({"price": "1000000"}, "price", "Prices go up to 999,999.99."),  # Stripe's largest charge
        ({"price": ""}, "price", "Enter a price."),
        ({"quantity": "-3"}, "quantity", "Enter a whole number, 0 or more."),
        ({"quantity": "2.5"}, "quantity", "Enter a whole number, 0 or more."),
        ({"quantity": "9999999"}, "quantity", "At most 1,000,000 units."),
    ],
)
def test_an_invalid_edit_shows_its_error_in_the_row_and_changes_nothing(
    admin, make_item, stored, fields, field, message
):
    item_id = make_item("Blue Mug", 1250, 10)
    response = edit(admin, item_id, **{"name": "Renamed", **fields} if field != "name" else fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 200  # htmx swaps only 2xx: the row with its errors replaces the form
    assert html.strip().startswith(f'<tr id="item-{item_id}" class="editing">')
    error = re.search(rf'<small id="item-{item_id}-{field}-error" class="field-error">([^<]*)</small>', html)
    assert error and error.group(1).startswith(message)
    assert f'aria-describedby="item-{item_id}-{field}-error" aria-invalid="true"' in html
    item = stored(item_id)
    assert (item.name, item.price_cents, item.quantity) == ("Blue Mug", 1250, 10)


@pytest.mark.parametrize(("typed", "cents"), [("15,00", 1500), ("15.00", 1500), ("15,9", 1590), ("15,90", 1590)])
def test_a_price_with_a_decimal_comma_or_point_is_the_same_price_in_english(admin, make_item, stored, typed, cents):
    """A form shown in Portuguese ("15,00") may be saved after the language changed: never 1500.00."""
    item_id = make_item("Blue Mug", 1250, 10)
    assert edit(admin, item_id, price=typed).status_code == 200
    assert stored(item_id).price_cents == cents


@pytest.mark.parametrize("typed", ["1,500", "1.500", "1.500,00", "1,500.00", "1 500"])
def test_a_price_with_a_thousands_separator_is_refused_next_to_its_field(admin, make_item, stored, typed):
    item_id = make_item("Blue Mug", 1250, 10)
    html = edit(admin, item_id, name="Renamed", price=typed).get_data(as_text=True)
    error = re.search(rf'<small id="item-{item_id}-price-error" class="field-error">([^<]*)</small>', html)
    assert error and error.group(1) == (
        "Write the price without a thousands separator and with at most two decimals, like 1234.56."
    )
    assert f'name="price" value="{typed}"' in html or f'value="{typed}"' in html  # what was typed stays to fix
    item = stored(item_id)
    assert (item.name, item.price_cents) == ("Blue Mug", 1250)


def test_every_error_of_a_row_is_shown_at_once(admin, make_item):
    item_id = make_item()
    html = edit(admin, item_id, name="", price="-1", quantity="x").get_data(as_text=True)
    assert html.count('class="field-error"') == 3


def test_a_quantity_edit_goes_through_the_stock_rule_and_is_recorded(admin, app, make_item, stored):
    item_id = make_item("Blue Mug", 1250, 10)
    edit(admin, item_id, quantity="25")
    assert stored(item_id).quantity == 25
    with app.app_context():
        moves = db.session.execute(
            select(StockMovement.delta, StockMovement.reason, StockMovement.actor)
            .where(StockMovement.item_id == item_id)
            .order_by(StockMovement.id)
        ).all()
    assert [tuple(m) for m in moves] == [(10, "created", "test"), (15, "adjusted", "admin:1")]


def test_an_edit_that_leaves_quantity_alone_keeps_stock_that_orders_moved_meanwhile(admin, client, make_item, stored):
    item_id = make_item("Blue Mug", 1250, 10)
    row = htmx(admin, "GET", f"/inventory/admin/items/{item_id}/edit").get_data(as_text=True)
    hold(client, "order-1", item_id, 4)  # a customer orders while the admin types
    data = {"name": "Blue Mug", "description": "", "price": "13.00", "quantity": "10", "expected_quantity": "10"}
    assert 'value="10"' in row
    response = htmx(admin, "POST", f"/inventory/admin/items/{item_id}", data=data)
    assert "$13.00" in response.get_data(as_text=True)
    assert stored(item_id).quantity == 6


def test_a_quantity_edit_over_stock_that_moved_meanwhile_is_refused_in_the_row(admin, client, make_item, stored):
    item_id = make_item("Blue Mug", 1250, 10)
    hold(client, "order-1", item_id, 4)
    data = {"name": "Blue Mug XL", "description": "", "price": "13.00", "quantity": "20", "expected_quantity": "10"}
    html = htmx(admin, "POST", f"/inventory/admin/items/{item_id}", data=data).get_data(as_text=True)
    assert "The stock changed to 6 since you read it" in html and 'class="editing"' in html
    assert 'name="expected_quantity" value="6"' in html
    item = stored(item_id)
    assert (item.name, item.quantity) == ("Blue Mug", 6)  # nothing of the edit was saved
    again = htmx(admin, "POST", f"/inventory/admin/items/{item_id}", data=data | {"expected_quantity": "6"})
    assert again.status_code == 200 and stored(item_id).quantity == 20


def test_two_admins_editing_one_row_keep_each_others_changes(admin, make_item, stored):
    item_id = make_item("Blue Mug", 1250, 10)
    first = opened(admin, item_id)  # one admin opens the row and starts typing a new name
    assert edit(admin, item_id, price="13.00", category="Kitchen").status_code == 200  # another saves
    saved = save(admin, item_id, first, name="Blue Mug XL")
    assert saved.status_code == 200 and "$13.00" in saved.get_data(as_text=True)
    item = stored(item_id)
    assert (item.name, item.price_cents, item.category) == ("Blue Mug XL", 1300, "Kitchen")


def test_a_field_two_admins_changed_at_once_is_shown_next_to_it_and_saving_again_keeps_yours(admin, make_item, stored):
    item_id = make_item("Blue Mug", 1250, 10)
    first = opened(admin, item_id)
    assert edit(admin, item_id, price="14.00").status_code == 200
    clash = save(admin, item_id, first, name="Big Mug", price="15.00")
    html = clash.get_data(as_text=True)
    assert clash.status_code == 200 and 'class="editing"' in html
    error = re.search(rf'<small id="item-{item_id}-price-error" class="field-error">([^<]+)</small>', html)
    assert error and "$14.00" in error.group(1)
    assert f'aria-describedby="item-{item_id}-price-error"' in html and 'value="15.00"' in html  # what was typed
    assert f'id="item-{item_id}-name-error"' not in html
    item = stored(item_id)
    assert (item.name, item.price_cents) == ("Blue Mug", 1400)  # nothing of the edit was saved
    again = save(admin, item_id, shown_in(html))
    assert again.status_code == 200 and "field-error" not in again.get_data(as_text=True)
    item = stored(item_id)
    assert (item.name, item.price_cents) == ("Big Mug", 1500)


def test_add_item_opens_an_empty_row_and_saving_it_adds_the_item(admin, client):
    blank = htmx(admin, "GET", "/inventory/admin/items/new").get_data(as_text=True)
    assert 'class="editing"' in blank and 'hx-post="/inventory/admin/items"' in blank
    assert 'hx-get="/inventory/admin/items/new/cancel"' in blank
    data = {"name": "Green Teapot", "description": "Cast iron.", "price": "45", "quantity": "3"}
    response = htmx(admin, "POST", "/inventory/admin/items", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Green Teapot" in html and "$45.00" in html
    assert 'class="editing"' not in html
    assert "Green Teapot" in client.get("/inventory/?q=teapot").get_data(as_text=True)


@pytest.mark.parametrize(
    ("price", "warning"),
    [
        ("0", "Free: customers can only get it in a cart with other items, as a card payment is at least $0.50."),
        (
            "0,30",
            "Under the smallest card payment ($0.50): customers order at least 2 of it, or add it to a cart with "
            "other items.",
        ),
    ],
    ids=["free", "under-the-minimum"],
)
def test_a_price_under_the_minimum_charge_is_saved_with_a_warning_in_its_row(admin, make_item, stored, price, warning):
    """Allowed (a free sample, a sticker sold by the few), but never silently: the row says what customers
    can do with it, and so does what is read out on saving; a price one unit of pays for says nothing."""
    item_id = make_item("Blue Mug", 1250, 10)
    html = edit(admin, item_id, price=price).get_data(as_text=True)
    assert f'<small class="price-warning stock-low" id="item-{item_id}-price-warning">{warning}</small>' in html
    assert f"Saved Blue Mug. {warning}" in html[html.index('id="announcer"') :]
    assert stored(item_id).price_cents == (0 if price == "0" else 30)
    table = admin.get("/inventory/admin/").get_data(as_text=True)
    assert warning in table
    added = htmx(admin, "POST", "/inventory/admin/items", data={"name": "Sample", "price": price, "quantity": "3"})
    assert warning in added.get_data(as_text=True)
    back = edit(admin, item_id, price="0.50").get_data(as_text=True)
    assert "price-warning" not in back and "Saved Blue Mug.</p>" in back


def test_an_invalid_new_row_keeps_what_was_typed_and_adds_nothing(admin, client):
    data = {"name": "Green Teapot", "description": "", "price": "4.555", "quantity": "3"}
    html = htmx(admin, "POST", "/inventory/admin/items", data=data).get_data(as_text=True)
    assert 'value="Green Teapot"' in html and "at most two decimals" in html
    assert "Green Teapot" not in client.get("/inventory/").get_data(as_text=True)


def test_a_new_row_reads_a_decimal_comma_and_refuses_a_thousands_separator(admin, client, stored):
    data = {"name": "Green Teapot", "description": "", "price": "1,500", "quantity": "3"}
    html = htmx(admin, "POST", "/inventory/admin/items", data=data).get_data(as_text=True)
    assert "Write the price without a thousands separator" in html
    assert client.get("/inventory/api/items").get_json()["total"] == 0
    added = htmx(admin, "POST", "/inventory/admin/items", data=data | {"price": "15,00"})
    assert added.status_code == 200 and "$15.00" in added.get_data(as_text=True)
    assert client.get("/inventory/api/items").get_json()["items"][0]["price"] == "15.00"


def test_cancelling_a_new_row_removes_it(admin):
    response = htmx(admin, "GET", "/inventory/admin/items/new/cancel")
    assert response.status_code == 200 and response.get_data(as_text=True) == ""


def test_deleting_a_never_ordered_item_erases_it(admin, app, make_item, stored):
    item_id = make_item()
    response = htmx(admin, "DELETE", f"/inventory/admin/items/{item_id}")
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    assert stored(item_id) is None
    with app.app_context():
        assert db.session.scalar(select(StockMovement.id).where(StockMovement.item_id == item_id)) is None


def test_deleting_an_ordered_item_archives_it_and_keeps_it_for_order_history(admin, client, make_item, stored):
    item_id = make_item("Blue Mug")
    hold(client, "order-1", item_id, 1)
    client.post("/inventory/internal/reservations/order-1/commit", headers=SERVICE)
    html = htmx(admin, "DELETE", f"/inventory/admin/items/{item_id}").get_data(as_text=True)
    assert "is archived" in html and 'role="status"' in html
    assert stored(item_id).archived_at is not None
    assert "Blue Mug" not in admin.get("/inventory/admin/").get_data(as_text=True)
    internal = client.get(f"/inventory/internal/items/{item_id}", headers=SERVICE).get_json()
    assert internal["name"] == "Blue Mug" and internal["archived"] is True


def test_an_item_with_held_stock_cannot_be_deleted(admin, client, make_item, stored):
    item_id = make_item("Blue Mug")
    hold(client, "order-1", item_id, 2)
    html = htmx(admin, "DELETE", f"/inventory/admin/items/{item_id}").get_data(as_text=True)
    assert "Cannot delete: 2 units are held by pending orders." in html and 'role="alert"' in html
    assert f'<tr id="item-{item_id}"' in html
    item = stored(item_id)
    assert item is not None and item.archived_at is None


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Cannot delete: 1 unit is held by a pending order. Try again once it is paid or released."),
        ("pt-BR", "Não é possível excluir: 1 unidade está reservada por um pedido pendente."),
    ],
)
def test_one_held_unit_is_said_in_the_singular(admin, client, make_item, language, said):
    """"1 held by pending orders" (pt-BR: "1 reservados por pedidos pendentes", not Portuguese)."""
    item_id = make_item("Blue Mug")
    hold(client, "order-1", item_id, 1)
    answer = htmx(admin, "DELETE", f"/inventory/admin/items/{item_id}", headers={"Accept-Language": language})
    assert said in answer.get_data(as_text=True)


def test_delete_asks_for_confirmation(admin, make_item):
    item_id = make_item("Blue Mug")
    html = admin.get("/inventory/admin/").get_data(as_text=True)
    assert f'hx-delete="/inventory/admin/items/{item_id}"' in html and "hx-confirm=" in html


def test_without_javascript_edit_add_and_delete_are_plain_forms(admin, make_item, stored, client):
    item_id = make_item("Blue Mug")
    page = admin.get(f"/inventory/admin/items/{item_id}/edit").get_data(as_text=True)
    assert "<html" in page and f'action="/inventory/admin/items/{item_id}"' in page
    token = csrf_from(admin, "/inventory/admin/")
    data = {"name": "Blue Mug", "price": "2.00", "quantity": "10", "expected_quantity": "10", "csrf_token": token}
    saved = admin.post(f"/inventory/admin/items/{item_id}", data=data)
    assert saved.status_code == 303 and stored(item_id).price_cents == 200
    assert "Saved Blue Mug." in admin.get(saved.headers["Location"]).get_data(as_text=True)

    invalid = admin.post(f"/inventory/admin/items/{item_id}", data=data | {"price": "free"})
    assert invalid.status_code == 422 and "at most two decimals" in invalid.get_data(as_text=True)

    added = admin.post(
        "/inventory/admin/items", data={"name": "Kettle", "price": "30", "quantity": "1", "csrf_token": token}
    )
    assert added.status_code == 303

    confirm = admin.get(f"/inventory/admin/items/{item_id}/delete").get_data(as_text=True)
    assert "will be erased" in confirm
    deleted = admin.post(f"/inventory/admin/items/{item_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303 and stored(item_id) is None
    assert "“Blue Mug” is deleted." in admin.get("/inventory/admin/").get_data(as_text=True)


def test_mutations_without_a_csrf_token_are_refused(admin, make_item, stored):
    item_id = make_item("Blue Mug")
    edit_response = admin.post(
        f"/inventory/admin/items/{item_id}", data={"name": "Hacked", "price": "0", "quantity": "0"}
    )
    assert edit_response.status_code == 400
    delete_response = admin.delete(f"/inventory/admin/items/{item_id}", headers={"HX-Request": "true"})
    assert delete_response.status_code == 400
    assert stored(item_id).name == "Blue Mug"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("sort=name", ["Apple", "banana", "Cherry"]),
        ("sort=name&dir=desc", ["Cherry", "banana", "Apple"]),
        ("sort=price", ["Cherry", "Apple", "banana"]),
        ("sort=quantity&dir=desc", ["banana", "Apple", "Cherry"]),
        ("sort=held&dir=desc", ["Cherry", "Apple", "banana"]),
    ],
)
def test_the_table_sorts_by_column(admin, client, make_item, sort, expected):
    make_item("Apple", 500, 10)
    make_item("banana", 900, 30)
    cherry = make_item("Cherry", 100, 20)
    hold(client, "order-1", cherry, 15)
    html = htmx(admin, "GET", f"/inventory/admin/?{sort}").get_data(as_text=True)
    assert 'id="item-table"' in html and "<html" not in html
    assert re.findall(r'<span class="item-name">([^<]+)</span>', html) == expected


def test_the_table_searches_and_pages(admin, make_item, app):
    app.config["ADMIN_PAGE_SIZE"] = 2
    for name in ("Mug A", "Mug B", "Mug C", "Kettle"):
        make_item(name)
    first = admin.get("/inventory/admin/?q=mug").get_data(as_text=True)
    assert re.findall(r'<span class="item-name">([^<]+)</span>', first) == ["Mug A", "Mug B"]
    assert "page=2" in first
    second = admin.get("/inventory/admin/?q=mug&page=2").get_data(as_text=True)
    assert re.findall(r'<span class="item-name">([^<]+)</span>', second) == ["Mug C"]


def test_low_stock_fragment_lists_items_running_out_emptiest_first(admin, make_item):
    make_item("Plenty", quantity=50)
    make_item("Few", quantity=4)
    make_item("None left", quantity=0)
    response = admin.get("/inventory/fragments/low-stock", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="low-stock"')
    assert re.findall(r'">([^<]+)</a>:', html) == ["None left", "Few"]
    assert "out of stock" in html and "4 left" in html and "Plenty" not in html
    # It asks again when an admin's cancel on the order monitor put stock back (orders_app's HX-Trigger).
    assert 'hx-trigger="every 30s, shop:stock-changed from:body"' in html


def test_the_history_page_lists_every_stock_movement_with_its_reason_and_key(admin, client, make_item):
    item_id = make_item("Blue Mug", 1250, 10)
    hold(client, "order-5", item_id, 3)
    client.post("/inventory/internal/reservations/order-5/release", headers=SERVICE)
    edit(admin, item_id, quantity="12")
    html = admin.get(f"/inventory/admin/items/{item_id}/history").get_data(as_text=True)
    rows = re.findall(
        r"<tr>\s*<td>[^<]+</td>\s*<td>([^<]+)</td>\s*<td>(\d+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]*)</td>", html
    )
    assert rows == [
        ("+2", "12", "adjusted", ""),
        ("+3", "10", "released", "order-5"),
        ("-3", "7", "held", "order-5"),
        ("+10", "10", "created", ""),
    ]


def test_the_history_says_who_moved_stock_in_the_readers_language(app, admin, client, make_item):
    # The shop's own moves (an order's hold, the hold sweeper, the seeding command) are named in
    # words, never by their code ("service", "sweeper", "cli" were English on a Portuguese page).
    item_id = make_item("Blue Mug", 1250, 10)
    hold(client, "order-5", item_id, 3)
    with app.app_context():
        stock.record(item_id, 0, 7, stock.SEEDED, actor="cli")
        stock.record(item_id, 0, 7, stock.HOLD_EXPIRED, key="order-5", actor="sweeper")
        db.session.commit()
    html = admin.get(f"/inventory/admin/items/{item_id}/history", headers={"Accept-Language": "pt-BR"})
    by = re.findall(r"<td>([^<]*)</td>\s*</tr>", html.get_data(as_text=True))
    assert by[:3] == ["a loja (automático)", "a loja (configuração)", "um pedido"]
    assert not {"service", "sweeper", "cli"} & set(by)


def test_an_archived_item_is_listed_and_restored_as_it_was(admin, client, customer, make_item, stored):
    item_id = make_item("Blue Mug", price_cents=1250, quantity=4)
    hold(client, "order-1", item_id, 1)
    client.post("/inventory/internal/reservations/order-1/commit", headers=SERVICE)
    htmx(admin, "DELETE", f"/inventory/admin/items/{item_id}")
    assert stored(item_id).archived_at is not None
    assert "Blue Mug" not in client.get("/inventory/").get_data(as_text=True)

    listed = admin.get("/inventory/admin/archived").get_data(as_text=True)
    row = re.search(rf'<tr id="archived-item-{item_id}">.*?</tr>', listed, re.S).group(0)
    assert "Blue Mug" in row and "$12.50" in row and ">3<" in row and f"/inventory/admin/items/{item_id}/restore" in row
    assert customer.get("/inventory/admin/archived").status_code == 403
    refused = htmx(customer, "POST", f"/inventory/admin/items/{item_id}/restore", token_page="/inventory/")
    assert refused.status_code == 403
    assert stored(item_id).archived_at is not None

    restored = htmx(admin, "POST", f"/inventory/admin/items/{item_id}/restore").get_data(as_text=True)
    assert restored.lstrip().startswith(f'<tr id="archived-item-{item_id}" class="notice">')
    assert "“Blue Mug” is back in the catalog." in restored
    item = stored(item_id)
    assert (item.archived_at, item.name, item.price_cents, item.quantity) == (None, "Blue Mug", 1250, 3)
    assert "Blue Mug" in client.get("/inventory/").get_data(as_text=True)
    assert "Blue Mug" in admin.get("/inventory/admin/").get_data(as_text=True)
    assert "No archived items." in admin.get("/inventory/admin/archived").get_data(as_text=True)

    again = htmx(admin, "POST", f"/inventory/admin/items/{item_id}/restore").get_data(as_text=True)
    assert "is not archived: it is in the catalog already" in again
    token = csrf_from(admin, "/inventory/admin/archived")
    plain = admin.post(f"/inventory/admin/items/{item_id}/restore", data={"csrf_token": token})
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/inventory/admin/archived")
    assert htmx(admin, "POST", "/inventory/admin/items/999999/restore").status_code == 404


def test_a_new_rows_fields_in_the_item_column_say_which_is_which_in_both_languages(admin):
    """The Item column of a new row held two empty boxes above "Category": which was the name and which
    the description was said to screen readers only (aria-label)."""
    for language, name, description in (("en", "Name", "Description"), ("pt_BR", "Nome", "Descrição")):
        with admin.session_transaction() as session:
            session["lang"] = language
        blank = htmx(admin, "GET", "/inventory/admin/items/new").get_data(as_text=True)
        fields = {
            re.search(r'name="(\w+)"', tag).group(1): tag
            for tag in re.findall(r"<(?:input|textarea) [^>]*>", blank)
            if 'name="csrf_token"' not in tag
        }
        assert f'placeholder="{name}"' in fields["name"], fields["name"]
        assert f'placeholder="{description}"' in fields["description"], fields["description"]


def test_the_low_stock_box_says_when_more_items_run_low_than_it_lists(admin, make_item):
    """It listed the 20 emptiest and stopped there: with 25 items out of stock, the order monitor's box
    read as if those 20 were all."""
    for number in range(20):
        make_item(f"Empty {number:02d}", quantity=0)
    html = admin.get("/inventory/fragments/low-stock", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.count('<li id="low-stock-') == 20 and "low-stock-more" not in html  # every one is listed

    make_item("Almost gone", quantity=2)
    html = admin.get("/inventory/fragments/low-stock", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.count('<li id="low-stock-') == 20 and "Almost gone" not in html
    more = re.search(r'<p id="low-stock-more"><strong>([^<]+)</strong>', html)
    assert more and more.group(1) == "These are the 20 emptiest: more items have 5 units or fewer on hand."


def test_the_low_stock_box_says_what_pending_orders_hold_of_an_item_out_of_stock(admin, client, make_item):
    """"Socks: out of stock" while 3 of them sat in orders not paid yet, which go back on sale if those
    orders lapse: the admin could not tell an item sold out from one held, and restocked in vain."""
    socks = make_item("Socks", quantity=3)
    make_item("Mugs", quantity=4)
    hold(client, "order-1", socks, 2)
    hold(client, "order-2", socks, 1)
    html = admin.get("/inventory/fragments/low-stock", headers={"HX-Request": "true"}).get_data(as_text=True)
    entries = {
        name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", rest)).strip()
        for name, rest in re.findall(r'">([^<]+)</a>:(.*?)</li>', html, re.S)
    }
    assert entries == {"Socks": "out of stock (3 held by pending orders)", "Mugs": "4 left"}
