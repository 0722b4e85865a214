"""Pages nginx may keep for a moment and hand to every visitor who is not logged in.

The catalog is what most visitors read, most of them not logged in, and it is the same for all of
them. A view marked `@shared_for_visitors` lets nginx keep its answer for `SHOP_PAGE_CACHE_SECONDS`
(1 s by default; 0 turns it off) through `X-Accel-Expires`, which nginx reads and never passes on.
So a burst of visitors costs one rendering a second, and stock shown to a visitor who is not logged
in can be that much behind; ordering re-checks stock at the hold, and logged-in customers always
get a fresh page.

A response is marked only when it cannot carry anything of one visitor: the request sent no
cookie at all (no session, so no flash message, no chosen language, no login), nobody is logged in,
the rendering did not start a session (a CSRF token would), and the status is 200. nginx keys the
copy on the URL, the htmx headers and Accept-Language, and bypasses its cache for any request with
a cookie or an Authorization header (nginx.conf), so each side refuses on its own.
"""

from functools import wraps

from flask import current_app, make_response, request, session
from flask_login import current_user

#: the header nginx takes as "keep this answer for N seconds" (and strips from what it sends on)
NGINX_EXPIRES = "X-Accel-Expires"


def shared_for_visitors(view):
    """Mark the view's answer shareable for a moment when nothing in it belongs to one visitor."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        seconds = current_app.config["SHOP_PAGE_CACHE_SECONDS"]
        if seconds > 0 and _anonymous_and_untouched(response):
            response.headers[NGINX_EXPIRES] = str(seconds)
        return response

    return wrapper


def _anonymous_and_untouched(response) -> bool:
    return (
        response.status_code == 200
        and not request.cookies
        and "Authorization" not in request.headers
        and not current_user.is_authenticated
        and not session.modified
        and "Set-Cookie" not in response.headers
    )
