"""Small builders for the apps' OpenAPI 3.1 documents, so each app writes only its own paths."""

from shared_ui.api import DEFAULT_PER_PAGE, MAX_PER_PAGE
from shared_ui.numbers import MAX_PAGE


def error_shape(**more) -> dict:
    """The JSON API's error answer (DESIGN "JSON API"): {"error": {code, message, field?}}, with `more`
    properties beside them where an error says more (what is left in stock, the minimum charge)."""
    properties = {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}, **more}
    return {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": properties}},
    }


ERROR = error_shape()
DESCRIPTIONS = {
    400: "Malformed request",
    401: "No valid bearer token",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    410: "Gone",
    413: "Body too large (over 1 MiB; a picture over 6 MiB)",
    422: "Invalid field",
    429: "Too many requests",
    503: "A service this one depends on is down",
}


def document(title: str, server: str, *, schemas: dict, paths: dict) -> dict:
    for item in paths.values():
        for operation in item.values():
            if "requestBody" in operation:  # a body over the limit is a 413, whatever the operation
                operation["responses"].setdefault("413", error_responses(413)["413"])
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0"},
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, **schemas},
        },
        "paths": paths,
    }


def ok(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


#: on a 429 or 503, from an app or from nginx
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer", "minimum": 1}}
}


def error_responses(*statuses: int) -> dict:
    responses = {str(s): ok({"$ref": "#/components/schemas/Error"}, DESCRIPTIONS[s]) for s in statuses}
    for status in ("429", "503"):
        if status in responses:
            responses[status]["headers"] = RETRY_AFTER
    return responses


def paged(item_schema: dict | None = None, envelope: bool = False):
    """The ?page/?per_page parameters, or (envelope=True) the list envelope around item_schema."""
    if envelope:
        return {
            "type": "object",
            "required": ["items", "page", "per_page", "total"],
            "properties": {
                "items": {"type": "array", "items": item_schema},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
            },
        }
    return [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
        {
            "name": "per_page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        },
    ]
