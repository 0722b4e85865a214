"""The inventory API's OpenAPI document, served at /inventory/api/openapi.json."""

from inventory_app.items import PRICE_MAX_CENTS, QUANTITY_MAX
from inventory_app.models import ALT_MAX, CATEGORY_MAX, DESCRIPTION_MAX, NAME_MAX
from shared_ui.openapi import document, error_responses, json_body, ok, paged

#: the API's money string; [0-9], not \d, which some regex dialects read as any script's digits
PRICE = {
    "type": "string",
    "pattern": r"^[0-9]+(\.[0-9]{1,2})?$",
    "examples": ["12.50"],
    "description": "Exact, two places",
}
QUANTITY = {"type": "integer", "minimum": 0, "maximum": QUANTITY_MAX}
CATEGORY = {"type": ["string", "null"], "maxLength": CATEGORY_MAX, "description": "One category; null: none"}
PICTURE = {
    "type": ["object", "null"],
    "required": ["url", "alt", "width", "height"],
    "description": "The item's picture at its largest stored size (WebP; the URL carries its content hash and "
    "is cached for a year); null when it has none",
    "properties": {
        "url": {"type": "string", "examples": ["/inventory/pictures/9f86d081884c7d65…-640.webp"]},
        "alt": {"type": "string", "description": "The admin's alternative text, else the item's name"},
        "width": {"type": "integer", "minimum": 1, "maximum": 2000},
        "height": {"type": "integer", "minimum": 1, "maximum": 2000},
    },
}
ITEM = {
    "type": "object",
    "required": ["id", "name", "description", "price", "quantity", "category", "picture"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string", "maxLength": NAME_MAX},
        "description": {"type": "string", "maxLength": DESCRIPTION_MAX},
        "price": PRICE,
        "quantity": {
            "type": "integer",
            "minimum": 0,
            "description": f"Units on hand and free to sell: an admin sets at most {QUANTITY_MAX:,}, units a "
            "cancelled order gives back come on top",
        },
        "category": CATEGORY,
        "picture": PICTURE,
    },
}
NEW_ITEM = {
    "type": "object",
    "required": ["name", "price", "quantity"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
        "description": {"type": "string", "maxLength": DESCRIPTION_MAX},
        "price": {
            "oneOf": [PRICE, {"type": "number", "minimum": 0, "maximum": PRICE_MAX_CENTS / 100}],
            "description": 'A string like "12.50" (ASCII digits, then a point and one or two decimals) or a JSON '
            "number with at most two decimals; anything else (a comma, a sign, an exponent, spaces) is 422 "
            "invalid_field naming price. A price under Stripe's smallest card payment (0.50 in USD, EUR and BRL), "
            "0 included, is allowed: customers order enough units of it, or put it in a cart with other items "
            "(an order of it alone under 0.50 is refused; a free item is never paid for alone); the admin table "
            "says so beside such a price",
        },
        "quantity": QUANTITY,
        "category": {**CATEGORY, "description": "One category; null or empty: none"},
    },
}
ITEM_CHANGES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **NEW_ITEM["properties"],
        "expected_quantity": {
            "type": "integer",
            "description": "Sent with quantity: change it only if the stock is still this (else 409 quantity_changed)",
        },
    },
}
ITEM_REF = {"$ref": "#/components/schemas/Item"}
ITEM_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
FILTERS = [
    {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Words in the name or description"},
    {"name": "available", "in": "query", "schema": {"enum": ["1"]}, "description": "Only items in stock"},
    {
        "name": "category",
        "in": "query",
        "schema": {"type": "string"},
        "description": "Only items of this category (any case: kitchen finds Kitchen)",
    },
]
PICTURE_UPLOAD = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "contentMediaType": "application/octet-stream",
                        "description": "PNG, JPEG or WebP, at most 5 MiB and 40 megapixels; the type is read from "
                        "the bytes. Re-encoded (metadata dropped, at most 2000 px a side)",
                    },
                    "alt": {"type": "string", "maxLength": ALT_MAX, "description": "Alternative text"},
                },
            }
        }
    },
}

OPENAPI = document(
    "Shop inventory API",
    "/inventory/api",
    schemas={"Item": ITEM, "NewItem": NEW_ITEM, "ItemChanges": ITEM_CHANGES},
    paths={
        "/items": {
            "get": {
                "summary": "List items in name order",
                "security": [],
                "parameters": FILTERS + paged(),
                "responses": {"200": ok(paged(ITEM_REF, envelope=True)), **error_responses(400)},
            },
            "post": {
                "summary": "Add an item (admin)",
                "requestBody": json_body({"$ref": "#/components/schemas/NewItem"}),
                "responses": {"201": ok(ITEM_REF, "Created"), **error_responses(400, 401, 403, 422)},
            },
        },
        "/items/{id}": {
            "get": {
                "summary": "One item (archived items are 404)",
                "security": [],
                "parameters": ITEM_ID,
                "responses": {"200": ok(ITEM_REF), **error_responses(404)},
            },
            "patch": {
                "summary": "Change an item (admin); a quantity change may carry expected_quantity",
                "parameters": ITEM_ID,
                "requestBody": json_body({"$ref": "#/components/schemas/ItemChanges"}),
                "responses": {"200": ok(ITEM_REF), **error_responses(400, 401, 403, 404, 409, 422)},
            },
            "delete": {
                "summary": "Delete an item (admin): erased, or archived when orders refer to it",
                "description": "409 item_has_holds while pending orders hold units of it.",
                "parameters": ITEM_ID,
                "responses": {"204": {"description": "Gone from the catalog"}, **error_responses(401, 403, 404, 409)},
            },
        },
        "/items/{id}/picture": {
            "put": {
                "summary": "Give an item a picture, replacing any (admin)",
                "description": "422 invalid_field with the reason when the file is refused (not PNG, JPEG or "
                "WebP, over 5 MiB or 40 megapixels, damaged, or carrying HTML/SVG); nothing is stored then.",
                "parameters": ITEM_ID,
                "requestBody": PICTURE_UPLOAD,
                "responses": {"200": ok(ITEM_REF), **error_responses(401, 403, 404, 413, 422)},
            },
            "delete": {
                "summary": "Remove an item's picture (admin)",
                "parameters": ITEM_ID,
                "responses": {"200": ok(ITEM_REF), **error_responses(401, 403, 404)},
            },
        },
    },
)
