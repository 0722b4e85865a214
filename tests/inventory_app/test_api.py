"""The inventory JSON API: reads for everyone, writes for admins, as DESIGN.md describes it."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.inventory_app.holds import HOLDS, SERVICE, hold


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_list_is_the_paged_envelope_in_name_order(client, make_item):
    for name in ("Cherry", "Apple", "Banana"):
        make_item(name, 1250, 3, "Fresh.")
    response = client.get("/inventory/api/items?per_page=2")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 2
    first = {"id": 2, "name": "Apple", "description": "Fresh.", "price": "12.50", "quantity": 3}
    assert body["items"][0] == {**first, "category": None, "picture": None}
    assert [i["name"] for i in body["items"]] == ["Apple", "Banana"]
    second = client.get("/inventory/api/items?per_page=2&page=2").get_json()
    assert [i["name"] for i in second["items"]] == ["Cherry"]


def test_list_searches_and_filters_available(client, make_item):
    make_item("Blue Mug", quantity=0)
    make_item("Blue Kettle", quantity=2)
    make_item("Red Mug", quantity=2)
    found = client.get("/inventory/api/items?q=blue").get_json()
    assert [i["name"] for i in found["items"]] == ["Blue Kettle", "Blue Mug"] and found["total"] == 2
    available = client.get("/inventory/api/items?q=mug&available=1").get_json()
    assert [i["name"] for i in available["items"]] == ["Red Mug"] and available["total"] == 1


@pytest.mark.parametrize("query", ["page=0", "per_page=101", "page=x"])
def test_bad_paging_is_400(client, query):
    response = client.get(f"/inventory/api/items?{query}")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"


def test_get_one_item_and_404_for_unknown(client, make_item):
    item_id = make_item("Blue Mug", 10, 1)
    assert client.get(f"/inventory/api/items/{item_id}").get_json()["price"] == "0.10"
    missing = client.get("/inventory/api/items/999")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_admin_creates_an_item(client, admin_token):
    body = {"name": "Green Teapot", "description": "Cast iron.", "price": "45.5", "quantity": 3, "category": " Tea "}
    response = client.post("/inventory/api/items", json=body, headers=bearer(admin_token))
    assert response.status_code == 201
    created = response.get_json()
    assert created == {
        "id": created["id"],
        "name": "Green Teapot",
        "description": "Cast iron.",
        "price": "45.50",
        "quantity": 3,
        "category": "Tea",
        "picture": None,
    }
    assert response.headers["Location"] == f"/inventory/api/items/{created['id']}"
    assert client.get(response.headers["Location"]).get_json() == created


def test_a_price_given_as_a_number_is_exact(client, admin_token):
    body = {"name": "Dime", "price": 0.1, "quantity": 1}
    assert client.post("/inventory/api/items", json=body, headers=bearer(admin_token)).get_json()["price"] == "0.10"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": "1.00", "quantity": 1}, "name"),
        ({"name": "", "price": "1.00", "quantity": 1}, "name"),
        ({"name": "x" * 121, "price": "1.00", "quantity": 1}, "name"),
        ({"name": "Mug", "quantity": 1}, "price"),
        ({"name": "Mug", "price": "-0.01", "quantity": 1}, "price"),
        ({"name": "Mug", "price": "1.001", "quantity": 1}, "price"),
        ({"name": "Mug", "price": True, "quantity": 1}, "price"),
        ({"name": "Mug", "price": "1.00", "quantity": -1}, "quantity"),
        ({"name": "Mug", "price": "1.00", "quantity": 1.5}, "quantity"),
        ({"name": "Mug", "price": "1.00", "quantity": "1"}, "quantity"),  # the API's quantity is a JSON integer
        ({"name": "Mug", "price": "1.00"}, "quantity"),
        ({"name": "Mug", "price": "1.00", "quantity": 1, "description": 5}, "description"),
        ({"name": "Mug", "price": "1.00", "quantity": 1, "price_cents": 100}, "price_cents"),
    ],
)
def test_invalid_items_are_422_naming_the_field(client, admin_token, body, field):
    response = client.post("/inventory/api/items", json=body, headers=bearer(admin_token))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_field" and error["field"] == field and error["message"]
    assert client.get("/inventory/api/items").get_json()["total"] == 0


WRONG_PRICES = ["12,50", "1,5", "1e3", "1_000", "١٢", " 12.50", "12.", ".50", "+1", "1,500.00", "1.500,00", "12.500"]


@pytest.mark.parametrize("price", WRONG_PRICES)
def test_a_price_not_written_as_the_api_writes_money_is_a_422_and_changes_nothing(
    client, admin_token, make_item, price
):
    """"12,50" is not 1250.00 and "1,5" is not 15.00: the API takes "12.50" in every language."""
    item_id = make_item("Blue Mug", 1250, 10)
    body = {"name": "Renamed", "price": price}
    response = client.patch(f"/inventory/api/items/{item_id}", json=body, headers=bearer(admin_token))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("invalid_field", "price")
    assert error["message"].startswith("Send the price as a string of digits with a point before at most two")
    item = client.get(f"/inventory/api/items/{item_id}").get_json()
    assert (item["name"], item["price"]) == ("Blue Mug", "12.50")


@pytest.mark.parametrize("price", WRONG_PRICES)
def test_a_new_item_with_such_a_price_is_not_added(client, admin_token, price):
    body = {"name": "Mug", "price": price, "quantity": 1}
    response = client.post("/inventory/api/items", json=body, headers=bearer(admin_token))
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "price"
    assert client.get("/inventory/api/items").get_json()["total"] == 0


def test_malformed_json_is_400(client, admin_token):
    response = client.post(
        "/inventory/api/items", data="{nope", headers=bearer(admin_token) | {"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_json"


def test_writes_need_an_admin_token(client, customer_token, make_item, admin):
    item_id = make_item()
    body = {"name": "Mug", "price": "1.00", "quantity": 1}
    assert client.post("/inventory/api/items", json=body).status_code == 401
    assert client.post("/inventory/api/items", json=body, headers=bearer(customer_token)).status_code == 403
    assert client.patch(f"/inventory/api/items/{item_id}", json={"quantity": 0}).status_code == 401
    assert client.delete(f"/inventory/api/items/{item_id}", headers=bearer(customer_token)).status_code == 403
    # the session cookie of a logged-in admin is not a credential for the API
    assert admin.post("/inventory/api/items", json=body).status_code == 401
    assert client.get("/inventory/api/items").get_json()["total"] == 1


def test_patch_changes_some_fields(client, admin_token, make_item):
    item_id = make_item("Blue Mug", 1250, 10)
    response = client.patch(f"/inventory/api/items/{item_id}", json={"price": "9.99"}, headers=bearer(admin_token))
    assert response.status_code == 200
    assert response.get_json() == {
        "id": item_id,
        "name": "Blue Mug",
        "description": "Sturdy and simple.",
        "price": "9.99",
        "quantity": 10,
        "category": None,
        "picture": None,
    }


def test_patch_quantity_with_expected_quantity_is_refused_when_stock_moved(client, admin_token, make_item):
    item_id = make_item("Blue Mug", 1250, 10)
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    hold = {"key": "order-1", "item_id": item_id, "quantity": 2, "expires_at": expires}
    client.post("/inventory/internal/reservations", json=hold, headers=SERVICE)
    stale = client.patch(
        f"/inventory/api/items/{item_id}", json={"quantity": 50, "expected_quantity": 10}, headers=bearer(admin_token)
    )
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "quantity_changed"
    assert client.get(f"/inventory/api/items/{item_id}").get_json()["quantity"] == 8
    fresh = client.patch(
        f"/inventory/api/items/{item_id}", json={"quantity": 50, "expected_quantity": 8}, headers=bearer(admin_token)
    )
    assert fresh.status_code == 200 and fresh.get_json()["quantity"] == 50


def test_expected_quantity_without_quantity_is_422(client, admin_token, make_item):
    item_id = make_item()
    response = client.patch(
        f"/inventory/api/items/{item_id}", json={"expected_quantity": 10}, headers=bearer(admin_token)
    )
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "expected_quantity"


def test_delete_erases_or_archives_and_refuses_held_items(client, admin_token, make_item):
    never_ordered = make_item("Plain")
    held = make_item("Held")
    sold = make_item("Sold")
    expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for key, item_id in (("order-1", held), ("order-2", sold)):
        body = {"key": key, "item_id": item_id, "quantity": 1, "expires_at": expires}
        client.post("/inventory/internal/reservations", json=body, headers=SERVICE)
    client.post("/inventory/internal/reservations/order-2/commit", headers=SERVICE)

    assert client.delete(f"/inventory/api/items/{never_ordered}", headers=bearer(admin_token)).status_code == 204
    assert client.get(f"/inventory/internal/items/{never_ordered}", headers=SERVICE).status_code == 404

    refused = client.delete(f"/inventory/api/items/{held}", headers=bearer(admin_token))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "item_has_holds"

    assert client.delete(f"/inventory/api/items/{sold}", headers=bearer(admin_token)).status_code == 204
    assert client.get(f"/inventory/api/items/{sold}").status_code == 404
    assert client.get(f"/inventory/internal/items/{sold}", headers=SERVICE).get_json()["archived"] is True
    assert client.delete(f"/inventory/api/items/{sold}", headers=bearer(admin_token)).status_code == 404
    assert [i["name"] for i in client.get("/inventory/api/items").get_json()["items"]] == ["Held"]


def test_item_ids_are_never_reused(client, admin_token, make_item):
    first = make_item("First")
    client.delete(f"/inventory/api/items/{first}", headers=bearer(admin_token))
    assert make_item("Second") > first


def test_openapi_document_describes_the_routes(client):
    doc = client.get("/inventory/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/items", "/items/{id}", "/items/{id}/picture"}
    assert set(doc["paths"]["/items/{id}"]) == {"get", "patch", "delete"}
    assert set(doc["paths"]["/items/{id}/picture"]) == {"put", "delete"}
    assert doc["components"]["schemas"]["Item"]["required"] == [
        "id", "name", "description", "price", "quantity", "category", "picture"
    ]
    assert "category" in {p["name"] for p in doc["paths"]["/items"]["get"]["parameters"]}


def test_an_item_with_units_given_back_past_the_admins_maximum_still_matches_its_document(
    client, admin_token, make_item
):
    """QUANTITY_MAX bounds what an admin sets; units a released hold gives back come on top of it."""
    import jsonschema_rs  # schemathesis' own validator

    item_id = make_item(quantity=10)
    assert hold(client, "order-1", item_id, 5).status_code == 201
    top = client.patch(f"/inventory/api/items/{item_id}", json={"quantity": 1_000_000}, headers=bearer(admin_token))
    assert top.status_code == 200
    assert client.post(f"{HOLDS}/order-1/release", json={}, headers=SERVICE).status_code == 200
    item = client.get(f"/inventory/api/items/{item_id}").get_json()
    assert item["quantity"] == 1_000_005
    doc = client.get("/inventory/api/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/Item", "components": doc["components"]}
    assert jsonschema_rs.Draft202012Validator(schema).is_valid(item)


def test_ids_beyond_any_database_integer_are_simply_not_found(client):
    assert client.get("/inventory/api/items/99999999999").status_code == 404
    assert client.get("/inventory/items/99999999999").status_code == 404
    internal = client.get("/inventory/internal/items/99999999999", headers=SERVICE)
    assert internal.status_code == 404 and internal.get_json()["error"]["code"] == "item_not_found"
