"""Fixtures for the Stripe emulator: the real server under gunicorn, a webhook receiver, and
clients of the official SDK pointed at the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import stripe

from .helpers import FIXTURES, SECRET_KEY, TEST_SETTINGS, WEBHOOK_SECRET
from .servers import EmulatorProcess, WebhookReceiver


@pytest.fixture(scope="session")
def stripe_fixtures() -> dict[str, Any]:
    """Stripe's own example objects (the contract)."""
    return json.loads(FIXTURES.read_text())


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    """The stand-in for the shop's webhook endpoint."""
    server = WebhookReceiver(WEBHOOK_SECRET).start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory, receiver: WebhookReceiver) -> Iterator[EmulatorProcess]:
    """One emulator for the session, under gunicorn with a temporary SHOP_VAR_DIR."""
    process = EmulatorProcess(
        tmp_path_factory.mktemp("emulator-var"), {**TEST_SETTINGS, "STRIPE_WEBHOOK_URL": receiver.url}
    ).start()
    yield process
    process.stop()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A plain HTTP client (the browser's part: hosted page, redirects, test controls)."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def make_client(emulator: EmulatorProcess) -> Iterator[Callable[..., stripe.StripeClient]]:
    """Build SDK clients exactly as the orders app does, closing their connections afterwards."""
    sessions: list[requests.Session] = []

    def make(api_key: str = SECRET_KEY, base_url: str | None = None) -> stripe.StripeClient:
        session = requests.Session()
        sessions.append(session)
        return stripe.StripeClient(
            api_key,
            base_addresses={"api": base_url or emulator.base_url},
            http_client=stripe.RequestsClient(session=session),
        )

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def client(make_client: Callable[..., stripe.StripeClient]) -> stripe.StripeClient:
    """The official SDK talking to the emulator."""
    return make_client()
