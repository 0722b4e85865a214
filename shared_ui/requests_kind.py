"""What kind of request this is: API, htmx fragment, or a page."""

from flask import request


def is_api_request() -> bool:
    """True for /<app>/api/... paths, which speak JSON and take only bearer tokens."""
    parts = request.path.split("/", 3)
    return len(parts) > 2 and parts[2] == "api"


def header(name: str) -> str:
    """The request's header `name` ("" when absent), read from the WSGI environ: werkzeug's
    `request.headers.get` raises and catches an exception for every header that is not there,
    which the request hooks asked for several times on every request."""
    return request.environ.get("HTTP_" + name.upper().replace("-", "_"), "")


def is_htmx_request() -> bool:
    return header("HX-Request").lower() == "true"


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page (not boosted, not a history restore)."""
    return (
        is_htmx_request()
        and header("HX-Boosted").lower() != "true"
        and header("HX-History-Restore-Request").lower() != "true"
    )


def vary_on(response, name: str) -> None:
    """Add request header `name` to the response's Vary: `response.vary.add` without werkzeug's
    parse of the header into a set and its rewrite (~3.5 µs, twice on every page)."""
    present = response.headers.get("Vary")
    if not present:
        response.headers["Vary"] = name
    elif name.lower() not in (part.strip().lower() for part in present.split(",")):
        response.headers["Vary"] = f"{present}, {name}"
