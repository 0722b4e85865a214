"""The orders JSON API through nginx, against the real inventory."""

from stacktools.client import ShopClient
from tests.stack.shop_orders import api_customer, new_item, reservation, stock_of


def test_create_edit_cancel_with_exact_money(stack):
    item = new_item(stack, price="0.50", quantity=10)
    client, token = api_customer(stack)
    created = client.api("POST", "/orders/api/orders", token, json={"inventory_id": item, "quantity": 3})
    assert created.status_code == 201
    order = created.json()
    assert (order["total_price"], order["status"], order["payment_url"]) == ("1.50", "Pending", None)
    assert stock_of(stack, item) == 7

    edited = client.api("PATCH", f"/orders/api/orders/{order['id']}", token, json={"quantity": 5})
    assert edited.status_code == 200 and edited.json()["total_price"] == "2.50"
    assert reservation(stack, order["id"])["quantity"] == 5 and stock_of(stack, item) == 5

    cancelled = client.api("POST", f"/orders/api/orders/{order['id']}/cancel", token)
    assert cancelled.json()["status"] == "Cancelled" and stock_of(stack, item) == 10
    refused = client.api("PATCH", f"/orders/api/orders/{order['id']}", token, json={"quantity": 1})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_pending"


def test_short_stock_is_a_409_with_what_is_available(stack):
    item = new_item(stack, quantity=2)
    client, token = api_customer(stack)
    response = client.api("POST", "/orders/api/orders", token, json={"inventory_id": item, "quantity": 3})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_stock" and response.json()["error"]["available"] == 2
    assert client.api("GET", "/orders/api/orders", token).json()["total"] == 0


def test_lists_are_per_user_and_admins_see_all(stack):
    item = new_item(stack, quantity=10)
    alice, alice_token = api_customer(stack)
    bob, bob_token = api_customer(stack)
    mine = alice.api("POST", "/orders/api/orders", alice_token, json={"inventory_id": item, "quantity": 1}).json()
    assert bob.api("GET", "/orders/api/orders", bob_token).json()["total"] == 0
    assert bob.api("GET", f"/orders/api/orders/{mine['id']}", bob_token).status_code == 404
    admin_token = alice.api_token("admin", stack.env["SHOP_ADMIN_PASSWORD"])
    everyone = alice.api("GET", "/orders/api/orders?all=1&per_page=100", admin_token).json()
    assert mine["id"] in [o["id"] for o in everyone["items"]]
    assert alice.api("GET", f"/orders/api/orders/{mine['id']}", admin_token).status_code == 200


def test_openapi_document_is_served(stack):
    doc = ShopClient(stack.base_url).api("GET", "/orders/api/openapi.json").json()
    assert {"/orders", "/orders/{id}", "/orders/{id}/cancel"} <= set(doc["paths"])
