"""orders_app in two languages: my orders, the order page, the quote, the monitor, errors and the API."""

import html as html_text
import re

import pytest

from orders_app import create_app
from orders_app.clients.inventory import EXTENSION_KEY
from shared_ui.auth import issue_api_token
from tests.helpers import FakeUsers, csrf_from, log_in, make_app
from tests.i18n.conftest import PT, choose_language
from tests.orders_app.fake_inventory import FakeInventory

HX = {"HX-Request": "true"}


@pytest.fixture
def fake_inventory() -> FakeInventory:
    return FakeInventory()


@pytest.fixture
def orders_app(tmp_path, fake_inventory):
    users = FakeUsers()
    users.add(1, "alice")
    users.add(3, "boss", is_admin=True)
    app = make_app(create_app, "orders", tmp_path, SHOP_CURRENCY="brl")
    app.extensions["shop_find_user"] = users.find_user
    app.extensions[EXTENSION_KEY] = fake_inventory
    app.extensions["test_users"] = users
    return app


def client_of(app, user_id: int, lang: str = "pt_BR"):
    client = app.test_client()
    log_in(client, app.extensions["test_users"].records[user_id])
    choose_language(client, lang)
    return client


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\u00a0", " ").split())


def place(client, item_id: int, quantity: int):
    token = csrf_from(client, "/orders/")
    return client.post("/orders/", data={"inventory_id": item_id, "quantity": quantity, "csrf_token": token})


def test_my_orders_is_in_portuguese_with_an_empty_state_that_says_what_to_do(orders_app):
    html = client_of(orders_app, 1).get("/orders/").get_data(as_text=True)
    assert '<html lang="pt-BR"' in html and "Meus pedidos" in html
    assert "Você ainda não tem pedidos." in html and "Ver o catálogo" in html


def test_placing_an_order_in_portuguese_shows_reais_the_brazilian_way(orders_app, fake_inventory):
    widget = fake_inventory.add_item("Caneca", 123456, 10)
    alice = client_of(orders_app, 1)
    quote = alice.get(f"/orders/quote?inventory_id={widget}&quantity=2", headers=HX).get_data(as_text=True)
    assert text(quote) == "2 × R$ 1.234,56 = R$ 2.469,12"
    placed = place(alice, widget, 2)
    assert placed.status_code == 303
    page = text(alice.get(placed.headers["Location"]).get_data(as_text=True))
    assert "Pedido nº 1 feito: 2 × Caneca." in page and "Pendente" in page and "Pagar R$ 2.469,12" in page
    assert "Alterar quantidade" in page and "Cancelar pedido" in page and "Pedido feito" in page
    listed = text(alice.get("/orders/").get_data(as_text=True))
    assert "R$ 2.469,12" in listed and "1 pedido · página 1 de 1" in listed


def test_order_errors_are_in_the_customers_language(orders_app, fake_inventory):
    widget = fake_inventory.add_item("Caneca", 1000, 3)
    alice = client_of(orders_app, 1)
    too_many = alice.get(f"/orders/quote?inventory_id={widget}&quantity=5", headers=HX).get_data(as_text=True)
    assert "só restam 3" in too_many
    refused = place(alice, widget, 0)
    assert refused.status_code == 422
    assert "Informe um número inteiro de unidades de 1 a" in refused.get_data(as_text=True)


def test_the_same_order_in_english(orders_app, fake_inventory):
    widget = fake_inventory.add_item("Mug", 123456, 10)
    alice = client_of(orders_app, 1, "en")
    quote = alice.get(f"/orders/quote?inventory_id={widget}&quantity=2", headers=HX).get_data(as_text=True)
    assert text(quote) == "2 × R$ 1,234.56 = R$ 2,469.12"


def test_the_monitor_speaks_the_admins_language(orders_app, fake_inventory):
    widget = fake_inventory.add_item("Caneca", 500, 10)
    place(client_of(orders_app, 1), widget, 1)
    html = client_of(orders_app, 3).get("/orders/admin/").get_data(as_text=True)
    assert "Monitor de pedidos" in html and "Precisa de atenção" in html and "Pendente" in html
    fragment = client_of(orders_app, 3).get(
        "/orders/admin/?status=Nope", headers={**HX, "HX-Trigger": "monitor-filters"}
    ).get_data(as_text=True)
    assert "Situação desconhecida “Nope”; mostrando todas as situações." in html_text.unescape(fragment)
    assert "1 pedido encontrado." in fragment  # announced to screen readers


def test_none_is_said_in_the_plural_in_portuguese(orders_app, fake_inventory):
    """CLDR's rule for pt (i = 0..1) made 0 singular: "0 pedido precisando de atenção". Brazilian
    Portuguese writes "0 pedidos", as English writes "0 orders"; 1 stays singular."""
    boss = client_of(orders_app, 3)
    attention = html_text.unescape(boss.get("/orders/admin/?view=attention").get_data(as_text=True))
    assert re.search(r'<span id="monitor-total">0</span> pedidos precisando de atenção', attention), attention
    widget = fake_inventory.add_item("Caneca", 500, 10)
    place(client_of(orders_app, 1), widget, 1)
    every = html_text.unescape(boss.get("/orders/admin/").get_data(as_text=True))
    assert re.search(r'<span id="monitor-total">1</span> pedido ·', every)


def test_the_orders_api_translates_its_error_messages_only(orders_app, fake_inventory):
    widget = fake_inventory.add_item("Caneca", 1250, 1)
    with orders_app.test_request_context():
        token, _ = issue_api_token(orders_app.extensions["test_users"].records[1])
    headers = {"Authorization": f"Bearer {token}", **PT}
    client = orders_app.test_client()
    short = client.post("/orders/api/orders", json={"inventory_id": widget, "quantity": 2}, headers=headers).get_json()
    assert short["error"]["code"] == "insufficient_stock" and short["error"]["message"] == "só resta 1"
    created = client.post("/orders/api/orders", json={"inventory_id": widget, "quantity": 1}, headers=headers)
    assert created.status_code == 201 and created.get_json()["total_price"] == "12.50"
