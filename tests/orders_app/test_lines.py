"""Orders of several lines: placed all or none, edited line by line, paid on one Checkout Session,
cancelled and refunded whole, found by any of their items."""

import re
from dataclasses import replace

import pytest

from orders_app.extensions import db
from orders_app.models import CANCELLED, PAID, Order
from orders_app.placing import place_order
from tests.orders_app.helpers import deliver, fresh, pay, post_form, session_of


@pytest.fixture
def shelf(inventory) -> dict[str, int]:
    return {
        "mug": inventory.add_item("Mug", 850, 10),
        "lamp": inventory.add_item("Lamp", 1250, 3),
        "pin": inventory.add_item("Pin", 200, 5),
    }


def three_lines(shelf) -> list[dict]:
    return [
        {"inventory_id": shelf["mug"], "quantity": 2},
        {"inventory_id": shelf["lamp"], "quantity": 1},
        {"inventory_id": shelf["pin"], "quantity": 4},
    ]


def api_place(client, bearer, lines, who="alice"):
    return client.post("/orders/api/orders", json={"lines": lines}, headers=bearer(who))


def test_an_order_of_three_lines_holds_each_and_costs_their_sum(client_anonymous, bearer, inventory, shelf):
    response = api_place(client_anonymous, bearer, three_lines(shelf))
    assert response.status_code == 201, response.json
    order = response.json
    assert [(line["name"], line["quantity"], line["unit_price"], line["line_total"]) for line in order["lines"]] == [
        ("Mug", 2, "8.50", "17.00"),
        ("Lamp", 1, "12.50", "12.50"),
        ("Pin", 4, "2.00", "8.00"),
    ]
    assert order["total_price"] == "37.50" and "inventory_id" not in order and "quantity" not in order
    assert [inventory.stock(shelf[name]) for name in ("mug", "lamp", "pin")] == [8, 2, 1]
    assert inventory.held() == {f"order-{order['id']}": 7}


def test_short_lines_are_each_named_and_nothing_is_held(app, client_anonymous, bearer, inventory, shelf):
    lines = [*three_lines(shelf)[:2], {"inventory_id": shelf["pin"], "quantity": 9}]
    lines[1]["quantity"] = 5
    response = api_place(client_anonymous, bearer, lines)
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "insufficient_stock"
    assert error["short"] == [
        {"inventory_id": shelf["lamp"], "available": 3},
        {"inventory_id": shelf["pin"], "available": 5},
    ]
    assert "Lamp: only 3 left" in error["message"] and "Pin: only 5 left" in error["message"]
    assert inventory.held() == {} and inventory.stock(shelf["mug"]) == 10
    inventory.items[shelf["pin"]] = replace(inventory.items[shelf["pin"]], quantity=0)
    sold_out = api_place(client_anonymous, bearer, lines).json["error"]
    assert sold_out["message"] == "Lamp: only 3 left; Pin: sold out"  # not "only 0 left"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 0


def test_losing_a_race_for_one_line_names_it_and_holds_nothing(app, client_anonymous, bearer, inventory, shelf):
    def someone_else_buys(method, args):
        if method == "hold":
            inventory.before_call = None
            inventory.hold("order-other", {shelf["lamp"]: 3}, __import__("datetime").datetime(2030, 1, 1))

    inventory.before_call = someone_else_buys
    response = api_place(client_anonymous, bearer, three_lines(shelf))
    assert response.status_code == 409
    assert response.json["error"]["short"] == [{"inventory_id": shelf["lamp"], "available": 0}]
    assert inventory.held() == {"order-other": 3} and inventory.stock(shelf["mug"]) == 10


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([{"inventory_id": 1}], "quantity"),
        ("two mugs", "lines"),
        ([{"inventory_id": 1, "quantity": 0}], "quantity"),
        ([{"inventory_id": "1", "quantity": 1}], "inventory_id"),  # numbers are JSON numbers, as in one item's body
        ([{"inventory_id": 1, "quantity": "2"}], "quantity"),
        ([[1, 2]], "lines"),
    ],
)
def test_malformed_lines_are_a_422(client_anonymous, bearer, shelf, lines, field):
    response = api_place(client_anonymous, bearer, lines)
    assert response.status_code == 422 and response.json["error"]["field"] == field


def test_more_than_fifty_lines_are_refused(app, client_anonymous, bearer, inventory):
    items = [inventory.add_item(f"Thing {n}", 100, 5) for n in range(51)]
    response = api_place(client_anonymous, bearer, [{"inventory_id": i, "quantity": 1} for i in items])
    assert response.status_code == 422 and "50" in response.json["error"]["message"]
    assert inventory.held() == {}


def test_the_same_item_twice_is_one_line(client_anonymous, bearer, inventory, shelf):
    lines = [{"inventory_id": shelf["mug"], "quantity": 2}, {"inventory_id": shelf["mug"], "quantity": 3}]
    order = api_place(client_anonymous, bearer, lines).json
    assert [(line["name"], line["quantity"]) for line in order["lines"]] == [("Mug", 5)]
    assert order["inventory_id"] == shelf["mug"] and order["quantity"] == 5  # a one-line order keeps them


def test_editing_lines_moves_the_hold_all_or_none(client_anonymous, bearer, inventory, shelf):
    order = api_place(client_anonymous, bearer, three_lines(shelf)).json
    url, headers = f"/orders/api/orders/{order['id']}", bearer("alice")
    # lamp up to 3 (2 more) and pin up to 6 (only 1 left): neither moves
    response = client_anonymous.patch(
        url,
        json={
            "lines": [
                {"inventory_id": shelf["mug"], "quantity": 2},
                {"inventory_id": shelf["lamp"], "quantity": 3},
                {"inventory_id": shelf["pin"], "quantity": 6},
            ]
        },
        headers=headers,
    )
    assert response.status_code == 409 and response.json["error"]["short"] == [
        {"inventory_id": shelf["pin"], "available": 1}
    ]
    assert response.json["error"]["message"] == "Pin: only 1 more left (this order can have at most 5)"
    assert [inventory.stock(shelf[name]) for name in ("mug", "lamp", "pin")] == [8, 2, 1]
    # mug to 5, the pins removed
    response = client_anonymous.patch(
        url,
        json={"lines": [{"inventory_id": shelf["mug"], "quantity": 5}, {"inventory_id": shelf["lamp"], "quantity": 1}]},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    assert [(line["name"], line["quantity"]) for line in response.json["lines"]] == [("Mug", 5), ("Lamp", 1)]
    assert response.json["total_price"] == "55.00"
    assert [inventory.stock(shelf[name]) for name in ("mug", "lamp", "pin")] == [5, 2, 5]
    # the last line cannot go; a quantity alone is for one-line orders
    for body in (
        {"lines": [{"inventory_id": shelf["mug"], "quantity": 0}, {"inventory_id": shelf["lamp"], "quantity": 0}]},
        {"lines": [{"inventory_id": shelf["pin"], "quantity": 1}]},
        {"quantity": 2},
    ):
        assert client_anonymous.patch(url, json=body, headers=headers).status_code == 422
    negative = {
        "lines": [{"inventory_id": shelf["mug"], "quantity": -1}, {"inventory_id": shelf["lamp"], "quantity": 1}]
    }
    refused = client_anonymous.patch(url, json=negative, headers=headers)
    assert refused.json["error"]["message"] == "Enter a whole number of units from 0 to 1000."  # 0 removes a line
    assert [inventory.stock(shelf[name]) for name in ("mug", "lamp", "pin")] == [5, 2, 5]


def test_one_checkout_session_with_a_line_item_per_line_pays_the_whole_order(
    app, alice, bearer, client_anonymous, inventory, stripe_fake, shelf
):
    order_id = api_place(client_anonymous, bearer, three_lines(shelf)).json["id"]
    assert pay(alice, order_id).status_code == 303
    session = stripe_fake.sessions[session_of(app, order_id)]
    assert [
        (item["price_data"]["product_data"]["name"], item["price_data"]["unit_amount"], item["quantity"])
        for item in session["line_items"]
    ] == [("Mug", 850, 2), ("Lamp", 1250, 1), ("Pin", 200, 4)]
    assert session["amount_total"] == 3750
    assert deliver(app, stripe_fake.pay(session["id"])).get_json()["outcome"] == "paid"
    assert fresh(app, order_id).status == PAID and inventory.holds[f"order-{order_id}"].state == "committed"


def test_cancel_releases_every_line_and_an_admin_refund_takes_the_whole_order(
    app, alice, boss, bearer, client_anonymous, inventory, stripe_fake, shelf
):
    first = api_place(client_anonymous, bearer, three_lines(shelf)).json["id"]
    assert client_anonymous.post(f"/orders/api/orders/{first}/cancel", headers=bearer("alice")).status_code == 200
    assert [inventory.stock(shelf[name]) for name in ("mug", "lamp", "pin")] == [10, 3, 5]
    second = api_place(client_anonymous, bearer, three_lines(shelf)).json["id"]
    pay(alice, second)
    deliver(app, stripe_fake.pay(session_of(app, second)))
    response = post_form(boss, f"/orders/admin/{second}/cancel", {"restock": "y"})
    assert response.status_code in (200, 303)
    order = fresh(app, second)
    assert order.status == CANCELLED and order.refund_state == "done"
    [refund] = stripe_fake.refunds.values()
    assert refund["payment_intent"] == order.payment_intent
    assert [inventory.stock(shelf[name]) for name in ("mug", "lamp", "pin")] == [10, 3, 5]


def test_the_monitor_shows_the_lines_and_its_item_filter_finds_any_of_them(client_anonymous, bearer, boss, shelf):
    several = api_place(client_anonymous, bearer, three_lines(shelf)).json["id"]
    one = api_place(client_anonymous, bearer, [{"inventory_id": shelf["mug"], "quantity": 1}]).json["id"]
    html = boss.get("/orders/admin/").get_data(as_text=True)
    assert "7 items: 2 × Mug, 1 × Lamp, 4 × Pin" in html
    lamp = boss.get("/orders/admin/?item=lamp").get_data(as_text=True)
    assert f"monitor-order-{several}" in lamp and f"monitor-order-{one}" not in lamp
    mug = boss.get(f"/orders/admin/?item={shelf['mug']}").get_data(as_text=True)
    assert f"monitor-order-{several}" in mug and f"monitor-order-{one}" in mug


def test_place_order_is_the_use_case_the_cart_calls(app, users, inventory, shelf):
    """The cart checks out through place_order(user, lines): the order comes back held."""

    class Customer:
        id, login, is_admin = 1, "alice", False

    with app.test_request_context():
        order = place_order(Customer(), [(shelf["mug"], 1), (shelf["pin"], 2)])
        assert order.hold_state == "held" and order.status == "Pending" and order.total_cents == 1250
    assert inventory.held() == {f"order-{order.id}": 3}


def test_the_order_page_edits_each_line_without_javascript(app, alice, bearer, client_anonymous, inventory, shelf):
    order_id = api_place(client_anonymous, bearer, three_lines(shelf)).json["id"]
    page = alice.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="order-lines"' in page and "Change quantities" in page and 'name="quantity-' not in page
    form = alice.get(f"/orders/{order_id}/edit").get_data(as_text=True)
    assert f'name="quantity-{shelf["pin"]}"' in form
    fields = {f"quantity-{shelf['mug']}": "3", f"quantity-{shelf['lamp']}": "1", f"quantity-{shelf['pin']}": "0"}
    response = post_form(alice, f"/orders/{order_id}/edit", {**fields, "version": "1"})
    assert response.status_code == 303
    order = fresh(app, order_id)
    assert order.line_quantities == {shelf["mug"]: 3, shelf["lamp"]: 1} and order.total_cents == 3800
    assert [inventory.stock(shelf[name]) for name in ("mug", "lamp", "pin")] == [7, 2, 5]
    short = {f"quantity-{shelf['mug']}": "3", f"quantity-{shelf['lamp']}": "9"}
    response = post_form(alice, f"/orders/{order_id}/edit", {**short, "version": str(order.version)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="lines-error"' in html
    # what is left beyond the order's own lamp: "only 2 left" read as "set it to 2" (it may have 3)
    assert "Lamp: only 2 more left (this order can have at most 3)" in html
    assert fresh(app, order_id).line_quantities == {shelf["mug"]: 3, shelf["lamp"]: 1}


def test_a_lines_edit_refused_as_stale_can_be_saved_once_seen(app, alice, bearer, client_anonymous, shelf):
    order_id = api_place(client_anonymous, bearer, three_lines(shelf)).json["id"]
    lines = [{"inventory_id": shelf["mug"], "quantity": 1}, {"inventory_id": shelf["lamp"], "quantity": 1}]
    client_anonymous.patch(f"/orders/api/orders/{order_id}", json={"lines": lines}, headers=bearer("alice"))
    fields = {f"quantity-{shelf['mug']}": "3", f"quantity-{shelf['lamp']}": "1"}
    refused = post_form(alice, f"/orders/{order_id}/edit", {**fields, "version": "1"}, htmx=True)
    html = refused.get_data(as_text=True)
    assert "changed since you opened it" in html and f'name="quantity-{shelf["pin"]}"' not in html
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    assert post_form(alice, f"/orders/{order_id}/edit", {**fields, "version": version}).status_code == 303
    assert fresh(app, order_id).line_quantities == {shelf["mug"]: 3, shelf["lamp"]: 1}


def test_the_openapi_document_describes_orders_of_lines_and_short_lines(client_anonymous, bearer, shelf):
    import jsonschema_rs  # schemathesis' own validator

    doc = client_anonymous.get("/orders/api/openapi.json").json

    def valid(name: str, value) -> bool:
        schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
        return jsonschema_rs.Draft202012Validator(schema).is_valid(value)

    assert valid("NewOrder", {"lines": three_lines(shelf)}) and valid("NewOrder", {"inventory_id": 1, "quantity": 2})
    assert not valid("NewOrder", {"lines": []})
    assert valid("Change", {"lines": [{"inventory_id": 1, "quantity": 1}]}) and valid("Change", {"quantity": 3})
    order = api_place(client_anonymous, bearer, three_lines(shelf)).json
    assert valid("Order", order)
    short = api_place(client_anonymous, bearer, [{"inventory_id": shelf["lamp"], "quantity": 9}])
    assert short.status_code == 409 and valid("StockConflict", short.json)
    post = doc["paths"]["/orders"]["post"]
    assert post["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/StockConflict")


def test_the_openapi_document_takes_the_zero_quantities_the_api_takes(client_anonymous, bearer, shelf):
    """A quantity of 0 removes an order's line (PATCH) or a cart's line (PUT): the documented bodies allow it."""
    import jsonschema_rs

    doc = client_anonymous.get("/orders/api/openapi.json").json

    def valid(schema: dict, value) -> bool:
        return jsonschema_rs.Draft202012Validator({**schema, "components": doc["components"]}).is_valid(value)

    order = api_place(client_anonymous, bearer, three_lines(shelf)).json
    change = {"lines": [{"inventory_id": shelf["mug"], "quantity": 2}, {"inventory_id": shelf["lamp"], "quantity": 0}]}
    patched = client_anonymous.patch(f"/orders/api/orders/{order['id']}", json=change, headers=bearer("alice"))
    assert patched.status_code == 200 and [line["name"] for line in patched.json["lines"]] == ["Mug"]
    assert valid({"$ref": "#/components/schemas/Change"}, change)

    put = doc["paths"]["/cart/lines/{inventory_id}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    path = f"/orders/api/cart/lines/{shelf['pin']}"
    assert client_anonymous.put(path, json={"quantity": 2}, headers=bearer("alice")).status_code == 200
    emptied = client_anonymous.put(path, json={"quantity": 0}, headers=bearer("alice"))
    assert emptied.status_code == 200 and emptied.json["lines"] == []
    assert valid(put, {"quantity": 0})


def test_an_order_of_three_lines_asks_inventory_twice_one_read_and_one_hold(client_anonymous, bearer, inventory, shelf):
    inventory.calls.clear()
    assert api_place(client_anonymous, bearer, three_lines(shelf)).status_code == 201
    assert inventory.calls == ["items_by_id", "hold"]
