"""nginx reloaded while traffic flows: the requests in flight and after all succeed."""

import os
import signal
import threading
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def test_reloading_nginx_under_traffic_loses_no_request(stack):
    nginx_pid = stack.processes["web"].pid
    stop = threading.Event()
    results: list[int | str] = []

    def visitor():
        with requests.Session() as http:
            # Like a browser: a GET on a keep-alive connection that an old worker closed is sent again.
            http.mount("http://", HTTPAdapter(max_retries=Retry(total=1, connect=1, read=1, status=0)))
            deadline = time.monotonic() + 20  # bounded whatever happens
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    results.append(http.get(stack.url("/users/login"), timeout=5).status_code)
                except requests.RequestException as error:
                    results.append(type(error).__name__)

    visitors = [threading.Thread(target=visitor) for _ in range(4)]
    for thread in visitors:
        thread.start()
    time.sleep(0.5)
    for _ in range(3):
        os.kill(nginx_pid, signal.SIGHUP)  # reload: new workers, old ones finish their requests
        time.sleep(0.7)
    stop.set()
    for thread in visitors:
        thread.join()

    assert len(results) > 50
    assert set(results) == {200}, {r for r in results if r != 200}
    assert stack.processes["web"].poll() is None
    assert requests.get(stack.url("/users/healthz"), timeout=5).status_code == 200
