"""The internal item read orders_app makes for every order it places."""

from tests.inventory_app.holds import SERVICE, hold


def test_the_item_read_for_an_order_leaves_out_the_reservation_totals(client, make_item):
    item_id = make_item("Blue Mug", price_cents=1250, quantity=5)
    hold(client, "order-1", item_id, 2)
    client.post("/inventory/internal/reservations/order-1/commit", headers=SERVICE)
    hold(client, "order-2", item_id, 1)

    full = client.get(f"/inventory/internal/items/{item_id}", headers=SERVICE).get_json()
    lean = client.get(f"/inventory/internal/items/{item_id}?totals=0", headers=SERVICE).get_json()

    assert (full["quantity"], full["held"], full["committed"]) == (2, 1, 2)
    assert "held" not in lean and "committed" not in lean
    assert {key: full[key] for key in lean} == lean
    assert (lean["name"], lean["price_cents"], lean["quantity"], lean["archived"]) == ("Blue Mug", 1250, 2, False)
