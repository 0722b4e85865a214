"""The catalog shoppers see: availability, search as you type, "available only", pages, item pages."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inventory_app import search
from inventory_app.extensions import db
from inventory_app.models import Item
from tests.inventory_app.holds import SERVICE

HX = {"HX-Request": "true"}


def names_in(html: str) -> list[str]:
    return re.findall(r'class="item-name">([^<]+)<', html)


def next_link(html: str) -> str | None:
    match = re.search(r'<tr id="load-more">\s*<td colspan="\d">\s*<a href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_catalog_shows_name_description_price_and_availability(client, make_item):
    make_item("Plenty Mug", 1250, 40, "Holds a lot of tea.")
    make_item("Rare Mug", 10, 2)
    make_item("Gone Mug", 999, 0)
    html = client.get("/inventory/").get_data(as_text=True)
    assert "Holds a lot of tea." in html
    row = html[html.index("Plenty Mug") :]
    row = row[: row.index("</tr>")]
    assert "$12.50" in row and "In stock" in row and "Add to cart" in row
    gone = html[html.index("Gone Mug") :]
    assert "Add to cart" not in gone[: gone.index("</tr>")]  # nothing to put in a cart
    assert re.search(r"Rare Mug.*?\$0\.10.*?Only 2 left", html, re.S)
    assert re.search(r"Gone Mug.*?\$9\.99.*?Out of stock", html, re.S)


def test_a_visitors_catalog_sets_no_cookie_and_says_what_it_varies_on(client, make_item):
    make_item("Blue Mug")
    client.set_cookie("seen_banner", "1")  # a cookie, but no session: nothing to write back
    response = client.get("/inventory/")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    varies = {name.strip() for name in response.headers["Vary"].split(",")}
    assert {"Cookie", "HX-Request", "Accept-Language"} <= varies


def test_search_as_you_type_answers_just_the_results_fragment(client, make_item):
    make_item("Blue Mug")
    make_item("Red Kettle", description="Whistles when the water boils.")
    response = client.get("/inventory/?q=whist", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="catalog-results"' in html and "<html" not in html
    assert names_in(html) == ["Red Kettle"]
    assert "HX-Request" in response.headers["Vary"]


def test_search_without_javascript_is_a_plain_page(client, make_item):
    make_item("Blue Mug")
    make_item("Blue Kettle")
    make_item("Red Mug")
    html = client.get("/inventory/?q=blue+mu").get_data(as_text=True)
    assert "<html" in html and 'value="blue mu"' in html
    assert names_in(html) == ["Blue Mug"]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ('"', ["Blue Mug", "Red Teapot"]),  # no words: everything
        ("mug*", ["Blue Mug"]),
        ("-mug", ["Blue Mug"]),  # not NOT
        ("(mug", ["Blue Mug"]),
        ("mug OR kettle", []),  # not OR: "or" and "kettle" are words no item has
        ("NEAR(", []),
        ("^x", []),
    ],
)
def test_search_text_is_never_parsed_as_a_query_language(client, make_item, q, found):
    make_item("Blue Mug")
    make_item("Red Teapot")
    response = client.get(f"/inventory/?q={q}", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="catalog-results">') and "<html" not in html
    assert names_in(html) == found
    assert ("No items match" in html) == (not found)


def test_a_search_that_matches_nothing_says_so(client, make_item):
    make_item("Blue Mug")
    html = client.get("/inventory/?q=teapot", headers=HX).get_data(as_text=True)
    assert "No items match “teapot”." in html


def test_available_only_hides_sold_out_items(client, make_item):
    make_item("Blue Mug", quantity=3)
    make_item("Gone Mug", quantity=0)
    assert names_in(client.get("/inventory/").get_data(as_text=True)) == ["Blue Mug", "Gone Mug"]
    assert names_in(client.get("/inventory/?available=1").get_data(as_text=True)) == ["Blue Mug"]
    assert names_in(client.get("/inventory/?q=mug&available=1", headers=HX).get_data(as_text=True)) == ["Blue Mug"]


def test_paging_with_more_items_walks_the_whole_catalog_once_in_name_order(client, make_item, app):
    app.config["CATALOG_PAGE_SIZE"] = 4
    names = [f"Item {n:02d}" for n in range(11)]
    for name in reversed(names):
        make_item(name)
    first = client.get("/inventory/").get_data(as_text=True)
    seen = names_in(first)
    link = next_link(first)
    while link:
        fragment = client.get(link, headers=HX).get_data(as_text=True)
        assert "<html" not in fragment and 'id="catalog-results"' not in fragment
        seen += names_in(fragment)
        link = next_link(fragment)
    assert seen == names


def test_next_page_link_works_without_javascript_and_keeps_the_filters(client, make_item, app):
    app.config["CATALOG_PAGE_SIZE"] = 2
    for name in ("Mug A", "Mug B", "Mug C", "Kettle"):
        make_item(name)
    make_item("Mug D", quantity=0)
    first = client.get("/inventory/?q=mug&available=1").get_data(as_text=True)
    link = next_link(first)
    assert "q=mug" in link and "available=1" in link
    assert names_in(first) == ["Mug C", "Mug B"]  # a search shows the newest items first
    second = client.get(link).get_data(as_text=True)
    assert "<html" in second and names_in(second) == ["Mug A"]
    assert "Back to the first page" in second


def test_names_sort_ignoring_case(client, make_item):
    for name in ("banana stand", "Apple crate", "cherry box"):
        make_item(name)
    assert names_in(client.get("/inventory/").get_data(as_text=True)) == ["Apple crate", "banana stand", "cherry box"]


def test_a_renamed_item_is_found_by_its_new_name_only(client, admin_token, make_item):
    item_id = make_item("Blue Mug")
    auth = {"Authorization": f"Bearer {admin_token}"}
    client.patch(f"/inventory/api/items/{item_id}", json={"name": "Green Teapot"}, headers=auth)
    assert names_in(client.get("/inventory/?q=teapot").get_data(as_text=True)) == ["Green Teapot"]
    assert names_in(client.get("/inventory/?q=blue").get_data(as_text=True)) == []


def test_an_anonymous_shopper_is_asked_to_log_in_to_order(client, make_item):
    item_id = make_item("Blue Mug", 1250, 4, "Holds tea.")
    html = client.get(f"/inventory/items/{item_id}").get_data(as_text=True)
    assert "Holds tea." in html and "$12.50" in html and "Only 4 left" in html
    assert f'href="/users/login?next=/inventory/items/{item_id}"' in html and "Log in to order" in html
    assert 'action="/orders/"' not in html


def test_a_logged_in_shopper_gets_an_order_form_bounded_by_stock(customer, make_item):
    item_id = make_item("Blue Mug", 1250, 4)
    html = customer.get(f"/inventory/items/{item_id}").get_data(as_text=True)
    form = html[html.index('<form method="post" action="/orders/"') :]
    form = form[: form.index("</form>")]
    assert 'name="csrf_token"' in form
    # the one order form (shared_ui/order_form.html), as orders_app's order page renders it
    assert f'name="inventory_id" id="inventory_id" value="{item_id}"' in form
    assert 'name="price_cents" value="1250"' in form  # the order is placed at the price shown, or not at all
    assert 'id="quantity" name="quantity" value="1" min="1" step="1" required max="4"' in form
    assert 'hx-get="/orders/quote"' in form and 'hx-target="#order-total"' in form
    assert '<output id="order-total"' in form


def order_form_of(html: str) -> str:
    form = html[html.index('<form method="post" action="/orders/"') :]
    return form[: form.index("</form>")]


def test_an_item_under_the_minimum_charge_says_so_and_its_order_form_starts_at_enough(customer, client, make_item):
    """A card payment is at least $0.50: before anyone presses anything, the page says how many make an
    order and offers the cart; the form starts at that many, with their total (1 would be refused)."""
    item_id = make_item("Sticker", 30, 10)
    html = customer.get(f"/inventory/items/{item_id}").get_data(as_text=True)
    note = (
        "A card payment must be at least $0.50: order at least 2 of this item, or add it to your cart with other items."
    )
    assert 'id="item-minimum"' in html and note in html
    assert 'class="inline-form add-to-cart"' in html
    form = order_form_of(html)
    assert 'id="quantity" name="quantity" value="2" min="2" step="1" required max="10"' in form
    assert '<output id="order-total" for="quantity" aria-live="polite">$0.60</output>' in form
    visitor = client.get(f"/inventory/items/{item_id}").get_data(as_text=True)
    assert note in visitor and "Log in to order" in visitor
    portuguese = customer.get(f"/inventory/items/{item_id}", headers={"Accept-Language": "pt-BR"})
    assert "Um pagamento com cartão precisa ser de pelo menos US$ 0,50" in portuguese.get_data(as_text=True)


@pytest.mark.parametrize(
    ("price", "stock", "note"),
    [
        (
            0,
            10,
            "This item is free, but a card payment must be at least $0.50, so it cannot be ordered on its own: "
            "add it to your cart with other items.",
        ),
        (
            20,
            2,
            "A card payment must be at least $0.50 and only 2 of this item are left, so it cannot be ordered on "
            "its own: add it to your cart with other items.",
        ),
    ],
    ids=["free", "too-few-left-to-reach-it"],
)
def test_an_item_that_cannot_be_paid_alone_offers_the_cart_and_no_order_form(
    customer, client, make_item, price, stock, note
):
    """No "Place order" that checkout would refuse: the page says why, and "Add to cart" stays."""
    item_id = make_item("Free sample", price, stock)
    for shopper in (customer, client):
        html = shopper.get(f"/inventory/items/{item_id}").get_data(as_text=True)
        assert note in html and 'class="inline-form add-to-cart"' in html
        assert 'action="/orders/"' not in html and "Place order" not in html and "Log in to order" not in html


def test_an_item_one_unit_of_pays_for_has_no_minimum_note(customer, make_item):
    html = customer.get(f"/inventory/items/{make_item('Mug', 50, 3)}").get_data(as_text=True)
    assert 'id="item-minimum"' not in html and 'value="1" min="1"' in order_form_of(html)


def test_a_sold_out_item_has_no_order_form(customer, make_item):
    item_id = make_item("Gone Mug", quantity=0)
    html = customer.get(f"/inventory/items/{item_id}").get_data(as_text=True)
    assert "Out of stock" in html and 'action="/orders/"' not in html


def test_archived_and_unknown_items_are_not_found(client, make_item, admin_token):
    item_id = make_item("Old Mug")
    soon = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"key": "order-1", "item_id": item_id, "quantity": 1, "expires_at": soon}
    client.post("/inventory/internal/reservations", json=body, headers=SERVICE)
    client.post("/inventory/internal/reservations/order-1/commit", headers=SERVICE)
    client.delete(f"/inventory/api/items/{item_id}", headers={"Authorization": f"Bearer {admin_token}"})
    archived = client.get(f"/inventory/items/{item_id}")
    assert archived.status_code == 404
    # its old links (an order's, a bookmark) say what became of it, not "not yours to see"
    assert "This item is no longer sold." in archived.get_data(as_text=True)
    unknown = client.get("/inventory/items/9999")
    assert unknown.status_code == 404 and "no longer sold" not in unknown.get_data(as_text=True)
    assert "Old Mug" not in client.get("/inventory/").get_data(as_text=True)
    portuguese = client.get(f"/inventory/items/{item_id}", headers={"Accept-Language": "pt-BR"})
    assert "Este item não é mais vendido." in portuguese.get_data(as_text=True)


def test_without_a_full_text_index_search_falls_back_to_like(client, make_item, monkeypatch):
    monkeypatch.setattr(search, "full_text_index", lambda: None)
    make_item("Blue Mug", description="")
    make_item("Blue Kettle", description="Whistles.")
    make_item("100% Wool Scarf", description="")
    assert names_in(client.get("/inventory/?q=BLUE+mu").get_data(as_text=True)) == ["Blue Mug"]
    assert names_in(client.get("/inventory/?q=whistle").get_data(as_text=True)) == ["Blue Kettle"]
    assert names_in(client.get("/inventory/?q=100%25+wool").get_data(as_text=True)) == ["100% Wool Scarf"]
    assert names_in(client.get("/inventory/?q=blue+scarf").get_data(as_text=True)) == []


@pytest.mark.parametrize("item_id", [2**63, 0, -5])
def test_a_made_up_page_cursor_starts_from_the_top(client, make_item, item_id):
    make_item("Blue Mug")
    cursor = base64.urlsafe_b64encode(json.dumps(["x", item_id]).encode()).decode().rstrip("=")
    for query in ("q=mug&", ""):
        response = client.get(f"/inventory/?{query}after={cursor}", headers={"HX-Request": "true"})
        assert response.status_code == 200 and "Blue Mug" in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["\ud800", "Mug\udfff"])
def test_a_page_cursor_naming_what_no_text_can_be_starts_from_the_top(client, make_item, name):
    """A lone surrogate is no character: no item has it, and it cannot even be sent to the database."""
    make_item("Blue Mug")
    cursor = base64.urlsafe_b64encode(json.dumps([name, 1]).encode()).decode().rstrip("=")
    for query in ("q=mug&", ""):
        response = client.get(f"/inventory/?{query}after={cursor}", headers={"HX-Request": "true"})
        assert response.status_code == 200 and "Blue Mug" in response.get_data(as_text=True)


def row_of(html: str, name: str) -> str:
    row = html[html.index(f">{name}<") :]
    return row[: row.index("</tr>")]


def test_a_row_shows_what_the_item_is_now_though_rendered_rows_are_kept(client, app, make_item):
    """Rendered rows are kept per what they show (inventory_app/rows.py): a change of stock, price,
    name or language is a new row at once, and the same values give the same row."""
    item_id = make_item("Kept Mug", 1250, 40)
    first = client.get("/inventory/").get_data(as_text=True)
    assert "In stock" in row_of(first, "Kept Mug") and "$12.50" in row_of(first, "Kept Mug")
    assert client.get("/inventory/").get_data(as_text=True) == first

    def change(**values):
        with app.app_context():
            item = db.session.get(Item, item_id)
            for name, value in values.items():
                setattr(item, name, value)
            db.session.commit()

    change(quantity=2, price_cents=1300)
    row = row_of(client.get("/inventory/").get_data(as_text=True), "Kept Mug")
    assert "Only 2 left" in row and "$13.00" in row and "Add to cart" in row
    change(quantity=0)
    row = row_of(client.get("/inventory/").get_data(as_text=True), "Kept Mug")
    assert "Out of stock" in row and "Add to cart" not in row
    change(name="Renamed Mug", quantity=5)
    html = client.get("/inventory/").get_data(as_text=True)
    assert "Kept Mug" not in html and "Only 5 left" in row_of(html, "Renamed Mug")
    portuguese = client.get("/inventory/", headers={"Accept-Language": "pt-BR"}).get_data(as_text=True)
    row = row_of(portuguese, "Renamed Mug")
    assert "Só restam 5" in row and "13,00" in row and "Only 5 left" not in portuguese


def test_kept_results_follow_every_commit_of_any_process_and_every_key(client, app, make_item, tmp_path):
    """The catalog's results are kept per change token (views/catalog.py, shared_ui.db.change_token):
    a commit by this process, or by another connection to the file (another worker, the jobs runner,
    the CLI), gives the next page the data as it is now; the same data gives the same page."""
    import sqlite3

    from shared_ui.db import change_token

    make_item("Token Mug", 1250, 40)
    first = client.get("/inventory/").get_data(as_text=True)
    assert client.get("/inventory/").get_data(as_text=True) == first
    with app.app_context():
        kept = app.extensions["catalog_results"]
        assert len(kept.kept) == 1 and change_token(db) is not None
        path = db.engine.url.database

    other = sqlite3.connect(path)  # another connection, as another process would write
    other.execute("UPDATE inventory SET quantity = 3, price_cents = 990 WHERE name = 'Token Mug'")
    other.commit()
    row = row_of(client.get("/inventory/").get_data(as_text=True), "Token Mug")
    assert "Only 3 left" in row and "$9.90" in row
    other.execute("UPDATE inventory SET quantity = 0 WHERE name = 'Token Mug'")
    other.commit()
    fragment = client.get("/inventory/?q=", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Out of stock" in row_of(fragment, "Token Mug") and "<html" not in fragment
    other.close()

    make_item("Second Mug", 500, 9)  # a commit of this process, on a connection the pages may share
    html = client.get("/inventory/").get_data(as_text=True)
    assert "Second Mug" in html and "Out of stock" in row_of(html, "Token Mug")
    # the same data, another key: language, fragment or page, a search
    assert "Esgotado" in row_of(
        client.get("/inventory/", headers={"Accept-Language": "pt-BR"}).get_data(as_text=True), "Token Mug"
    )
    assert "Second Mug" not in client.get("/inventory/?q=token").get_data(as_text=True)


def test_a_commit_on_the_sessions_connection_in_this_thread_changes_the_token(app, make_item):
    """The token is read on a connection of its own, which sees every commit of the others:
    the session's, in this very thread, as much as another process's."""
    from shared_ui.db import change_token

    item_id = make_item("Own Mug", 1250, 4)
    with app.app_context():
        before = change_token(db)
        assert change_token(db) == before  # nothing changed since
        db.session.get(Item, item_id).quantity = 3
        db.session.commit()
        after = change_token(db)
        assert after[0] == before[0] and after != before  # the same connection, which saw the commit
        assert change_token(db) == after


def test_no_token_while_the_session_has_a_snapshot_open(app, make_item):
    """Results read in a transaction begun before a commit must not be kept under a token read after it."""
    from shared_ui.db import change_token

    make_item("Snapshot Mug", 1250, 4)
    with app.app_context():
        assert change_token(db) is not None
        db.session.execute(select(Item.id)).all()  # a read transaction, its snapshot taken
        assert change_token(db) is None
        db.session.commit()
        assert change_token(db) is not None


def test_a_customer_just_registered_is_welcomed_once_not_back(customer):
    """Registration lands on the catalog with its own welcome ("Your account is ready"): the catalog's
    "Welcome back" beside it told a customer who had never been here that they were back."""
    assert "Welcome back" in customer.get("/inventory/").get_data(as_text=True)  # a customer's later visit
    with customer.session_transaction() as session:
        session["_flashes"] = [("success", "Welcome, carol! Your account is ready.")]
    page = customer.get("/inventory/").get_data(as_text=True)
    assert "Your account is ready." in page
    assert "Welcome back" not in page
