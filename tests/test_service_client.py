"""The client every call between the apps goes through (shared_ui/service_client.py), against a real
local HTTP server: what goes on the wire, what comes back, and which connection it rides."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from shared_ui.service_client import ServiceClient, ServiceUnavailable


class Recorder(ThreadingHTTPServer):
    """Answers every call with its script's (status, headers) for the path (200 by default), keeping
    connections alive as an HTTP/1.1 server does, and keeps what came: the method, path, query, body,
    headers and the client's port (its connection)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[dict] = []
        self.script: dict[str, tuple[int, dict]] = {}
        self.drop_once: set[str] = set()  # paths whose next call is read, then its connection closed unanswered
        self.url = f"http://127.0.0.1:{self.server_port}"
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen = {"method": self.command, "path": url.path, "query": url.query, "body": body}
        self.server.seen.append(seen | {"headers": dict(self.headers), "port": self.client_address[1]})
        if url.path in self.server.drop_once:
            self.server.drop_once.discard(url.path)
            self.close_connection = True  # as a server that stops between reading a call and answering it
            return
        status, headers = self.server.script.get(url.path, (200, {}))
        payload = json.dumps({"path": url.path}).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    recorder = Recorder()
    yield recorder
    recorder.shutdown()
    recorder.server_close()


@pytest.fixture
def client(server):
    return ServiceClient(server.url, "the-service-token", read_timeout=2.0, retries=0, name="test")


def test_each_method_sends_its_body_and_headers_and_reads_the_answer(client, server):
    got = client.request("GET", "/items", idempotent=True, params={"ids": "1,2"})
    client.request("POST", "/holds", idempotent=True, json={"key": "order-1", "lines": [[7, 2]]})
    client.request("PATCH", "/holds/order-1", idempotent=True, json={"quantity": 3})
    client.request("POST", "/users/7/erase", idempotent=True)
    client.request("DELETE", "/holds/order-1", idempotent=True)
    assert got.status_code == 200 and got.json() == {"path": "/items"}
    assert got.url == f"{server.url}/items?ids=1%2C2"
    sent = [(s["method"], s["path"], s["query"], s["body"]) for s in server.seen]
    assert sent == [
        ("GET", "/items", "ids=1%2C2", b""),
        ("POST", "/holds", "", b'{"key": "order-1", "lines": [[7, 2]]}'),
        ("PATCH", "/holds/order-1", "", b'{"quantity": 3}'),
        ("POST", "/users/7/erase", "", b""),
        ("DELETE", "/holds/order-1", "", b""),
    ]
    for seen in server.seen:
        assert seen["headers"]["X-Service-Token"] == "the-service-token"
        assert "Expect" not in seen["headers"]  # a body goes at once
    assert server.seen[1]["headers"]["Content-Type"] == "application/json"
    assert server.seen[3]["headers"]["Content-Length"] == "0"


def test_any_status_is_an_answer_and_a_redirect_is_not_followed(client, server):
    server.script["/moved"] = (302, {"Location": "/elsewhere"})
    server.script["/refused"] = (409, {})
    assert client.request("GET", "/moved", idempotent=True).status_code == 302
    assert client.request("POST", "/refused", idempotent=True, json={}).status_code == 409
    assert [s["path"] for s in server.seen] == ["/moved", "/refused"]


def test_a_get_with_a_body_is_refused_before_anything_is_sent(client, server):
    with pytest.raises(ValueError, match="no body"):
        client.request("GET", "/items", idempotent=True, json={"ids": [1]})
    assert server.seen == []


def test_calls_keep_their_connection_alive_but_one_sent_at_most_once_gets_its_own(client, server):
    for _ in range(3):
        client.request("GET", "/items", idempotent=True)
    for _ in range(2):
        client.request("GET", "/healthz", idempotent=False)
    kept, fresh = [s["port"] for s in server.seen[:3]], [s["port"] for s in server.seen[3:]]
    assert len(set(kept)) == 1  # one kept-alive connection for the three
    assert len(set(fresh)) == 2 and not set(fresh) & set(kept)  # each on a new connection


def test_a_call_dropped_unanswered_is_sent_again_only_when_it_may_arrive_twice(client, server):
    client.request("GET", "/items", idempotent=True)  # a kept-alive connection to reuse
    server.drop_once.add("/holds")
    held = client.request("POST", "/holds", idempotent=True, json={"key": "order-1"})
    assert held.status_code == 200  # libcurl sent it again, on a new connection
    assert [s["path"] for s in server.seen] == ["/items", "/holds", "/holds"]
    server.seen.clear()
    server.drop_once.add("/healthz")
    with pytest.raises(ServiceUnavailable):
        client.request("GET", "/healthz", idempotent=False)
    assert [s["path"] for s in server.seen] == ["/healthz"]  # once: its own connection is never resent on


def test_proxy_settings_in_the_environment_are_not_used(client, server, monkeypatch, refused_url):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, refused_url)
    assert client.request("GET", "/items", idempotent=True).status_code == 200


def test_no_server_is_unavailable_not_an_error_of_the_caller(refused_url):
    client = ServiceClient(refused_url, "token", retries=0, name="test")
    with pytest.raises(ServiceUnavailable, match="GET test/items"):
        client.request("GET", "/items", idempotent=True)
