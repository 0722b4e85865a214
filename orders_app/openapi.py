"""The orders API's OpenAPI document, served at /orders/api/openapi.json."""

from shared_ui.openapi import document, error_responses, json_body, ok, paged

MONEY = {"type": "string", "pattern": r"^\d+\.\d{2}$"}
ORDER_LINE = {
    "type": "object",
    "required": ["inventory_id", "name", "unit_price", "quantity", "line_total"],
    "properties": {
        "inventory_id": {"type": "integer"},
        "name": {"type": "string", "description": "the item's name when it was ordered"},
        "unit_price": {**MONEY, "description": "the item's price when it was ordered"},
        "quantity": {"type": "integer", "minimum": 1},
        "line_total": {**MONEY, "description": "unit price x quantity"},
    },
}
ORDER = {
    "type": "object",
    "required": [
        "id",
        "user_id",
        "lines",
        "total_price",
        "status",
        "payment_url",
        "created_at",
        "updated_at",
    ],
    "properties": {
        "id": {"type": "integer"},
        "user_id": {"type": "integer"},
        "lines": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"$ref": "#/components/schemas/OrderLine"}},
        "inventory_id": {"type": "integer", "description": "a one-line order's item"},
        "quantity": {"type": "integer", "minimum": 1, "description": "a one-line order's quantity"},
        "total_price": {**MONEY, "description": "the sum of the lines' totals"},
        "status": {"enum": ["Pending", "Paid", "Cancelled"]},
        "payment_url": {"type": ["string", "null"], "description": "the open Checkout Session of a Pending order"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
NEW_ORDER = {
    "type": "object",
    "required": ["inventory_id", "quantity"],
    "properties": {"inventory_id": {"type": "integer"}, "quantity": {"type": "integer", "minimum": 1}},
}
QUANTITY = {"type": "object", "required": ["quantity"], "properties": {"quantity": {"type": "integer", "minimum": 1}}}
ORDER_REF = {"$ref": "#/components/schemas/Order"}
ORDER_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
STOCK_ERRORS = (
    "409: `insufficient_stock` (with `available`) or `not_pending`; 410: `item_archived`; "
    "503: `inventory_unavailable` (nothing was reserved)."
)

OPENAPI = document(
    "Shop orders API",
    "/orders/api",
    schemas={"Order": ORDER, "OrderLine": ORDER_LINE, "NewOrder": NEW_ORDER, "Quantity": QUANTITY},
    paths={
        "/orders": {
            "post": {
                "summary": "Order an item: the stock is held until the payment deadline",
                "description": STOCK_ERRORS,
                "requestBody": json_body({"$ref": "#/components/schemas/NewOrder"}),
                "responses": {"201": ok(ORDER_REF, "Created"), **error_responses(400, 401, 409, 410, 422, 503)},
            },
            "get": {
                "summary": "Your orders, newest first (admins: ?all=1 for everyone's)",
                "parameters": [
                    *paged(),
                    {"name": "status", "in": "query", "schema": {"enum": ["Pending", "Paid", "Cancelled"]}},
                    {"name": "all", "in": "query", "schema": {"enum": ["1"]}},
                ],
                "responses": {"200": ok(paged(ORDER_REF, envelope=True)), **error_responses(400, 401, 403, 422)},
            },
        },
        "/orders/{id}": {
            "get": {
                "summary": "One order (another customer's is a 404)",
                "parameters": ORDER_ID,
                "responses": {"200": ok(ORDER_REF), **error_responses(401, 404)},
            },
            "patch": {
                "summary": "Change a Pending order's quantity; its hold follows",
                "description": STOCK_ERRORS,
                "parameters": ORDER_ID,
                "requestBody": json_body({"$ref": "#/components/schemas/Quantity"}),
                "responses": {"200": ok(ORDER_REF), **error_responses(400, 401, 403, 404, 409, 410, 422, 503)},
            },
        },
        "/orders/{id}/checkout": {
            "post": {
                "summary": "Where to pay a Pending order: its open Stripe Checkout page, or a new one",
                "description": (
                    "The same as the order page's Pay. 409: `not_pending`, `awaiting_payment` (a boleto is "
                    "issued); 422: `amount_too_small` (Stripe's minimum charge); 503: `payments_unavailable` "
                    "or `inventory_unavailable` (nothing was charged; the order stays payable)."
                ),
                "parameters": ORDER_ID,
                "responses": {
                    "200": ok({"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}),
                    **error_responses(401, 403, 404, 409, 422, 503),
                },
            }
        },
        "/orders/{id}/cancel": {
            "post": {
                "summary": "Cancel a Pending order; its stock goes back",
                "parameters": ORDER_ID,
                "responses": {"200": ok(ORDER_REF), **error_responses(401, 404, 409)},
            }
        },
    },
)
