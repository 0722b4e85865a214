"""The `jobs` process: each app's periodic work (hold sweeper, overdue orders, payment reconcile).

Each app may define `<app>.jobs.PERIODIC`: a list of (name, every_seconds, function). Every
function runs inside its app's context and must be safe when two copies run at once.
"""

import importlib
import json
import logging
import signal
import sys
import time

import requests

log = logging.getLogger("shop.jobs")
APPS = ("inventory_app", "users_app", "orders_app")
TICK_SECONDS = 1.0


def load_jobs() -> list[tuple]:
    jobs = []
    for package in APPS:
        try:
            module = importlib.import_module(f"{package}.jobs")
        except ModuleNotFoundError as error:
            if error.name != f"{package}.jobs":
                raise
            continue
        app = importlib.import_module(package).create_app()
        jobs += [(app, name, every, function) for name, every, function in module.PERIODIC]
    return jobs


def wait_for_apps(jobs: list[tuple], stopping: list, timeout: float = 180) -> None:
    """Start no job before its app serves: its migrations ran (a job's write lock must not race them)."""
    pending = {app.config["APP_NAME"]: app.config[f"{app.config['APP_NAME'].upper()}_URL"] for app, *_ in jobs}
    deadline = time.monotonic() + timeout
    while pending and not stopping and time.monotonic() < deadline:
        for name, urls in list(pending.items()):
            url = urls.split(",")[0].rstrip("/")
            try:
                if requests.get(f"{url}/{name}/healthz", timeout=2).status_code == 200:
                    del pending[name]
            except requests.RequestException:
                pass
        if pending:
            time.sleep(0.5)


def run_forever() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    jobs = load_jobs()
    wait_for_apps(jobs, stopping)
    next_run = {name: 0.0 for _, name, _, _ in jobs}
    log.info(json.dumps({"app": "jobs", "event": "started", "jobs": sorted(next_run)}))
    while not stopping:
        for app, name, every, function in jobs:
            if time.monotonic() < next_run[name]:
                continue
            next_run[name] = time.monotonic() + every
            try:
                with app.app_context():
                    result = function()
                if result:
                    log.info(json.dumps({"app": "jobs", "job": name, "result": result}, default=str))
            except Exception:  # one failing job must not stop the others; it runs again next time
                log.exception("job %s failed", name)
        time.sleep(TICK_SECONDS)


if __name__ == "__main__":
    run_forever()
