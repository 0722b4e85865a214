"""One URL per resource: a whole page, or the named block an htmx request swaps."""

from flask import make_response, redirect, render_template
from jinja2_fragments.flask import render_block

from shared_ui.requests_kind import is_htmx_request, wants_fragment


def render_page(template: str, block: str | None = None, status: int = 200, **context):
    """Render `template`; for an htmx fragment request and a `block`, render just that block."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def hx_redirect(url: str):
    """Send the browser to `url`: HX-Redirect for htmx, a 303 otherwise."""
    if is_htmx_request():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)
