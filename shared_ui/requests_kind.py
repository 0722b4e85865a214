"""What kind of request this is: API, htmx fragment, or a page."""

from flask import g, request

#: the function behind the `flask.g` proxy: reading through the proxy costs ~1.7 µs, this ~0.1 µs
current_g = g._get_current_object


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
    value = vary_with(response.headers.get("Vary"), name)
    if value is not None:
        response.headers["Vary"] = value


def vary_with(present: str | None, name: str) -> str | None:
    """The Vary value `present` with `name` added, or None when it names it already."""
    if not present:
        return name
    if name.lower() in (part.strip().lower() for part in present.split(",")):
        return None
    return f"{present}, {name}"
