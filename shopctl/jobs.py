"""The `jobs` process: each app's periodic work (hold sweeper, overdue orders, payment reconcile).

Each app may define `<app>.jobs.PERIODIC`: a list of (name, every_seconds, function). Every
function runs inside its app's context and must be safe when two copies run at once.
"""

import importlib
import json
import logging
import signal
import sys
import threading
import time

import requests

log = logging.getLogger("shop.jobs")
APPS = ("inventory_app", "users_app", "orders_app")
TICK_SECONDS = 1.0
#: at a stop, runs in flight get this long to end (honcho kills after 5 s)
STOP_GRACE_SECONDS = 4.0
#: a run still going after this long is logged as stuck (the budgets of the orders' jobs are 30-45 s)
STUCK_SECONDS = 300


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


def wait_for_apps(jobs: list[tuple], stopping: threading.Event, timeout: float = 180) -> None:
    """Start no job before its app serves: its migrations ran (a job's write lock must not race them)."""
    pending = {app.config["APP_NAME"]: app.config[f"{app.config['APP_NAME'].upper()}_URL"] for app, *_ in jobs}
    deadline = time.monotonic() + timeout
    while pending and not stopping.is_set() and time.monotonic() < deadline:
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
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    jobs = load_jobs()
    log.info(json.dumps({"app": "jobs", "event": "started", "jobs": sorted(name for _, name, _, _ in jobs)}))
    run_jobs(jobs, stopping)


def run_jobs(jobs: list[tuple], stopping: threading.Event) -> None:
    """Run every job on a thread of its own until `stopping` is set, then wait a little for runs in flight.

    A job waits only for its own app and its own calls: a run of the sweeper stuck on an inventory
    that accepts connections and never answers holds up neither the e-mail nor inventory's hold
    sweeper nor reconcile (they ran one after the other on one thread, so each waited out the
    others' timeouts), and at a start users' and orders' jobs do not wait for a hung inventory to serve.
    """
    in_flight: dict[str, float] = {}  # job name -> when its run in flight started (monotonic)
    threads = [
        threading.Thread(target=_every, args=(job, stopping, in_flight), name=job[1], daemon=True) for job in jobs
    ]
    for thread in threads:
        thread.start()
    said: set[tuple[str, float]] = set()
    while not stopping.wait(TICK_SECONDS):  # (a timeout, so that the signal handler gets to run)
        for name, started in list(in_flight.items()):
            # Every call a job makes has a timeout, but one on a socket that trickles bytes can go on:
            # the operator is told once per stuck run (the other jobs go on regardless).
            if time.monotonic() - started > STUCK_SECONDS and (name, started) not in said:
                said.add((name, started))
                log.warning(json.dumps({"app": "jobs", "event": "job_stuck", "job": name, "seconds": STUCK_SECONDS}))
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))  # a run in flight ends; its database work commits


def _every(job: tuple, stopping: threading.Event, in_flight: dict[str, float]) -> None:
    """One job: a run, then the rest of its period (from the run's start), until stopping."""
    app, name, every, function = job
    wait_for_apps([job], stopping)
    while not stopping.is_set():
        started = in_flight[name] = time.monotonic()
        try:
            with app.app_context():
                result = function()
            if result:
                log.info(json.dumps({"app": "jobs", "job": name, "result": result}, default=str))
        except Exception:  # a failing run must not end its job: it runs again next time
            log.exception("job %s failed", name)
        finally:
            del in_flight[name]
        stopping.wait(max(0.0, started + every - time.monotonic()))


if __name__ == "__main__":
    run_forever()
