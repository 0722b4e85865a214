"""The two background loops of the emulator's one process: the expiry sweeper and the webhook
dispatcher. Started by `create_app` (in the gunicorn worker, after the fork) and restarted if the
process finds itself forked with dead threads (e.g. under `--preload`)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from . import ledger, payments, storage
from .config import Settings
from .delivery import WebhookDispatcher
from .storage import Store

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 60.0


class Background:
    """Owns the sweeper and dispatcher threads."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.dispatcher = WebhookDispatcher(settings, store)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pid: int | None = None
        self._start_lock = threading.Lock()
        self._last_purge = 0.0

    def start(self) -> None:
        """Start both loops (once per process)."""
        with self._start_lock:
            if self._pid == os.getpid() and all(t.is_alive() for t in self._threads):
                return
            if self._pid is not None and self._pid != os.getpid():
                self.dispatcher = WebhookDispatcher(self.settings, self.store)
            self._stop.clear()
            self._pid = os.getpid()
            self._threads = [
                self._loop("stripe-emulator-sweeper", self.sweep_once, self.settings.sweep_interval_seconds),
                self._loop("stripe-emulator-dispatcher", self.dispatcher.dispatch_due,
                           self.settings.delivery_poll_seconds),
            ]

    def ensure_running(self) -> None:
        """Cheap check before each request; restarts the loops in a forked child."""
        if self._pid != os.getpid() or not all(t.is_alive() for t in self._threads):
            self.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loops (tests and clean shutdowns)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self.dispatcher.shutdown()

    def sweep_once(self) -> None:
        """Expire due sessions, fail lapsed boletos, forget old idempotency keys."""
        with self.store.transaction() as conn:
            ctx = ledger.context(conn, self.settings)
            payments.sweep(ctx)
            if time.monotonic() - self._last_purge > PURGE_EVERY_SECONDS:
                storage.purge_saved_responses(conn, ctx.now - self.settings.idempotency_ttl_seconds)
                self._last_purge = time.monotonic()

    def _loop(self, name: str, step: Callable[[], object], interval: float) -> threading.Thread:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    step()
                except Exception:
                    log.exception("%s: step failed; trying again", name)
                self._stop.wait(interval)

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        return thread
