"""HTTP calls between the shop's apps: one pooled session, timeouts always, retries when safe."""

import itertools
import time

import requests
from flask import g, has_request_context
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar, merge_cookies
from requests.hooks import default_hooks
from requests.sessions import merge_hooks
from requests.structures import CaseInsensitiveDict

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
                response = self._send(method, base_url + path, headers, **kwargs)
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

    def _send(self, method: str, url: str, headers: dict, *, params=None, json=None) -> requests.Response:
        """What `Session.request` does for these calls, without its per-call merging of settings this
        session never has (trust_env is off; no proxies, auth or params of its own): requests checks
        each setting against a runtime protocol, slow on Python 3.11 (a third of the call's CPU). The
        session's headers, cookies and hooks still apply, and its send does the rest."""
        session = self.session
        merged = CaseInsensitiveDict(session.headers)
        merged.update(headers)
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=method.upper(),
            url=url,
            headers={name: value for name, value in merged.items() if value is not None},
            params=params or {},
            json=json,
            cookies=merge_cookies(RequestsCookieJar(), session.cookies),
            hooks=merge_hooks(default_hooks(), session.hooks),
        )
        return session.send(
            prepared,
            timeout=self.timeout,
            allow_redirects=True,
            proxies=dict(session.proxies),
            stream=session.stream,
            verify=session.verify,
            cert=session.cert,
        )
