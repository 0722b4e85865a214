"""inventory_app in two languages: pages, prices in the shop's currency, admin forms, API errors."""

import re

from inventory_app import items
from inventory_app.extensions import db
from inventory_app.models import Item
from tests.helpers import csrf_from
from tests.i18n.conftest import PT, choose_language

HX = {"HX-Request": "true"}


def add_item(app, name="Caneca Azul", price_cents=123456, quantity=3):
    with app.app_context():
        values = {"name": name, "description": "", "price_cents": price_cents, "quantity": quantity}
        return items.create_item(values, actor="test").id


def text(html: str) -> str:
    """What a reader sees: no tags, whitespace (also non-breaking) as single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\u00a0", " ").split())


def price_of(app, item_id) -> int:
    with app.app_context():
        return db.session.get(Item, item_id).price_cents


def test_the_catalog_in_portuguese_shows_reais_as_brazilians_write_them(inventory_app):
    item_id = add_item(inventory_app)
    client = inventory_app.test_client()
    html = client.get("/inventory/", headers=PT).get_data(as_text=True)
    assert '<html lang="pt-BR"' in html
    assert "R$ 1.234,56" in text(html) and "Só restam 3" in text(html) and "Catálogo" in html
    item_page = text(client.get(f"/inventory/items/{item_id}", headers=PT).get_data(as_text=True))
    assert "R$ 1.234,56" in item_page and "Entre para fazer o pedido" in item_page


def test_the_same_catalog_in_english(inventory_app):
    add_item(inventory_app)
    html = inventory_app.test_client().get("/inventory/").get_data(as_text=True)
    assert "R$ 1,234.56" in text(html) and "Only 3 left" in html


def test_the_session_choice_wins_over_the_browser(inventory_app):
    add_item(inventory_app)
    client = inventory_app.test_client()
    choose_language(client, "pt_BR")
    assert "R$ 1.234,56" in text(client.get("/inventory/", headers={"Accept-Language": "en"}).get_data(as_text=True))
    choose_language(client, "en")
    assert "R$ 1,234.56" in text(client.get("/inventory/", headers=PT).get_data(as_text=True))


def test_search_fragments_announce_their_result_in_the_visitors_language(inventory_app):
    add_item(inventory_app)
    client = inventory_app.test_client()
    choose_language(client, "pt_BR")
    found = client.get("/inventory/?q=caneca", headers=HX).get_data(as_text=True)
    assert 'id="announcer" hx-swap-oob="innerHTML"' in found and "1 item encontrado." in found
    none = client.get("/inventory/?q=bule", headers=HX).get_data(as_text=True)
    assert none.count("Nenhum item corresponde a “bule”.") == 2  # the empty state, and what is read out
    page = client.get("/inventory/?q=bule").get_data(as_text=True)
    assert 'hx-swap-oob' not in page  # a whole page announces nothing out of band


def test_an_admin_in_portuguese_types_prices_with_a_decimal_comma(inventory_app, inventory_admin):
    item_id = add_item(inventory_app, price_cents=1250)
    choose_language(inventory_admin, "pt_BR")
    form = inventory_admin.get(f"/inventory/admin/items/{item_id}/edit", headers=HX).get_data(as_text=True)
    assert 'value="12,50"' in form and 'aria-label="Preço"' in form
    saved = post_row(inventory_admin, item_id, price="1234,56")
    assert saved.status_code == 200 and price_of(inventory_app, item_id) == 123456
    assert "R$ 1.234,56" in text(saved.get_data(as_text=True)) and "Caneca Azul salvo." in saved.get_data(as_text=True)
    post_row(inventory_admin, item_id, price="9.99")  # a decimal point still reads as one
    assert price_of(inventory_app, item_id) == 999


def test_fifteen_reais_is_1500_cents_with_a_comma_or_a_point_in_portuguese(inventory_app, inventory_admin):
    item_id = add_item(inventory_app, price_cents=1250)
    choose_language(inventory_admin, "pt_BR")
    for typed in ("15.00", "15,00"):
        post_row(inventory_admin, item_id, price="1,00")
        assert post_row(inventory_admin, item_id, price=typed).status_code == 200
        assert price_of(inventory_app, item_id) == 1500


def test_a_price_shown_in_portuguese_and_saved_after_switching_to_english_keeps_its_value(
    inventory_app, inventory_admin
):
    """The reviewer's case: Edit in Portuguese shows 15,00; English chosen in another tab; Save."""
    item_id = add_item(inventory_app, price_cents=1500)
    choose_language(inventory_admin, "pt_BR")
    form = inventory_admin.get(f"/inventory/admin/items/{item_id}/edit", headers=HX).get_data(as_text=True)
    shown = re.search(r'name="price"[^>]*value="([^"]*)"', form).group(1)
    assert shown == "15,00"
    choose_language(inventory_admin, "en")
    saved = post_row(inventory_admin, item_id, price=shown)
    assert saved.status_code == 200 and "R$ 15.00" in text(saved.get_data(as_text=True))
    assert price_of(inventory_app, item_id) == 1500


def test_a_thousands_separator_in_portuguese_is_refused_with_the_way_to_write_it(inventory_app, inventory_admin):
    item_id = add_item(inventory_app, price_cents=1250)
    choose_language(inventory_admin, "pt_BR")
    html = post_row(inventory_admin, item_id, price="1.500,00").get_data(as_text=True)
    error = re.search(rf'<small id="item-{item_id}-price-error" class="field-error">([^<]*)</small>', html)
    assert error and error.group(1).endswith("1234,56.")  # the example is written the page's way
    assert price_of(inventory_app, item_id) == 1250


def test_admin_row_errors_are_in_the_admins_language(inventory_app, inventory_admin):
    item_id = add_item(inventory_app)
    choose_language(inventory_admin, "pt_BR")
    html = post_row(inventory_admin, item_id, price="grátis", quantity="9999999").get_data(as_text=True)
    assert "Informe um preço de 0 ou mais com no máximo duas casas decimais, como 12,50." in html
    assert "No máximo 1.000.000 unidades." in html


def test_the_api_keeps_its_money_format_and_translates_only_error_messages(inventory_app):
    item_id = add_item(inventory_app, price_cents=1250)
    client = inventory_app.test_client()
    item = client.get(f"/inventory/api/items/{item_id}", headers=PT).get_json()
    assert item["price"] == "12.50" and item["name"] == "Caneca Azul"
    refused = client.get("/inventory/api/items?page=0", headers=PT).get_json()["error"]
    assert refused == {"code": "bad_request", "message": "page deve ser de 1 a 1000000; per_page de 1 a 100."}
    missing = client.get("/inventory/api/items/999999", headers=PT).get_json()["error"]
    assert missing["code"] == "not_found" and missing["message"].startswith("Não há nada aqui.")


def test_error_pages_are_translated(inventory_app):
    response = inventory_app.test_client().get("/inventory/items/999999", headers=PT)
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "<h1>Não encontrado</h1>" in html and "Voltar ao catálogo" in html


def post_row(client, item_id, **fields):
    """The admin row's Save, as htmx sends it (the CSRF token in the header)."""
    data = {"name": "Caneca Azul", "price": "12,50", "quantity": "3", "expected_quantity": "3", **fields}
    headers = {**HX, "X-CSRFToken": csrf_from(client, "/inventory/admin/")}
    return client.post(f"/inventory/admin/items/{item_id}", data=data, headers=headers)
