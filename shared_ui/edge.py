"""What every answer of an app gets on its way out, as one WSGI middleware around the Flask app.

- its request id (nginx's X-Request-ID, or a new one) in the `X-Request-ID` header, and in the
  environ for the calls the request makes to the other apps (`request_id()`);
- no NUL in its query string (`%00` dropped): searches and filters on PostgreSQL would be a 500;
- the security headers the view did not set itself;
- `Vary: Accept-Language` on pages, which differ by language;
- `Cache-Control: no-store` on what a logged-in user is answered (unless the view chose its own),
  so that no copy of their pages is kept: after a logout on a shared computer, Back shows nothing;
- one request log line (shared_ui/request_log.py) and the request's metrics (shared_ui/metrics.py).

These were Flask request hooks. Out here they work on the environ and on the plain list of headers
`start_response` is given: no `flask.g`, `request` or werkzeug `Headers` (each proxy lookup or
header check a few microseconds), ~7% of a rendered catalog page's instructions (bench/NOTES.md,
tenth round). Flask calls `start_response` while the request context is still pushed, so the
route, the status and the user the request loaded are all known there.
"""

import logging
import os
import re
import time

from flask import has_request_context, request

from shared_ui.metrics import RequestMetrics
from shared_ui.request_log import log_request
from shared_ui.requests_kind import current_g, vary_with

LOGGER = logging.getLogger(__name__)
#: where the request's id is kept in the WSGI environ
REQUEST_ID = "shop.request_id"
#: an id taken from the X-Request-ID header (nginx's are 32 hex characters)
VALID_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Edge:
    """WSGI middleware: `app.wsgi_app = Edge(app.wsgi_app, app_name, security_headers)`."""

    def __init__(self, wsgi_app, app_name: str, security_headers: tuple[tuple[str, str], ...]):
        self.wsgi_app = wsgi_app
        self.app_name = app_name
        self.security_headers = security_headers
        self.metrics = RequestMetrics(app_name)

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        query = environ.get("QUERY_STRING", "")
        if "%00" in query:  # a NUL means nothing in any address of the shop, and PostgreSQL refuses it in text
            environ["QUERY_STRING"] = query.replace("%00", "")
        given = environ.get("HTTP_X_REQUEST_ID")
        request_id = given if given and VALID_ID.fullmatch(given) else os.urandom(16).hex()
        environ[REQUEST_ID] = request_id

        def start(status, headers, exc_info=None):
            user_id = _user_id()
            self._finish_headers(headers, request_id, user_id is not None)
            try:  # the record of an answer never fails the answer (a closed stderr, a metrics file)
                self._record(environ, request_id, status, time.perf_counter() - started, user_id)
            except Exception:
                LOGGER.exception("the request log or metrics failed for %s", request_id)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)

    def _record(self, environ, request_id: str, status: str, seconds: float, user_id: int | None) -> None:
        code = int(status[:3]) if status[:3].isdigit() else 0
        rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
        route = rule.rule if rule is not None else "unmatched"
        self.metrics.count(route, environ.get("REQUEST_METHOD", ""), code, seconds)
        log_request(self.app_name, request_id, environ, code, seconds, user_id)

    def _finish_headers(self, headers: list, request_id: str, personal: bool) -> None:
        present = {}
        for index, (name, _value) in enumerate(headers):
            present[name.lower()] = index
        headers.append(("X-Request-ID", request_id))
        if personal and "cache-control" not in present:
            headers.append(("Cache-Control", "no-store"))
        for name, value in self.security_headers:
            if name.lower() not in present:
                headers.append((name, value))
        content_type = present.get("content-type")
        if content_type is not None and headers[content_type][1].startswith("text/html"):
            vary = present.get("vary")
            if (value := vary_with(headers[vary][1] if vary is not None else None, "Accept-Language")) is None:
                return  # named already
            if vary is None:
                headers.append(("Vary", value))
            else:
                headers[vary] = ("Vary", value)


def _user_id():
    """The user the request loaded (only if it did: logging costs no lookup), or None."""
    if not has_request_context():
        return None
    user = getattr(current_g(), "_login_user", None)
    return user.id if user is not None and user.is_authenticated else None


def request_id() -> str | None:
    """This request's id (None outside a request), passed on to the apps it calls."""
    return request.environ.get(REQUEST_ID) if has_request_context() else None
