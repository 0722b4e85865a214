"""The orders API's OpenAPI document, served at /orders/api/openapi.json."""

from shared_ui.openapi import document, error_responses, error_shape, json_body, ok, paged

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
LINE_INPUT = {
    "type": "object",
    "required": ["inventory_id", "quantity"],
    "properties": {"inventory_id": {"type": "integer"}, "quantity": {"type": "integer", "minimum": 1}},
}
#: a request body names only its fields: another one is a 422 naming it (shared_ui.api.json_body)
CLOSED = {"additionalProperties": False}
LINES = {
    "type": "object",
    **CLOSED,
    "required": ["lines"],
    "properties": {
        "lines": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {"$ref": "#/components/schemas/LineInput"},
            "description": "one per item (an item named twice has its quantities added)",
        }
    },
}
LINE_CHANGE = {
    "type": "object",
    "required": ["inventory_id", "quantity"],
    "properties": {
        "inventory_id": {"type": "integer", "description": "one of the order's items"},
        "quantity": {"type": "integer", "minimum": 0, "description": "the line's new quantity; 0 removes it"},
    },
}
CHANGE_LINES = {
    "type": "object",
    **CLOSED,
    "required": ["lines"],
    "properties": {
        "lines": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {"$ref": "#/components/schemas/LineChange"},
            "description": "the order's lines after the change; a line left out or at quantity 0 goes",
        }
    },
}
NEW_ORDER = {
    "description": "The order's lines, or (one item) `inventory_id` and `quantity`",
    "oneOf": [{"$ref": "#/components/schemas/Lines"}, {**LINE_INPUT, **CLOSED}],
}
QUANTITY = {
    "type": "object",
    "required": ["quantity"],
    "properties": {"quantity": {"type": "integer", "minimum": 1}},
    **CLOSED,
}
#: a cart line's quantity: 0 removes the line (DESIGN "JSON API", cart)
CART_QUANTITY = {
    "type": "object",
    "required": ["quantity"],
    "properties": {"quantity": {"type": "integer", "minimum": 0, "description": "0 removes the line"}},
    **CLOSED,
}
CHANGE = {
    "description": (
        "The order's new lines (absolute: each line it keeps with its new quantity; a line left out or "
        "at quantity 0 goes, the last line cannot), or for a one-line order its `quantity`"
    ),
    "oneOf": [{"$ref": "#/components/schemas/ChangeLines"}, {"$ref": "#/components/schemas/Quantity"}],
}
SHORT = {
    "type": "array",
    "description": "every line inventory could not hold, with what is left of its item",
    "items": {
        "type": "object",
        "required": ["inventory_id", "available"],
        "properties": {"inventory_id": {"type": "integer"}, "available": {"type": ["integer", "null"]}},
    },
}
STOCK_CONFLICT = error_shape(available={"type": "integer"}, short=SHORT)
AMOUNT_ERROR = error_shape(
    minimum={**MONEY, "description": "`amount_too_small`: Stripe's smallest charge in the currency"},
    missing={**MONEY, "description": "`amount_too_small`: what the total lacks to reach `minimum`"},
    maximum={**MONEY, "description": "`amount_too_large`: Stripe's largest charge"},
)
AMOUNT_422 = {
    "422": ok(
        {"$ref": "#/components/schemas/AmountError"},
        "Invalid field, or a total Stripe cannot charge (`amount_too_small`, `amount_too_large`): nothing held",
    )
}
STOCK_409 = {"409": ok({"$ref": "#/components/schemas/StockConflict"}, "Conflict: short lines, or not pending")}
ORDER_REF = {"$ref": "#/components/schemas/Order"}
ORDER_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
STOCK_ERRORS = (
    "409: `insufficient_stock` (`error.short` names every short line with what is left; a one-line order "
    "also gets `available`), `not_pending` or `too_many_pending` (the customer has "
    "SHOP_MAX_PENDING_ORDERS Pending orders), `price_changed` (an item's price changed twice while the order "
    "was placed: nothing was held, try again); 410: `item_archived`; 422: `amount_too_small` (the total "
    "is under Stripe's minimum charge, 0.50 in USD, EUR and BRL: nothing is held nor written; `error.minimum` and "
    "`error.missing` give the minimum and what the total lacks, and the message says it, or for an order of one "
    "item how many of it make an order (a free item goes in a cart with other items)) or `amount_too_large` "
    "(over Stripe's largest charge, 999,999.99: nothing is held; `error.maximum` gives it); "
    "503: `inventory_unavailable` (nothing was reserved)."
)

CART_LINE = {
    "type": "object",
    "required": ["inventory_id", "name", "unit_price", "quantity", "line_total", "available"],
    "properties": {
        "inventory_id": {"type": "integer"},
        "name": {"type": "string"},
        "unit_price": {**MONEY, "description": "today's price"},
        "quantity": {"type": "integer", "minimum": 1},
        "line_total": {**MONEY, "description": "unit price x quantity; 0.00 once the item is no longer sold"},
        "available": {"type": "integer", "description": "units inventory has today (0: sold out or no longer sold)"},
        "sold": {"type": "boolean", "description": "false once the item is no longer sold"},
        "price_changed": {"type": "boolean", "description": "the price is not what it was when the line was added"},
    },
}
CART = {
    "type": "object",
    "required": ["lines", "total_price"],
    "properties": {
        "lines": {"type": "array", "items": {"$ref": "#/components/schemas/CartLine"}},
        "total_price": MONEY,
    },
}
CART_REF = {"$ref": "#/components/schemas/Cart"}
ITEM_ID = [{"name": "inventory_id", "in": "path", "required": True, "schema": {"type": "integer"}}]

OPENAPI = document(
    "Shop orders API",
    "/orders/api",
    schemas={
        "Order": ORDER,
        "OrderLine": ORDER_LINE,
        "LineInput": LINE_INPUT,
        "Lines": LINES,
        "NewOrder": NEW_ORDER,
        "Quantity": QUANTITY,
        "LineChange": LINE_CHANGE,
        "ChangeLines": CHANGE_LINES,
        "Change": CHANGE,
        "StockConflict": STOCK_CONFLICT,
        "AmountError": AMOUNT_ERROR,
        "Cart": CART,
        "CartLine": CART_LINE,
    },
    paths={
        "/orders": {
            "post": {
                "summary": "Order items (1 to 50 lines): every line's stock is held until the payment deadline",
                "description": STOCK_ERRORS
                + (
                    " With an `Idempotency-Key` header (1-255 characters, your own per request), the same request "
                    "sent again within a day answers the order the first placed (201, `Idempotent-Replayed: true`) "
                    "instead of placing another; the key with another body is a 400 `idempotency_key_reused`, and "
                    "while its first request is still placing, 409 `idempotency_key_in_use`. A request that placed "
                    "nothing leaves no key."
                ),
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 255}}
                ],
                "requestBody": json_body({"$ref": "#/components/schemas/NewOrder"}),
                "responses": {
                    "201": ok(ORDER_REF, "Created"),
                    **error_responses(400, 401, 410, 422, 503),
                    **STOCK_409,
                    **AMOUNT_422,
                },
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
                "summary": "Change a Pending order's lines (or a one-line order's quantity); its hold follows",
                "description": STOCK_ERRORS
                + (
                    " On a change, 409 `price_changed` means more was asked of an item whose price changed since "
                    "the order was placed: the order keeps its prices, so more of it goes in a new order "
                    "(less of it is always allowed); 409 `conflict`: the order changed meanwhile (a payment "
                    "link was opened), look at it again."
                ),
                "parameters": ORDER_ID,
                "requestBody": json_body({"$ref": "#/components/schemas/Change"}),
                "responses": {
                    "200": ok(ORDER_REF),
                    **error_responses(400, 401, 403, 404, 410, 422, 503),
                    **STOCK_409,
                    **AMOUNT_422,
                },
            },
        },
        "/orders/{id}/checkout": {
            "post": {
                "summary": "Where to pay a Pending order: its open Stripe Checkout page, or a new one",
                "description": (
                    "The same as the order page's Pay. 409: `not_pending`, `awaiting_payment` (a boleto is "
                    "issued); 422: `amount_too_small` or `amount_too_large` (Stripe's minimum or largest charge); "
                    "503: `payments_unavailable` "
                    "or `inventory_unavailable` (nothing was charged; the order stays payable)."
                ),
                "parameters": ORDER_ID,
                "responses": {
                    "200": ok({"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}),
                    **error_responses(401, 403, 404, 409, 422, 503),
                    **AMOUNT_422,
                },
            }
        },
        "/orders/{id}/cancel": {
            "post": {
                "summary": "Cancel a Pending order; its stock goes back",
                "description": (
                    "An administrator may also cancel a Paid order: the whole payment is refunded at Stripe "
                    "(retried until Stripe answers) and its stock goes back on sale unless `restock` is false. "
                    "The body is optional. 409: `not_pending` (a Paid order, cancelled by its customer), "
                    "`not_paid` (no longer Paid when the refund was claimed), `conflict` (another change to the "
                    "order is under way)."
                ),
                "parameters": ORDER_ID,
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"restock": {"type": "boolean", "default": True}},
                                **CLOSED,
                            }
                        }
                    },
                },
                "responses": {"200": ok(ORDER_REF), **error_responses(400, 401, 404, 409, 422)},
            }
        },
        "/cart": {
            "get": {
                "summary": "Your cart, with today's price and stock of each line (nothing is held)",
                "responses": {"200": ok(CART_REF), **error_responses(401, 503)},
            }
        },
        "/cart/lines/{inventory_id}": {
            "put": {
                "summary": "Set how many of an item the cart holds (0 removes the line)",
                "description": (
                    "From 0 to ORDERS_MAX_QUANTITY (1,000) units, what one order line may have; 409 `cart_full` "
                    "when a new item would make more lines than one order may have (ORDERS_MAX_LINES, 50)."
                ),
                "parameters": ITEM_ID,
                "requestBody": json_body(CART_QUANTITY),
                "responses": {"200": ok(CART_REF), **error_responses(400, 401, 404, 409, 410, 422, 503)},
            },
            "delete": {
                "summary": "Remove an item's line from the cart (idempotent: a line the cart has not is no error)",
                "description": "404 only for a path that names no item id at all (not a whole number).",
                "parameters": ITEM_ID,
                "responses": {"200": ok(CART_REF), **error_responses(401, 404, 503)},
            },
        },
        "/cart/checkout": {
            "post": {
                "summary": "One order of the cart's lines and its Checkout Session; those lines leave the cart",
                "description": (
                    "The order is placed at the prices the cart has as this request reads it. "
                    "All or none: on 409 `insufficient_stock` (`error.short` names each short line), "
                    "`cart_empty` or `too_many_lines` (a cart joined at login can have more lines than an order), "
                    "`price_changed` (a price changed as the order was being placed: read the cart again), "
                    "410 `item_archived`, 422 `amount_too_small` or `amount_too_large` (under Stripe's minimum "
                    "charge, over its largest) "
                    "nothing is held and the cart is unchanged. `url` is null when Stripe could not be reached "
                    "once the order was held (pay it with /orders/{id}/checkout). Two checkouts of one cart at once "
                    "place one order: the second waits for the first and answers its order (409 "
                    "`checkout_in_progress` if that takes over 15 s)."
                ),
                "responses": {
                    "201": ok(
                        {
                            "type": "object",
                            "required": ["order", "url"],
                            "properties": {"order": ORDER_REF, "url": {"type": ["string", "null"]}},
                        },
                        "Created",
                    ),
                    **error_responses(401, 410, 422, 503),
                    **STOCK_409,
                    **AMOUNT_422,
                },
            }
        },
    },
)
