"""The stack tests' HTTP client (stacktools/client.py) gives up on a server that never answers: a
hung app or nginx fails the test that met it instead of hanging the whole suite."""

import socket
import threading

import pytest
import requests

from stacktools import client as stack_client
from stacktools.client import ShopClient


@pytest.fixture
def silent_url():
    """http:// on a loopback port that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"


CALLS = {
    "page": lambda shop: shop.get("/inventory/"),
    "form post": lambda shop: shop.post("/users/login", {"login": "alice"}, csrf=False),
    "session of its own": lambda shop: shop.http.delete(shop.base_url + "/inventory/admin/items/1"),
    "api token": lambda shop: shop.api_token("alice"),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_request_to_a_server_that_never_answers_times_out(silent_url, monkeypatch, call):
    monkeypatch.setattr(stack_client, "TIMEOUT", 0.5, raising=False)
    outcome = []

    def ask():
        shop = ShopClient(silent_url)
        try:
            call(shop)
        except requests.RequestException as error:  # a Timeout, or the reset when the test gave up
            outcome.append(error)
        finally:
            shop.http.close()

    asking = threading.Thread(target=ask, daemon=True)  # hangs forever without a timeout
    asking.start()
    asking.join(10)
    assert not asking.is_alive(), "the request was still waiting after 10 s"
    assert isinstance(outcome[0], requests.Timeout)
