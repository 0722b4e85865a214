"""Fixtures for the whole-stack tests; per-app fixtures live in each app's test folder."""

import os
import shutil
import socket

os.environ["SHOP_ENV"] = "test"  # never read the developer's .env in tests

import pytest
from playwright.sync_api import expect

from stacktools.client import ShopClient
from stacktools.stack import ADMIN_LOGIN, ADMIN_PASSWORD, Stack, serve


@pytest.fixture(scope="session")
def stack(request):
    """The whole shop, started once for the test session and stopped at its end."""
    yield from serve(Stack(), request)


@pytest.fixture
def shop(stack) -> ShopClient:
    """An anonymous browser-like client of the running shop."""
    return ShopClient(stack.base_url)


@pytest.fixture
def admin(stack) -> ShopClient:
    client = ShopClient(stack.base_url)
    client.login(ADMIN_LOGIN, ADMIN_PASSWORD)
    return client


@pytest.fixture
def refused_url() -> str:
    """http:// on a loopback port that refuses every connection: bound by this fixture, never
    listened on, so nothing else can take it meanwhile (a fixed "unused" port, 9, is any other
    program's to listen on)."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright's own browser download does not work here."""
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def base_url(stack) -> str:
    """Browser pages open relative URLs on the running shop (replaces pytest-playwright's own)."""
    return stack.base_url


# A loaded CI machine runs Chromium, nginx and nine gunicorn processes on two cores: give the
# browser's assertions more than Playwright's 5-second default before calling a page wrong.
expect.set_options(timeout=15_000)
