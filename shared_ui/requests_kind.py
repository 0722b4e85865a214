"""What kind of request this is: API, htmx fragment, or a page."""

from flask import request


def is_api_request() -> bool:
    """True for /<app>/api/... paths, which speak JSON and take only bearer tokens."""
    parts = request.path.split("/", 3)
    return len(parts) > 2 and parts[2] == "api"


def is_htmx_request() -> bool:
    return request.headers.get("HX-Request", "").lower() == "true"


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page (not boosted, not a history restore)."""
    headers = request.headers
    return (
        is_htmx_request()
        and headers.get("HX-Boosted", "").lower() != "true"
        and headers.get("HX-History-Restore-Request", "").lower() != "true"
    )
