"""nginx reloaded while traffic flows: the requests in flight and after all succeed."""

import os
import signal
import threading
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from stacktools.stack import wait_until


def nginx_children(master_pid: int) -> set[int]:
    """The processes of nginx's master: its workers and cache processes."""
    return {int(pid) for pid in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()}


def test_reloading_nginx_under_traffic_loses_no_request(stack):
    nginx_pid = stack.processes["web"].pid
    stop = threading.Event()
    results: list[int | str] = []

    def visitor():
        with requests.Session() as http:
            # Like a browser: a GET on a keep-alive connection that an old worker closed is sent again.
            http.mount("http://", HTTPAdapter(max_retries=Retry(total=1, connect=1, read=1, status=0)))
            deadline = time.monotonic() + 300  # bounded even if the test never gets to stop it
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    results.append(http.get(stack.url("/users/login"), timeout=5).status_code)
                except requests.RequestException as error:
                    results.append(type(error).__name__)

    visitors = [threading.Thread(target=visitor) for _ in range(4)]
    for thread in visitors:
        thread.start()
    try:
        wait_until(lambda: len(results) >= 20)  # traffic flows
        for _ in range(3):
            old = nginx_children(nginx_pid)
            os.kill(nginx_pid, signal.SIGHUP)  # reload: new workers, old ones finish their requests
            # The reload is over once every old process has gone; then traffic goes on through the new ones.
            wait_until(lambda old=old: (now := nginx_children(nginx_pid)) and not now & old)
            after = len(results)
            wait_until(lambda after=after: len(results) >= after + 20)
    finally:
        stop.set()
        for thread in visitors:
            thread.join()

    assert set(results) == {200}, {r for r in results if r != 200}
    assert stack.processes["web"].poll() is None
    assert requests.get(stack.url("/users/healthz"), timeout=5).status_code == 200
