"""One URL per resource: a whole page, or the named block an htmx request swaps."""

import json
from functools import wraps

from flask import make_response, redirect, render_template
from jinja2_fragments.flask import render_block
from markupsafe import Markup

from shared_ui.requests_kind import is_htmx_request, vary_on, wants_fragment


def render_page(template: str, block: str | None = None, http_status: int = 200, **context):
    """Render `template`; for an htmx fragment request and a `block`, render just that block.

    The answer's status is `http_status`, so that a template may have a `status` of its own (the
    status an order list is filtered by).
    """
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, http_status)
    vary_on(response, "HX-Request")
    return response


def hx_redirect(url: str):
    """Send the browser to `url`: HX-Redirect for htmx, a 303 otherwise."""
    if is_htmx_request():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def announce(body, message: str, status: int = 200):
    """An htmx answer with `message` for screen readers: shop.js puts it in the layout's live region.

    For answers that carry no markup of their own (a deleted row); fragments with markup call
    `announce_html` in their template instead. The header is JSON with non-ASCII escaped (headers are ASCII).
    """
    response = make_response(body, status)
    response.headers["HX-Trigger"] = json.dumps({"shop:announce": str(message)})
    return response


def announce_html(text) -> Markup:
    """Template global `announce(text)`: in an htmx fragment, `text` for screen readers.

    It goes out of band into the layout's live region #announcer, which stays in the page, so the
    change is read out (a live region swapped in with the content is not). A whole page says it
    all already: nothing then. The <template> keeps it valid inside table rows.
    """
    if not wants_fragment():
        return Markup("")
    return Markup('<template><div id="announcer" hx-swap-oob="innerHTML"><p>{}</p></div></template>').format(text)


def secret_link_page(view):
    """For a page whose address is a secret (a password reset or address restore link): no copy
    kept by the browser or a proxy, and no Referer carrying the address anywhere."""

    @wraps(view)
    def page(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return page
