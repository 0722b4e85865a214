"""The whole shop started for tests: the Procfile's processes on free ports, a fresh var folder.

Each process runs in its own process group, so a test can stop, kill -9 or restart one of them.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import requests

from shared_ui.config import PROJECT_ROOT
from shopctl import nginx, procfile
from shopctl.settings import PORT_DEFAULTS, resolve

HEALTH = {
    "inventory": ("INVENTORY_PORT", "/inventory/healthz"),
    "users": ("USERS_PORT", "/users/healthz"),
    "orders": ("ORDERS_PORT", "/orders/healthz"),
    "stripe": ("STRIPE_EMULATOR_PORT", "/healthz"),
    "web": ("SHOP_PORT", "/users/healthz"),
}
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin-" + secrets.token_hex(8)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    """The running shop; `url(path)` goes through nginx."""

    def __init__(self, **overrides: str):
        # Under the project, not pytest's tmp: nginx workers (as nobody) must read what they serve.
        self.var_dir = PROJECT_ROOT / "var" / f"test-{uuid.uuid4().hex[:8]}"
        self.var_dir.mkdir(parents=True, mode=0o755)
        ports = {name: str(free_port()) for name in PORT_DEFAULTS}
        self.env = resolve(
            {
                **ports,
                "SHOP_ENV": "test",
                "SHOP_VAR_DIR": str(self.var_dir),
                "SECRET_KEY": secrets.token_urlsafe(32),
                "SHOP_SERVICE_TOKEN": secrets.token_urlsafe(24),
                "SHOP_INSTANCE_ID": f"test-{uuid.uuid4().hex[:6]}",
                "STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(12),
                "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(24),
                "STRIPE_API_BASE": f"http://127.0.0.1:{ports['STRIPE_EMULATOR_PORT']}",
                "SHOP_ADMIN_LOGIN": ADMIN_LOGIN,
                "SHOP_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "SHOP_DEMO_DATA": "",
                # Every test visitor comes from 127.0.0.1: per-address limits are tested on their own.
                "SHOP_REGISTRATIONS_PER_HOUR": "1000000",
                "SHOP_LOGIN_FAILURES_PER_ADDRESS": "1000000",
                "SHOP_PUBLIC_URL": f"http://127.0.0.1:{ports['SHOP_PORT']}",
                "STRIPE_WEBHOOK_URL": f"http://127.0.0.1:{ports['SHOP_PORT']}/orders/stripe/webhook",
                **overrides,
            },
            env_file=None,
        )
        self.commands = procfile.read()
        self.processes: dict[str, subprocess.Popen] = {}
        nginx.render(self.env)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.env['SHOP_PORT']}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def app_url(self, name: str, path: str) -> str:
        """Straight to one app on its loopback port, bypassing nginx."""
        return f"http://127.0.0.1:{self.env[HEALTH[name][0]]}{path}"

    def start(self, *names: str, timeout: float = 60) -> None:
        names = names or tuple(procfile.wanted(self.env))
        for name in names:
            with (self.var_dir / f"{name}.log").open("ab") as log:
                self.processes[name] = subprocess.Popen(
                    ["bash", "-c", self.commands[name]],
                    cwd=PROJECT_ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        for name in names:
            self.wait_ready(name, timeout)

    def wait_ready(self, name: str, timeout: float = 60) -> None:
        port_name, path = HEALTH.get(name, (None, None))
        if port_name is None:
            return
        url = f"http://127.0.0.1:{self.env[port_name]}{path}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log(name)[-3000:]}")
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{name} not ready after {timeout}s:\n{self.log(name)[-3000:]}")

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        except ProcessLookupError:
            pass

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def log(self, name: str) -> str:
        path = self.var_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self, keep_files: bool = False) -> None:
        for name in list(self.processes):
            self.stop(name)
        if not keep_files:
            shutil.rmtree(self.var_dir, ignore_errors=True)


def wait_until(predicate, timeout: float = 10, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; return that, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def is_world_readable(path: Path) -> bool:
    return all(p.stat().st_mode & 0o005 == 0o005 for p in [path, *path.parents] if p.exists())
