"""HTTP calls between the shop's apps: kept-alive connections, timeouts always, retries when safe.

The calls go through libcurl (pycurl): a call costs its caller ~35-50 µs of CPU, against ~165-220
with urllib3 (about half of it in http.client, whose header parsing goes through the `email` package)
and more with `requests` on top (bench/NOTES.md, seventh and eleventh rounds). An order is such a
call, and so is every check of who is logged in that the cache does not answer. The answer is an
`Answer` with the few things callers read: `status_code`, `json()`, `url`.
"""

import io
import itertools
import json as jsonlib
import threading
import time
from urllib.parse import urlencode, urlsplit

import pycurl

from shared_ui.edge import request_id
from shared_ui.metrics import SERVICE_CALLS

RETRY_STATUSES = frozenset({502, 503, 504})


class ServiceUnavailable(Exception):
    """The other app did not answer in time, or answered that it cannot serve."""


class NoAnswer(Exception):
    """The call got no HTTP answer: refused, reset, or out of time."""


class Answer:
    """One answer from another app: its status, its body and the URL it came from."""

    __slots__ = ("content", "status_code", "url")

    def __init__(self, status_code: int, content: bytes, url: str):
        self.status_code = status_code
        self.content = content
        self.url = url

    def json(self):
        """The body as JSON; ValueError when it is not JSON."""
        return jsonlib.loads(self.content)

    def __repr__(self) -> str:
        return f"<Answer {self.status_code} {self.url}>"


class ServiceClient:
    """A client for one of the shop's own apps, authenticated with the service token."""

    def __init__(
        self,
        base_url: str,
        service_token: str,
        *,
        connect_timeout: float = 1.0,
        read_timeout: float = 3.0,
        retries: int = 2,
        backoff: float = 0.1,
        name: str = "",
    ):
        # Several instances: a comma-separated list, tried in turn from a rotating start.
        self.base_urls = [url.strip().rstrip("/") for url in base_url.split(",") if url.strip()]
        self.base_url = self.base_urls[0]
        self.name = name or self.base_url.rsplit("/", 1)[-1]
        self._rotation = itertools.count()
        self.retries = retries
        self.backoff = backoff
        self.headers = {"X-Service-Token": service_token or ""}
        # One pool of kept-alive connections per instance (a gthread worker's threads share it). No
        # redirects; `request` decides what may be tried again (libcurl's own resend: see CurlPool).
        self.pools = {url: CurlPool(url, connect_timeout, read_timeout) for url in self.base_urls}

    def request(self, method: str, path: str, *, idempotent: bool, **kwargs) -> Answer:
        """Send one call; an idempotent one is retried with backoff on connection errors and 5xx.

        Raises ServiceUnavailable when no answer came, or the last answer was a 502/503/504.
        """
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if (given := request_id()) is not None:
            headers.setdefault("X-Request-ID", given)
        attempts = max(1 + self.retries, len(self.base_urls)) if idempotent else 1
        start = next(self._rotation)
        for attempt in range(attempts):
            base_url = self.base_urls[(start + attempt) % len(self.base_urls)]
            if attempt >= len(self.base_urls):  # every instance tried once: back off before the next round
                time.sleep(self.backoff * 2 ** (attempt - len(self.base_urls)))
            try:
                response = self._send(method, base_url, path, headers, fresh=not idempotent, **kwargs)
            except NoAnswer as exc:
                error = exc
                SERVICE_CALLS.labels(self.name, "no_answer").inc()
                continue
            if response.status_code in RETRY_STATUSES or (idempotent and response.status_code >= 500):
                error = f"{response.status_code} from {path}"
                SERVICE_CALLS.labels(self.name, "server_error").inc()
                continue
            SERVICE_CALLS.labels(self.name, "ok" if response.status_code < 400 else "client_error").inc()
            return response
        raise ServiceUnavailable(f"{method} {self.name}{path}: {error}")

    def _send(
        self, method: str, base_url: str, path: str, headers: dict, *, fresh: bool, params=None, json=None
    ) -> Answer:
        if params:
            path = f"{path}?{urlencode(params)}"
        body = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            headers = {**headers, "Content-Type": "application/json"}
        status, content = self.pools[base_url].urlopen(method.upper(), path, body=body, headers=headers, fresh=fresh)
        return Answer(status, content, base_url + path)


class CurlPool:
    """Calls to one base URL (its path goes before every call's) over kept-alive connections.

    A libcurl handle serves one call at a time and keeps its connection open for the next: a
    worker's threads take one each from a stack (the most recently used, whose connection is the
    least likely to have been closed), and at most `maxsize` idle ones are kept. Like a browser,
    libcurl sends a call again on a new connection when the kept-alive one turns out closed before
    any answer came, even if the other app had read it: a call that must go at most once is sent
    `fresh`, on a connection of its own (docs/conventions.md).
    """

    #: a kept-alive connection is not used after this long (gunicorn closes idle ones after 75 s)
    MAX_AGE_SECONDS = 60

    def __init__(self, base_url: str, connect_timeout: float, read_timeout: float, maxsize: int = 16):
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path.rstrip("/")
        # libcurl limits the whole call, connect included: the read timeout is that limit (a connect
        # to another app takes well under a millisecond), and the connect timeout the connect's
        self.connect_ms = max(1, round(connect_timeout * 1000))
        self.total_ms = max(1, round(read_timeout * 1000))
        self.maxsize = maxsize
        self.idle: list[pycurl.Curl] = []
        self.lock = threading.Lock()

    def urlopen(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, fresh: bool = False
    ) -> tuple[int, bytes]:
        """(status, body) of one call, any status; NoAnswer when none came. `fresh`: on a new connection,
        closed afterwards, so that libcurl never sends the call twice."""
        if method in ("GET", "HEAD") and body is not None:
            raise ValueError(f"a {method} call has no body")
        with self.lock:
            handle = self.idle.pop() if self.idle else None
        if handle is None:
            handle = pycurl.Curl()
        content = io.BytesIO()
        try:
            handle.reset()  # every option back to its default; the open connection stays
            handle.setopt(pycurl.URL, self.origin + self.prefix + path)
            handle.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
            handle.setopt(pycurl.PROXY, "")  # straight to the app, whatever http_proxy says
            handle.setopt(pycurl.NOSIGNAL, 1)  # timeouts without signals: the caller is one of many threads
            handle.setopt(pycurl.CONNECTTIMEOUT_MS, self.connect_ms)
            handle.setopt(pycurl.TIMEOUT_MS, self.total_ms)
            handle.setopt(pycurl.MAXAGE_CONN, self.MAX_AGE_SECONDS)
            if fresh:
                handle.setopt(pycurl.FRESH_CONNECT, 1)
                handle.setopt(pycurl.FORBID_REUSE, 1)
            lines = [f"{name}: {value}" for name, value in (headers or {}).items()]
            handle.setopt(pycurl.HTTPHEADER, [*lines, "Expect:"])  # a body goes at once, no "100 Continue" wait
            if method == "HEAD":
                handle.setopt(pycurl.NOBODY, 1)
            elif method != "GET":
                handle.setopt(pycurl.CUSTOMREQUEST, method)
                if body is not None or method in ("POST", "PUT", "PATCH"):
                    handle.setopt(pycurl.POSTFIELDS, body or b"")
            handle.setopt(pycurl.WRITEDATA, content)
            handle.perform()
            status = handle.getinfo(pycurl.RESPONSE_CODE)
        except pycurl.error as error:
            handle.close()  # its connection is in an unknown state: not kept
            raise NoAnswer(f"{method} {self.origin}{self.prefix}{path}: {error.args[-1]}") from None
        except BaseException:
            handle.close()  # e.g. a header libcurl cannot take: not kept either
            raise
        with self.lock:
            if len(self.idle) < self.maxsize:
                self.idle.append(handle)
                handle = None
        if handle is not None:
            handle.close()
        return status, content.getvalue()
