"""HTTP calls between the shop's apps: one pooled session, timeouts always, retries when safe."""

import itertools
import time

import requests
from flask import g, has_request_context
from requests.adapters import HTTPAdapter

from shared_ui.metrics import SERVICE_CALLS

RETRY_STATUSES = frozenset({502, 503, 504})


class ServiceUnavailable(Exception):
    """The other app did not answer in time, or answered that it cannot serve."""


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
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.session = requests.Session()
        self.session.trust_env = False  # loopback calls: no proxy settings or ~/.netrc to read each time
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["X-Service-Token"] = service_token or ""

    def request(self, method: str, path: str, *, idempotent: bool, **kwargs) -> requests.Response:
        """Send one call; an idempotent one is retried with backoff on connection errors and 5xx.

        Raises ServiceUnavailable when no answer came, or the last answer was a 502/503/504.
        """
        headers = kwargs.pop("headers", {})
        if has_request_context() and "request_id" in g:
            headers.setdefault("X-Request-ID", g.request_id)
        attempts = max(1 + self.retries, len(self.base_urls)) if idempotent else 1
        start = next(self._rotation)
        for attempt in range(attempts):
            base_url = self.base_urls[(start + attempt) % len(self.base_urls)]
            if attempt >= len(self.base_urls):  # every instance tried once: back off before the next round
                time.sleep(self.backoff * 2 ** (attempt - len(self.base_urls)))
            try:
                response = self.session.request(
                    method, base_url + path, headers=headers, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as exc:
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
