"""Prometheus metrics at /<app>/metrics (loopback only: nginx answers 404 from outside).

Under gunicorn each worker writes its samples to PROMETHEUS_MULTIPROC_DIR (set per app instance by
shopctl/gunicorn_conf.py) and a scrape adds them up; without it (tests, CLI) one process counts.
Apps add gauges computed at scrape time from their database with `add_collector`.
"""

import os
from collections.abc import Callable, Iterable

from flask import Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import Metric
from prometheus_client.registry import REGISTRY

REQUESTS = Counter("shop_http_requests_total", "HTTP requests answered", ["app", "route", "method", "status"])
LATENCY = Histogram(
    "shop_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["app", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
#: methods counted by name; any other shares the label "OTHER", so made-up methods cannot grow the series
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SERVICE_CALLS = Counter("shop_service_calls_total", "Calls to the shop's other apps", ["target", "outcome"])

MetricSource = Callable[[], Iterable[Metric]]


class _AppCollector:
    """Runs an app's scrape-time sources (inside the app context of the scrape)."""

    def __init__(self, sources: list[MetricSource]):
        self.sources = sources

    def collect(self):
        for source in self.sources:
            yield from source()


def add_collector(app, source: MetricSource) -> None:
    """Add `source()` -> metric families, computed at each scrape (e.g. orders by status)."""
    app.extensions.setdefault("shop_metric_sources", []).append(source)


class RequestMetrics:
    """An app's request counter and latency histogram, counted by shared_ui/edge.py per answer."""

    def __init__(self, app_name: str):
        self.app_name = app_name
        # (route, method, status) -> its counter and its route's histogram: labels() validates and
        # looks them up under a lock on every call (~4 µs a request); routes, methods and statuses are few.
        self.series: dict[tuple[str, str, int], tuple] = {}

    def count(self, route: str, method: str, status: int, seconds: float) -> None:
        method = method if method in KNOWN_METHODS else "OTHER"
        key = (route, method, status)
        counted = self.series.get(key)
        if counted is None:
            counted = self.series.setdefault(
                key, (REQUESTS.labels(self.app_name, route, method, str(status)), LATENCY.labels(self.app_name, route))
            )
        counted[0].inc()
        counted[1].observe(seconds)


def init_metrics(app) -> None:
    """The app's /<app>/metrics; the requests themselves are counted by shared_ui/edge.py."""
    app.add_url_rule(f"/{app.config['APP_NAME']}/metrics", "metrics", _metrics)


def _metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    computed = CollectorRegistry(auto_describe=False)
    computed.register(_AppCollector(current_app.extensions.get("shop_metric_sources", [])))
    return Response(generate_latest(counted) + generate_latest(computed), mimetype=CONTENT_TYPE_LATEST)
