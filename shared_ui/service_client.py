"""HTTP calls between the shop's apps: one connection pool, timeouts always, retries when safe.

The calls go through urllib3, the transport `requests` itself sends with: these calls need none
of what `requests` adds on top (sessions, cookies, auth, redirects, proxies, hooks), and on this
path it was two thirds of a call's CPU (bench/NOTES.md, seventh round). The answer is an `Answer`
with the few things callers read: `status_code`, `json()`, `url`.
"""

import itertools
import json as jsonlib
import time
from urllib.parse import urlencode

import urllib3

from shared_ui.edge import request_id
from shared_ui.metrics import SERVICE_CALLS

RETRY_STATUSES = frozenset({502, 503, 504})


class ServiceUnavailable(Exception):
    """The other app did not answer in time, or answered that it cannot serve."""


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
        timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.headers = {"X-Service-Token": service_token or ""}
        # One pool of kept-alive connections per instance (a gthread worker's threads share it). No
        # retries or redirects inside urllib3: `request` decides what may be tried again.
        # A base URL's own path (an app behind a prefix) goes before every call's.
        self.pools = {
            url: (
                urllib3.connection_from_url(url, maxsize=16, retries=False, timeout=timeout),
                (urllib3.util.parse_url(url).path or "").rstrip("/"),
            )
            for url in self.base_urls
        }

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
                response = self._send(method, base_url, path, headers, **kwargs)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
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

    def _send(self, method: str, base_url: str, path: str, headers: dict, *, params=None, json=None) -> Answer:
        if params:
            path = f"{path}?{urlencode(params)}"
        body = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            headers = {**headers, "Content-Type": "application/json"}
        pool, prefix = self.pools[base_url]
        answer = pool.urlopen(method.upper(), prefix + path, body=body, headers=headers, redirect=False)
        return Answer(answer.status, answer.data, base_url + path)
