"""The users API's OpenAPI document, served at /users/api/openapi.json."""

from shared_ui.openapi import document, error_responses, json_body, ok, paged

USER = {
    "type": "object",
    "required": ["id", "login", "is_admin", "is_active"],
    "properties": {
        "id": {"type": "integer"},
        "login": {"type": "string"},
        "is_admin": {"type": "boolean"},
        "is_active": {"type": "boolean"},
    },
}
REGISTRATION = {
    "type": "object",
    "required": ["login", "password"],
    "properties": {
        "login": {"type": "string", "minLength": 3, "maxLength": 64},
        "password": {"type": "string"},
        "email": {"type": "string", "format": "email", "maxLength": 254, "description": "unique ignoring case"},
    },
    "additionalProperties": False,
}
#: a request body names only these fields: another one is a 422 naming it (shared_ui.api.json_body)
CLOSED = {"additionalProperties": False}
PASSWORD_ONLY = {"type": "object", "required": ["password"], "properties": {"password": {"type": "string"}}, **CLOSED}
RESET_REQUEST = {"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}, **CLOSED}
EXPORT = {
    "type": "object",
    "required": ["account", "orders", "emails"],
    "properties": {
        "account": {"type": "object"},
        "orders": {"type": "array", "items": {"type": "object"}},
        "cart": {
            "type": "array",
            "items": {"type": "object"},
            "description": "the cart's lines: inventory_id, quantity, price_seen (when added), added_at",
        },
        "emails": {"type": "array", "items": {"type": "object"}},
        "exported_at": {"type": "string", "format": "date-time"},
    },
}
CREDENTIALS = {
    "type": "object",
    "required": ["login", "password"],
    "properties": {"login": {"type": "string", "minLength": 3, "maxLength": 64}, "password": {"type": "string"}},
    **CLOSED,
}
TOKEN = {
    "type": "object",
    "required": ["token", "token_type", "expires_at", "user", "device_token"],
    "properties": {
        "token": {"type": "string"},
        "token_type": {"const": "Bearer"},
        "expires_at": {"type": "string", "format": "date-time"},
        "user": {"$ref": "#/components/schemas/User"},
        "device_token": {
            "type": "string",
            "description": "Send it back in the `Shop-Device` header of later token requests (and of reset "
            "requests and `DELETE /me`): a client that does has its failed logins of this account counted apart "
            "from strangers', so their guesses do not lock it out. Valid a year; keep the newest (each login "
            "renews it); after a password change it counts as none until the next login.",
        },
    },
}
#: the API's device cookie (users_app/devices.py): the `device_token` of an earlier login
DEVICE_HEADER = {
    "name": "Shop-Device",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The `device_token` of an earlier token answer: this client's failed logins of that account "
    "count in a budget of its own. A token that is not the shop's, or names other accounts, counts as none.",
}
ROLES = {"type": "object", "properties": {"is_admin": {"type": "boolean"}, "is_active": {"type": "boolean"}}, **CLOSED}
USER_REF = {"$ref": "#/components/schemas/User"}

OPENAPI = document(
    "Shop users API",
    "/users/api",
    schemas={"User": USER, "Credentials": CREDENTIALS, "Token": TOKEN},
    paths={
        "/users": {
            "post": {
                "summary": "Register a user (email optional here, for older clients)",
                "security": [],
                "requestBody": json_body(REGISTRATION),
                "description": "429: too many registrations from this address (every attempt counts).",
                "responses": {"201": ok(USER_REF, "Created"), **error_responses(400, 409, 422, 429)},
            },
            "get": {
                "summary": "List users (admin)",
                "parameters": paged(),
                "responses": {"200": ok(paged(USER_REF, envelope=True)), **error_responses(400, 401, 403)},
            },
        },
        "/tokens": {
            "post": {
                "summary": "Get a bearer token for 24 hours",
                "description": "401 `invalid_credentials`: wrong login or password, the same whether or not the "
                "login exists. 403 `account_deactivated`: the right password of an account the shop deactivated "
                "(only said to who gave the right password). 429: too many failed attempts for this login or from "
                "this address; wait Retry-After. Send the `device_token` of an earlier answer in `Shop-Device`, so "
                "that strangers' failures of the login do not refuse this client.",
                "security": [],
                "parameters": [DEVICE_HEADER],
                "requestBody": json_body({"$ref": "#/components/schemas/Credentials"}),
                "responses": {
                    "201": ok({"$ref": "#/components/schemas/Token"}, "Created"),
                    **error_responses(400, 401, 403, 422, 429),
                },
            }
        },
        "/me": {
            "get": {"summary": "The caller", "responses": {"200": ok(USER_REF), **error_responses(401)}},
            "delete": {
                "summary": "Delete my account: login, e-mail and password erased, Pending orders cancelled",
                "description": "A wrong password counts as a failed login of the account: 429 past the login limits. "
                "503: `orders_unavailable` (the orders could not be reached: nothing was erased).",
                "parameters": [DEVICE_HEADER],
                "requestBody": json_body(PASSWORD_ONLY),
                "responses": {"204": {"description": "Deleted"}, **error_responses(400, 401, 409, 422, 429, 503)},
            },
        },
        "/me/export": {
            "get": {
                "summary": "My data: the account, its orders with lines and payments, the e-mails sent to it",
                "description": "503: `orders_unavailable` (the orders could not be read).",
                "responses": {"200": ok(EXPORT), **error_responses(401, 503)},
            }
        },
        "/password-resets": {
            "post": {
                "summary": "E-mail a password reset link, if an account has this address (202 either way)",
                "security": [],
                "parameters": [DEVICE_HEADER],
                "requestBody": json_body(RESET_REQUEST),
                "responses": {"202": {"description": "Accepted"}, **error_responses(400, 422, 429)},
            }
        },
        "/users/{id}": {
            "patch": {
                "summary": "Promote, demote, deactivate or reactivate (admin)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": json_body(ROLES),
                "responses": {"200": ok(USER_REF), **error_responses(400, 401, 403, 404, 409, 422)},
            }
        },
    },
)
