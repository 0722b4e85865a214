"""The orders JSON API: the same rules as the pages, bearer tokens only, others' orders are 404."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from orders_app import idempotency
from orders_app.extensions import db
from orders_app.models import IdempotencyKey, Order
from tests.orders_app.helpers import half_placed

ORDER_KEYS = {
    "id",
    "lines",
    "user_id",
    "inventory_id",
    "quantity",
    "total_price",
    "status",
    "payment_url",
    "created_at",
    "updated_at",
}


def test_create_read_edit_cancel(client_anonymous, bearer, inventory, widget):
    api, auth = client_anonymous, bearer("alice")
    created = api.post("/orders/api/orders", json={"inventory_id": widget, "quantity": 3}, headers=auth)
    assert created.status_code == 201
    order = created.json
    assert set(order) == ORDER_KEYS
    assert (order["quantity"], order["total_price"], order["status"], order["payment_url"]) == (
        3,
        "1.50",
        "Pending",
        None,
    )
    assert order["user_id"] == 1 and order["created_at"].endswith("Z")
    assert created.headers["Location"] == f"/orders/api/orders/{order['id']}"

    assert api.get(f"/orders/api/orders/{order['id']}", headers=auth).json == order
    edited = api.patch(f"/orders/api/orders/{order['id']}", json={"quantity": 5}, headers=auth)
    assert edited.status_code == 200 and edited.json["total_price"] == "2.50" and inventory.stock(widget) == 5
    short = api.patch(f"/orders/api/orders/{order['id']}", json={"quantity": 11}, headers=auth)
    assert short.status_code == 409 and short.json["error"]["code"] == "insufficient_stock"
    assert short.json["error"]["short"] == [{"inventory_id": widget, "available": 5}]  # 5 more on hand
    cancelled = api.post(f"/orders/api/orders/{order['id']}/cancel", headers=auth)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "Cancelled" and inventory.stock(widget) == 10
    again = api.post(f"/orders/api/orders/{order['id']}/cancel", headers=auth)
    assert again.status_code == 409 and again.json["error"]["code"] == "not_pending"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"inventory_id": 1, "quantity": 11}, 409, "insufficient_stock"),
        ({"inventory_id": 2, "quantity": 1}, 410, "item_archived"),
        ({"inventory_id": 1, "quantity": 0}, 422, "invalid_field"),
        ({"inventory_id": 1, "quantity": "3"}, 422, "invalid_field"),
        ({"inventory_id": 99, "quantity": 1}, 422, "invalid_field"),
        ({"quantity": 1}, 422, "invalid_field"),
    ],
)
def test_create_errors_have_the_documented_status_and_code(client_anonymous, bearer, inventory, body, status, code):
    inventory.add_item("Widget", 10, 10)
    inventory.add_item("Old lamp", 1999, 3, archived=True)
    response = client_anonymous.post("/orders/api/orders", json=body, headers=bearer("alice"))
    assert response.status_code == status
    assert response.json["error"]["code"] == code and response.json["error"]["message"]


def test_insufficient_stock_says_how_many_are_available(client_anonymous, bearer, widget):
    response = client_anonymous.post(
        "/orders/api/orders", json={"inventory_id": widget, "quantity": 12}, headers=bearer("alice")
    )
    assert response.json["error"] == {
        "code": "insufficient_stock",
        "message": "only 10 left",
        "field": "quantity",
        "available": 10,
        "short": [{"inventory_id": widget, "available": 10}],
    }


def test_inventory_down_is_a_503_and_nothing_is_ordered(client_anonymous, bearer, inventory, widget):
    inventory.down = True
    response = client_anonymous.post(
        "/orders/api/orders", json={"inventory_id": widget, "quantity": 1}, headers=bearer("alice")
    )
    assert response.status_code == 503 and response.json["error"]["code"] == "inventory_unavailable"
    assert response.headers["Retry-After"] == "5"  # as nginx says for an app that does not answer
    inventory.down = False
    assert client_anonymous.get("/orders/api/orders", headers=bearer("alice")).json["total"] == 0


def test_malformed_json_is_a_400(client_anonymous, bearer):
    response = client_anonymous.post(
        "/orders/api/orders", data="{nope", content_type="application/json", headers=bearer("alice")
    )
    assert response.status_code == 400 and response.json["error"]["code"] == "malformed_json"


def test_list_is_own_orders_newest_first_with_status_filter_and_paging(client_anonymous, bearer, widget):
    api, alice, bob = client_anonymous, bearer("alice"), bearer("bob")
    ids = [
        api.post("/orders/api/orders", json={"inventory_id": widget, "quantity": 1}, headers=alice).json["id"]
        for _ in range(3)
    ]
    api.post("/orders/api/orders", json={"inventory_id": widget, "quantity": 1}, headers=bob)
    api.post(f"/orders/api/orders/{ids[0]}/cancel", headers=alice)
    listing = api.get("/orders/api/orders?per_page=2", headers=alice).json
    assert (listing["total"], listing["page"], listing["per_page"]) == (3, 1, 2)
    assert [o["id"] for o in listing["items"]] == [ids[2], ids[1]]
    cancelled = api.get("/orders/api/orders?status=Cancelled", headers=alice).json
    assert [o["id"] for o in cancelled["items"]] == [ids[0]]
    assert api.get("/orders/api/orders?status=Lost", headers=alice).status_code == 422
    assert api.get("/orders/api/orders?per_page=101", headers=alice).status_code == 400


def test_admins_list_everyones_orders_with_all(client_anonymous, bearer, widget):
    api = client_anonymous
    api.post("/orders/api/orders", json={"inventory_id": widget, "quantity": 1}, headers=bearer("alice"))
    api.post("/orders/api/orders", json={"inventory_id": widget, "quantity": 1}, headers=bearer("bob"))
    assert api.get("/orders/api/orders?all=1", headers=bearer("boss")).json["total"] == 2
    assert api.get("/orders/api/orders", headers=bearer("boss")).json["total"] == 0
    assert api.get("/orders/api/orders?all=1", headers=bearer("alice")).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "body", "for_admin"),
    [
        ("GET", "/orders/api/orders/{id}", None, 200),  # an admin sees every order
        ("PATCH", "/orders/api/orders/{id}", {"quantity": 1}, 403),  # but never edits a customer's
        ("POST", "/orders/api/orders/{id}/cancel", None, 200),  # and may cancel it
    ],
)
def test_another_customers_order_is_a_404(client_anonymous, bearer, inventory, widget, method, path, body, for_admin):
    created = client_anonymous.post(
        "/orders/api/orders", json={"inventory_id": widget, "quantity": 2}, headers=bearer("alice")
    )
    url = path.format(id=created.json["id"])
    response = client_anonymous.open(url, method=method, json=body, headers=bearer("bob"))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert inventory.stock(widget) == 8
    assert client_anonymous.open(url, method=method, json=body, headers=bearer("boss")).status_code == for_admin
    assert inventory.stock(widget) == (10 if method == "POST" else 8)


def test_the_api_takes_no_cookies_and_no_forged_tokens(alice, client_anonymous):
    assert alice.get("/orders/api/orders").status_code == 401
    response = client_anonymous.get("/orders/api/orders", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_the_openapi_document_describes_the_routes(client_anonymous):
    doc = client_anonymous.get("/orders/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert {"/orders", "/orders/{id}", "/orders/{id}/cancel"} <= set(doc["paths"])
    assert set(doc["components"]["schemas"]["Order"]["required"]) == {
        "id",
        "user_id",
        "lines",
        "total_price",
        "status",
        "payment_url",
        "created_at",
        "updated_at",
    }


def orders_of(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Order.id).order_by(Order.id)))


def test_an_order_sent_twice_with_one_idempotency_key_is_placed_once(app, client_anonymous, bearer, inventory, widget):
    api, auth = client_anonymous, {**bearer("alice"), "Idempotency-Key": "retry-7f3a"}
    body = {"inventory_id": widget, "quantity": 3}
    first = api.post("/orders/api/orders", json=body, headers=auth)
    again = api.post("/orders/api/orders", json=body, headers=auth)  # the client's retry after a timeout
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert orders_of(app) == [first.json["id"]] and inventory.stock(widget) == 7
    other = api.post("/orders/api/orders", json={**body, "quantity": 4}, headers=auth)  # the key, another request
    assert other.status_code == 400 and other.json["error"]["code"] == "idempotency_key_reused"
    bobs = api.post("/orders/api/orders", json=body, headers={**bearer("bob"), "Idempotency-Key": "retry-7f3a"})
    assert bobs.status_code == 201 and bobs.headers.get("Idempotent-Replayed") is None  # keys are per customer
    assert len(orders_of(app)) == 2 and inventory.stock(widget) == 4


def test_a_key_is_kept_a_day_then_forgotten_by_the_hourly_prune(app, client_anonymous, bearer, inventory, widget):
    api, auth = client_anonymous, {**bearer("alice"), "Idempotency-Key": "nightly-import"}
    body = {"inventory_id": widget, "quantity": 1}
    first = api.post("/orders/api/orders", json=body, headers=auth)
    with app.app_context():
        assert idempotency.prune() is None  # an hour later: still kept
        key = db.session.scalars(select(IdempotencyKey)).one()
        key.created_at -= idempotency.KEEP
        db.session.commit()
        assert idempotency.prune() == {"pruned": 1}
    again = api.post("/orders/api/orders", json=body, headers=auth)  # the same job, the next day
    assert again.status_code == 201 and again.json["id"] != first.json["id"]
    assert "Idempotent-Replayed" not in again.headers and inventory.stock(widget) == 8


def test_a_key_whose_order_was_not_placed_places_on_retry(app, client_anonymous, bearer, inventory, widget):
    api, auth = client_anonymous, {**bearer("alice"), "Idempotency-Key": "k-short"}
    short = api.post("/orders/api/orders", json={"inventory_id": widget, "quantity": 11}, headers=auth)
    assert short.status_code == 409 and orders_of(app) == []  # nothing placed, the key went with the order
    inventory.items[widget] = replace(inventory.items[widget], quantity=20)  # restocked
    placed = api.post("/orders/api/orders", json={"inventory_id": widget, "quantity": 11}, headers=auth)
    assert placed.status_code == 201 and orders_of(app) == [placed.json["id"]]


@pytest.mark.parametrize("meets", ["the key", "the Pending limit"])
def test_a_twin_request_that_wrote_the_key_first_is_answered_not_doubled(
    app, client_anonymous, bearer, inventory, widget, monkeypatch, meets
):
    """Both requests looked for the key before either wrote it: the second's key write fails (or a
    check before it meets the first's order), nothing of it stays, and it answers the first's order."""
    if meets == "the Pending limit":
        app.config["SHOP_MAX_PENDING_ORDERS"] = 1
    api, auth = client_anonymous, {**bearer("alice"), "Idempotency-Key": "twin"}
    body = {"inventory_id": widget, "quantity": 2}
    first = api.post("/orders/api/orders", json=body, headers=auth)
    looked = []
    real = idempotency.placed_before

    def not_yet_written(user_id, key):  # the second request's first look ran before the first wrote
        looked.append(key)
        return None if len(looked) == 1 else real(user_id, key)

    monkeypatch.setattr(idempotency, "placed_before", not_yet_written)
    twin = api.post("/orders/api/orders", json=body, headers=auth)
    assert twin.status_code == 201 and twin.json["id"] == first.json["id"] and len(looked) == 2
    assert orders_of(app) == [first.json["id"]] and inventory.stock(widget) == 8 and len(inventory.held()) == 1


def test_a_key_whose_order_is_still_being_placed_answers_409(app, client_anonymous, bearer, widget):
    order_id = half_placed(app, widget, hold_minutes=5)
    body = {"inventory_id": widget, "quantity": 1}
    key = idempotency.Key("in-flight", idempotency.of_request({"Idempotency-Key": "x"}, body).digest)
    with app.app_context():
        idempotency.write(1, key, order_id)
        db.session.commit()
    response = client_anonymous.post(
        "/orders/api/orders", json=body, headers={**bearer("alice"), "Idempotency-Key": "in-flight"}
    )
    assert response.status_code == 409 and response.json["error"]["code"] == "idempotency_key_in_use"


def test_an_api_body_with_a_field_the_call_does_not_take_is_a_422_naming_it(
    app, client_anonymous, bearer, inventory, widget
):
    """An order of one item or of lines, not both; a misspelt field is named, and nothing is placed."""
    api, auth = client_anonymous, bearer("alice")
    both = {"lines": [{"inventory_id": widget, "quantity": 1}], "inventory_id": widget, "quantity": 5}
    for body, field in ((both, "inventory_id"), ({"inventory_id": widget, "quantity": 1, "qty": 2}, "qty")):
        refused = api.post("/orders/api/orders", json=body, headers=auth)
        assert refused.status_code == 422 and refused.json["error"]["field"] == field, refused.json
    assert orders_of(app) == [] and inventory.stock(widget) == 10
    placed = api.post("/orders/api/orders", json={"inventory_id": widget, "quantity": 1}, headers=auth).json
    url = f"/orders/api/orders/{placed['id']}"
    assert api.patch(url, json={"quantity": 2, "version": 1}, headers=auth).json["error"]["field"] == "version"
    assert (
        api.put(f"/orders/api/cart/lines/{widget}", json={"quantity": 1, "note": "x"}, headers=auth).status_code == 422
    )
    assert api.post(f"{url}/cancel", json={"restock": False, "reason": "x"}, headers=bearer("boss")).status_code == 422
    assert api.get(url, headers=auth).json["status"] == "Pending"


def test_a_401_says_when_the_token_given_was_not_good(client_anonymous, bearer):
    """RFC 6750: no token is a bare challenge; a token that is no good (forged, expired, ended) says
    invalid_token, so a client asks for a new one."""
    missing = client_anonymous.get("/orders/api/orders")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    forged = client_anonymous.get("/orders/api/orders", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401 and forged.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert client_anonymous.get("/orders/api/orders", headers=bearer("alice")).status_code == 200
