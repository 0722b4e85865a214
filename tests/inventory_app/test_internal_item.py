"""The internal item read orders_app makes for every order it places."""

from inventory_app.extensions import db
from inventory_app.models import Item, utcnow
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


def test_several_items_in_one_read_archived_ones_too_unknown_ones_left_out(app, client, make_item):
    mug = make_item("Blue Mug", price_cents=1250, quantity=5)
    lamp = make_item("Lamp", price_cents=2500, quantity=1)
    with app.app_context():
        db.session.get(Item, lamp).archived_at = utcnow()
        db.session.commit()
    each = {
        item_id: client.get(f"/inventory/internal/items/{item_id}?totals=0", headers=SERVICE).get_json()
        for item_id in (mug, lamp)
    }

    answer = client.get(f"/inventory/internal/items?ids={lamp},999999,{mug},{mug}", headers=SERVICE)
    assert answer.status_code == 200
    assert answer.get_json() == {"items": [each[item_id] for item_id in sorted((mug, lamp))]}
    assert each[lamp]["archived"] is True and each[mug]["name"] == "Blue Mug"


def test_the_several_items_read_refuses_bad_ids_and_callers_without_the_token(client, make_item):
    for ids in ("", "a", "1,,2", "-1", "²", ",".join(["1"] * 101)):
        answer = client.get(f"/inventory/internal/items?ids={ids}", headers=SERVICE)
        assert answer.status_code == 422 and answer.get_json()["error"]["field"] == "ids", ids
    assert client.get("/inventory/internal/items?ids=1").status_code == 403
    huge = client.get("/inventory/internal/items?ids=99999999999999999999999", headers=SERVICE)
    assert huge.status_code == 200 and huge.get_json() == {"items": []}
