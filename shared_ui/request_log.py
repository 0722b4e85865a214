"""One JSON log line per request, carrying the X-Request-ID that nginx assigns."""

import json
import logging
import sys
import time
import uuid

from flask import g, request

log = logging.getLogger("shop.request")


def init_request_log(app, app_name: str) -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    @app.before_request
    def _start():
        g.request_id = _valid_id(request.headers.get("X-Request-ID")) or uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        started = g.get("request_started")
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "app": app_name,
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "user_id": _user_id(),
        }
        log.info(json.dumps(line))
        return response


def _valid_id(value: str | None) -> str | None:
    if value and len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value):
        return value
    return None


def _user_id():
    user = g.get("_login_user")  # only when the request already loaded it: logging costs no lookup
    return user.id if user is not None and user.is_authenticated else None
