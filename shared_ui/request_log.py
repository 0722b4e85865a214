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

STDERR = 2
#: a path longer than this is cut in the log line: 300 characters escaped at worst as a surrogate
#: pair (\ud83d\ude00, 12 bytes) are 3,600 bytes, so the whole line stays under PIPE_BUF (4,096)
PATH_MAX = 300


def emit(line: dict) -> None:
    data = (json.dumps(line) + "\n").encode()
    while data:  # a regular file or a pipe takes it in one go; a signal could cut a write short
        data = data[os.write(STDERR, data) :]


def log_request(app_name: str, request_id: str, environ: dict, status: int, seconds: float, user_id) -> None:
    """The request's line (shared_ui/edge.py calls it as the answer starts)."""
    emit(
        {
            "ts": _now(),
            "app": app_name,
            "request_id": request_id,
            "method": environ.get("REQUEST_METHOD", "GET").upper(),
            "path": _loggable(_path(environ))[:PATH_MAX],
            "status": status,
            "ms": round(seconds * 1000, 1),
            "user_id": user_id,
        }
    )


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _path(environ: dict) -> str:
    """The path as werkzeug's `request.path` gives it: PATH_INFO's bytes read as UTF-8."""
    path = environ.get("PATH_INFO") or ""
    return "/" + path.encode("latin-1").decode("utf-8", "replace").lstrip("/")


#: paths whose last part is a secret (a password reset, address confirmation or restore link's token):
#: logged without it
SECRET_PATHS = ("/users/password/reset/", "/users/email/confirm/", "/users/email/restore/")


def _loggable(path: str) -> str:
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "(token)"
    return path
