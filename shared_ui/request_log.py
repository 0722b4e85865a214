"""One JSON log line per request on standard error, carrying the X-Request-ID that nginx assigns.

Each line goes straight to file descriptor 2 in one write(2): every thread's lines arrive whole (a
write to a pipe of at most PIPE_BUF bytes, or to a file opened for appending, is not interleaved;
the path is cut so a line stays under 4,096 bytes even with every character escaped), and a request
does not pay for the logging module's record, handler lock and flush (make bench: about a tenth of
a webhook delivery's CPU went there). Where standard error goes is still the process manager's
choice.
"""

import json
import os
import time
import uuid

from flask import g, request

from shared_ui.requests_kind import header

STDERR = 2
#: a path longer than this is cut in the log line: 300 characters escaped at worst as a surrogate
#: pair (\ud83d\ude00, 12 bytes) are 3,600 bytes, so the whole line stays under PIPE_BUF (4,096)
PATH_MAX = 300


def emit(line: dict) -> None:
    data = (json.dumps(line) + "\n").encode()
    while data:  # a regular file or a pipe takes it in one go; a signal could cut a write short
        data = data[os.write(STDERR, data) :]


def init_request_log(app, app_name: str) -> None:
    @app.before_request
    def _start():
        g.request_id = _valid_id(header("X-Request-ID")) or uuid.uuid4().hex
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
            "path": _loggable(request.path)[:PATH_MAX],
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "user_id": _user_id(),
        }
        emit(line)
        return response


def _valid_id(value: str | None) -> str | None:
    if value and len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value):
        return value
    return None


def _user_id():
    user = g.get("_login_user")  # only when the request already loaded it: logging costs no lookup
    return user.id if user is not None and user.is_authenticated else None


#: paths whose last part is a secret (a password reset link's token): logged without it
SECRET_PATHS = ("/users/password/reset/",)


def _loggable(path: str) -> str:
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "(token)"
    return path
