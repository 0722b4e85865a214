"""gunicorn settings for the shop's apps (the Procfile passes -c this file and -b the port)."""

import os

# Threads serve the short waits on SQLite and on the other apps; two processes use both cores.
worker_class = "gthread"
workers = int(os.environ.get("SHOP_WORKERS", "2"))
threads = int(os.environ.get("SHOP_THREADS", "4"))
# Far above the apps' own timeouts for calls to each other (1 s connect, 3 s read).
timeout = 30
graceful_timeout = 10
keepalive = 75  # longer than nginx's upstream keepalive, so nginx closes first
accesslog = None  # the apps write one JSON line per request themselves
errorlog = "-"
control_socket_disable = True  # gunicorn 27 otherwise opens a shared control socket


def on_starting(server):
    """Give this app instance a fresh folder for its workers' Prometheus samples."""
    import shutil
    from pathlib import Path

    port = str(server.cfg.bind[0]).rsplit(":", 1)[-1]
    var_dir = Path(os.environ.get("SHOP_VAR_DIR", "var"))
    folder = var_dir / "metrics" / f"{server.cfg.proc_name.split(':')[0]}-{port}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def child_exit(server, worker):
    """A worker that is gone no longer counts in live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
