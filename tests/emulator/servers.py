"""The real emulator under gunicorn, and a webhook receiver that checks signatures with the SDK."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import stripe

from stacktools.stack import free_port, wait_until

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"




class EmulatorProcess:
    """`gunicorn --no-control-socket -w 1 --threads 8 'stripe_emulator:create_app()'` on a free port."""

    def __init__(self, var_dir: Path, env: dict[str, str], port: int | None = None) -> None:
        self.var_dir = var_dir
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SHOP_ENV": "test",
            "SHOP_VAR_DIR": str(var_dir),
            "STRIPE_EMULATOR_PORT": str(self.port),
            "STRIPE_API_BASE": self.base_url,
            **env,
        }
        self.log_path = var_dir / f"emulator-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> EmulatorProcess:
        """Start gunicorn and wait until `/healthz` answers."""
        command = [
            str(GUNICORN),
            "--no-control-socket",
            "-w",
            "1",
            "--threads",
            "8",
            "-b",
            f"127.0.0.1:{self.port}",
            "stripe_emulator:create_app()",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"emulator exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                if requests.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"emulator not ready after {timeout}s:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        """Stop gunicorn (SIGTERM, then SIGKILL) and reap it."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def url(self, path: str) -> str:
        return self.base_url + path


@dataclass
class Delivery:
    """One webhook request as the receiver saw it."""

    payload: str
    signature: str
    arrived_at: float
    answered: int
    verified: bool
    event: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.event.get("type", "")

    @property
    def object_id(self) -> str:
        return self.event.get("data", {}).get("object", {}).get("id", "")

    @property
    def timestamp(self) -> int:
        return int(dict(part.split("=", 1) for part in self.signature.split(","))["t"])


class WebhookReceiver:
    """An HTTP server standing in for the shop's webhook endpoint.

    Every request is checked with `stripe.Webhook.construct_event`; a bad signature gets 400.
    `fail_next(object_id, times, status)` makes the next deliveries about that object fail;
    `hold(object_id)` keeps them waiting, unanswered, until the test releases them (a slow endpoint
    whose slowness ends when the test says so, not after some seconds).
    """

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.deliveries: list[Delivery] = []
        self._failures: dict[str, list[int]] = {}
        self._holds: dict[str, threading.Event] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                payload = self.rfile.read(length).decode()
                receiver._handle(self, payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/orders/stripe/webhook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def fail_next(self, object_id: str, times: int, status: int = 500) -> None:
        """Answer `status` to the next `times` deliveries about `object_id`."""
        with self._lock:
            self._failures[object_id] = [status] * times

    def hold(self, object_id: str) -> threading.Event:
        """Keep deliveries about `object_id` waiting, unanswered, until the returned event is set.

        There is no time limit: set the event in a `finally`, so a failing test does not leave
        the request waiting.
        """
        gate = threading.Event()
        with self._lock:
            self._holds[object_id] = gate
        return gate

    def held(self, object_id: str) -> int:
        """How many deliveries about `object_id` are waiting on `hold` now (arrived, not answered)."""
        with self._lock:
            return self._held.get(object_id, 0)

    def _handle(self, handler: BaseHTTPRequestHandler, payload: str) -> None:
        signature = handler.headers.get("Stripe-Signature", "")
        try:
            stripe.Webhook.construct_event(payload, signature, self.secret)
            verified = True
        except (stripe.SignatureVerificationError, ValueError):
            verified = False
        event = json.loads(payload) if verified else {}
        object_id = event.get("data", {}).get("object", {}).get("id", "")
        with self._lock:
            gate = self._holds.get(object_id)
            if gate is not None:
                self._held[object_id] = self._held.get(object_id, 0) + 1
        if gate is not None:
            gate.wait()
            with self._lock:
                self._held[object_id] -= 1
        with self._lock:
            planned = self._failures.get(object_id)
            status = planned.pop(0) if planned else (200 if verified else 400)
            self.deliveries.append(Delivery(payload, signature, time.time(), status, verified, event))
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"{}")

    def received(self, object_id: str, event_type: str | None = None) -> list[Delivery]:
        """Deliveries about one object (optionally of one type), in arrival order."""
        with self._lock:
            return [
                d for d in self.deliveries if d.object_id == object_id and (event_type is None or d.type == event_type)
            ]

    def wait_for(self, object_id: str, event_type: str, count: int = 1, timeout: float = 30) -> list[Delivery]:
        """Wait until `count` accepted (2xx) deliveries of that type about that object arrived."""
        return wait_until(
            lambda: (
                (found := [d for d in self.received(object_id, event_type) if d.answered < 300])
                and len(found) >= count
                and found
            ),
            timeout,
        )
