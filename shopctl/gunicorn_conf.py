"""gunicorn settings for the shop's apps (the Procfile passes -c this file and -b the port).

Chosen by measurement (`make bench`, bench/NOTES.md): gthread with 2 workers x 4 threads per app
(users: 1 x 8), each worker kept to its share of the cores, the app imported once in the master
(preload) with the garbage collector frozen before the fork, so the workers share the master's
pages instead of each holding a copy of Flask, SQLAlchemy and Jinja: about 490 MiB for the whole
shop without preloading, under 400 MiB with it.
"""

import collections
import contextlib
import ctypes
import gc
import os
import shutil
from pathlib import Path

# Threads serve the short waits on SQLite and on the other apps; two processes use both cores.
# users_app is the exception: its heavy work is argon2, which runs in C without holding the GIL,
# so one process with more threads hashes on both cores, and a second process would only add its
# memory (~45 MiB; the shop measured 378 instead of 404 MiB with it, bench/NOTES.md). The Procfile
# names the app in SHOP_APP; <APP>_WORKERS / <APP>_THREADS, then SHOP_WORKERS / SHOP_THREADS override.
APP_DEFAULTS = {"users": (1, 8)}
_app = os.environ.get("SHOP_APP", "")
_workers, _threads = APP_DEFAULTS.get(_app, (2, 4))
worker_class = "gthread"
workers = int(os.environ.get(f"{_app.upper()}_WORKERS") or os.environ.get("SHOP_WORKERS") or _workers)
threads = int(os.environ.get(f"{_app.upper()}_THREADS") or os.environ.get("SHOP_THREADS") or _threads)
preload_app = True
# An app's workers share the cores out among themselves, each kept to its share: on two cores, one
# core each. A process's threads take turns on the GIL, and spread over two cores every handover
# wakes the other core. Measured side by side in five runs (bench/NOTES.md, fourth round): the hello
# world behind nginx +20% req/s (median), the shop's own paths 0 to +5% (median; -15..+14% by run).
# An app with a single worker (users, for argon2's threads) keeps every core. SHOP_PIN_WORKERS=0:
# no pinning.
pin_workers = os.environ.get("SHOP_PIN_WORKERS", "1") != "0"
# Far above the apps' own timeouts for calls to each other (1 s connect, 3 s read).
timeout = 30
graceful_timeout = 10
keepalive = 75  # longer than nginx's upstream keepalive, so nginx closes first
# nginx bounds a request's first line (large_client_header_buffers: 8 KiB) and answers a longer one
# itself (414, nginx.conf); gunicorn's own limit (4 KiB by default) refused with a bare text page
# what nginx let through, a search or an API list with 4-8 KiB of query.
limit_request_line = 8190  # gunicorn's most; nginx's 8 KiB less the line's end
accesslog = None  # the apps write one JSON line per request themselves
errorlog = "-"
control_socket_disable = True  # gunicorn 27 otherwise opens a shared control socket

# Blocks of 1 MiB or more (argon2's 19 MiB) are mapped and unmapped on their own instead of staying
# in the malloc arena of the thread that used them; set in the master, inherited across the fork.
with contextlib.suppress(OSError):  # not glibc: nothing to tune
    ctypes.CDLL("libc.so.6").mallopt(-3, 1024 * 1024)  # M_MMAP_THRESHOLD

# Prometheus picks its multiprocess mode when it is imported, which preloading does in the master
# before any hook runs: this master's workers write their samples to a folder named now.
_METRICS = Path(os.environ.get("SHOP_VAR_DIR", "var")) / "metrics" / f"gunicorn-{os.getpid()}"
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_METRICS)


def on_starting(server):
    shutil.rmtree(_METRICS, ignore_errors=True)
    _METRICS.mkdir(parents=True)


def when_ready(server):
    """Before the first fork: compile every template and configure the mappers once, for all workers."""
    from sqlalchemy.orm import configure_mappers

    app = server.app.wsgi()
    configure_mappers()
    for name in app.jinja_env.list_templates():
        if name.endswith(".html"):
            app.jinja_env.get_template(name)


def pre_fork(server, worker):
    """Keep the preloaded objects out of the workers' collections: touching them would copy their pages.

    Also gives the new worker its share of the cores: the slot (0 .. workers - 1) the fewest live
    workers hold, so a worker that replaces one takes the cores it left.
    """
    gc.freeze()
    if pin_workers and server.num_workers > 1 and len(os.sched_getaffinity(0)) > 1:
        taken = collections.Counter(getattr(other, "shop_slot", None) for other in server.WORKERS.values())
        worker.shop_slot = min(range(server.num_workers), key=lambda slot: (taken[slot], slot))


def cores_of(slot: int, workers: int, cores: list[int]) -> set[int]:
    """Worker `slot`'s share: every `workers`-th core from its own, or one core when there are more workers."""
    if workers >= len(cores):
        return {cores[slot % len(cores)]}
    return set(cores[slot::workers])


def post_fork(server, worker):
    """The worker on its cores; no pooled database connection crosses the fork (SQLAlchemy's advice)."""
    if hasattr(worker, "shop_slot"):
        share = cores_of(worker.shop_slot, server.num_workers, sorted(os.sched_getaffinity(0)))
        with contextlib.suppress(OSError):  # the cores allowed changed meanwhile: run unpinned
            os.sched_setaffinity(0, share)
    app = server.app.wsgi()
    extension = getattr(app, "extensions", {}).get("sqlalchemy")
    if extension is not None:
        with app.app_context():
            for engine in extension.engines.values():
                engine.dispose(close=False)


def child_exit(server, worker):
    """A worker that is gone no longer counts in live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    shutil.rmtree(_METRICS, ignore_errors=True)
