"""The README's commands that start the shop: `make run` ends in `python -m shopctl run`, which must
start the whole shop with honcho (nginx, the three apps, jobs, the Stripe emulator, demo data, an
admin) and stop all of it on Ctrl-C; `make run-scaled` (`python -m shopctl run-scaled`) the same with
two instances of each app on a PostgreSQL server of its own, stopped too."""

import os
import secrets
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

from shared_ui.config import PROJECT_ROOT
from shopctl.settings import PORT_DEFAULTS
from stacktools.stack import free_port, wait_until


@pytest.mark.parametrize("command", ["run", "run-scaled"])
def test_shopctl_serves_the_shop_with_demo_data_and_ctrl_c_stops_everything(command):
    var_dir = PROJECT_ROOT / "var" / f"test-run-{uuid.uuid4().hex[:8]}"  # nginx (nobody) reads under it
    ports = {name: str(free_port()) for name in PORT_DEFAULTS}
    if command == "run-scaled":
        for app in ("INVENTORY", "USERS", "ORDERS"):
            ports[f"{app}_PORTS"] = f"{free_port()},{free_port()}"
        ports["SHOP_POSTGRES_PORT"] = str(free_port())
    env = shop_environment(ports, var_dir)
    password = env["SHOP_ADMIN_PASSWORD"]
    shop = f"http://127.0.0.1:{ports['SHOP_PORT']}"
    log = (PROJECT_ROOT / "var").joinpath(f"{var_dir.name}.log")
    log.parent.mkdir(exist_ok=True)  # a fresh clone has no var/ until something made it
    with log.open("w") as output:
        run = subprocess.Popen(
            [sys.executable, "-m", "shopctl", command],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        catalog = None
        deadline = time.monotonic() + 120
        # Each app starts on its own (users hashes the admin's password first): the shop is up when
        # all three answer through nginx, not when the first does.
        while time.monotonic() < deadline and run.poll() is None:
            try:
                catalog = requests.get(f"{shop}/inventory/", timeout=5)
                others_up = all(
                    requests.get(f"{shop}/{app}/healthz", timeout=5).status_code == 200 for app in ("users", "orders")
                )
                if catalog.status_code == 200 and "catalog-item-" in catalog.text and others_up:
                    break
            except requests.RequestException:  # not listening yet, or still starting its workers (a read timeout)
                pass
            time.sleep(0.5)
        assert run.poll() is None, log.read_text()[-3000:]
        assert catalog is not None and catalog.status_code == 200 and "catalog-item-" in catalog.text, log.read_text()[
            -3000:
        ]
        token = requests.post(f"{shop}/users/api/tokens", json={"login": "admin", "password": password}, timeout=10)
        assert token.status_code in (200, 201), token.text
        # The emulator and the `mail` process start beside the apps: nothing above waited for them.
        emulator = f"http://127.0.0.1:{ports['STRIPE_EMULATOR_PORT']}/healthz"
        wait_until(lambda: answers(lambda: requests.get(emulator, timeout=5).status_code == 200))
        wait_until(lambda: answers(lambda: mail_noop(int(ports["SHOP_MAIL_PORT"])) == 250))

        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C in the terminal
        run.wait(timeout=60)
        served = [
            ports[name]
            for name in ("SHOP_PORT", "STRIPE_EMULATOR_PORT", "SHOP_MAIL_PORT", "SHOP_POSTGRES_PORT")
            if name in ports
        ]
        for name in ("INVENTORY", "USERS", "ORDERS"):
            served += ports.get(f"{name}_PORTS", ports[f"{name}_PORT"]).split(",")
        for port in served:
            try:
                with socket.create_connection(("127.0.0.1", int(port)), timeout=2):
                    raise AssertionError(f"port {port} still accepts connections after Ctrl-C")
            except ConnectionRefusedError:
                pass
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        shutil.rmtree(var_dir, ignore_errors=True)
        log.unlink(missing_ok=True)


def shop_environment(ports: dict[str, str], var_dir) -> dict[str, str]:
    """What `python -m shopctl run` is started with: every setting given, none from a developer's .env."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SHOP_", "STRIPE_"))},
        **ports,
        "SHOP_ENV": "test",
        "SHOP_VAR_DIR": str(var_dir),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SHOP_SERVICE_TOKEN": secrets.token_urlsafe(24),
        "SHOP_ADMIN_LOGIN": "admin",
        "SHOP_ADMIN_PASSWORD": "admin-" + secrets.token_hex(8),
        "SHOP_DEMO_DATA": "1",
        "STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(12),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(24),
        "STRIPE_API_BASE": f"http://127.0.0.1:{ports['STRIPE_EMULATOR_PORT']}",
    }


@pytest.mark.parametrize(
    ("command", "taken"),
    [("run", "SHOP_PORT"), ("run", "ORDERS_PORT"), ("run", "SHOP_MAIL_PORT"), ("run-scaled", "SHOP_PORT")],
)
def test_a_port_in_use_is_named_before_anything_starts(tmp_path, command, taken):
    """A second `make run`, or another program on 8000: the newcomer is told which port and which
    setting, instead of nginx's "bind() failed" lines among every other process starting and stopping
    (and the mail process's traceback)."""
    ports = {name: str(free_port()) for name in PORT_DEFAULTS}
    with socket.create_server(("127.0.0.1", int(ports[taken]))):
        run = subprocess.run(
            [sys.executable, "-m", "shopctl", command],
            cwd=PROJECT_ROOT,
            env={**shop_environment(ports, tmp_path / "var"), "SHOP_POSTGRES_PORT": str(free_port())},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode != 0
    assert f"Port {ports[taken]} ({taken}) is already in use" in run.stderr, run.stdout[-2000:] + run.stderr[-2000:]
    assert "started (pid" not in run.stdout and "Traceback" not in run.stdout + run.stderr


def answers(ask) -> bool:
    """ask(), or False while its server does not accept connections yet."""
    try:
        return ask()
    except (requests.ConnectionError, ConnectionRefusedError):
        return False


def mail_noop(port: int) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as mail:
        return mail.noop()[0]
