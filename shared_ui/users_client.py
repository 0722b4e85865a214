"""How inventory_app and orders_app learn who is logged in: users_app's internal user record."""

import threading
import time

from shared_ui.service_client import ServiceClient, ServiceUnavailable


class UsersClient:
    """Fetches `GET /users/internal/users/<id>`, trusting each answer for a few seconds."""

    def __init__(self, app=None):
        self.client: ServiceClient | None = None
        self.cache_seconds = 3.0
        self._cache: dict[int, tuple[float, dict | None]] = {}
        self._lock = threading.Lock()
        if app is not None:
            self.init_app(app)

    def init_app(self, app) -> None:
        config = app.config
        self.client = ServiceClient(
            config["USERS_URL"],
            config["SHOP_SERVICE_TOKEN"],
            connect_timeout=config["SERVICE_CONNECT_TIMEOUT"],
            read_timeout=config["SERVICE_READ_TIMEOUT"],
            retries=0,
            name="users",
        )
        self.cache_seconds = config["USER_CACHE_SECONDS"]
        app.extensions["shop_users_client"] = self

    def find_user(self, user_id: int, fresh: bool = False) -> dict | None:
        """The user record, or None when it does not exist or users_app cannot be reached.

        `fresh` skips the cache: the session is newer than the cached record (a new login).
        """
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached and cached[0] > now and not fresh:
            return cached[1]
        try:
            response = self.client.request("GET", f"/users/internal/users/{user_id}", idempotent=True)
        except ServiceUnavailable:
            return None  # not cached: the next request tries again
        record = response.json() if response.status_code == 200 else None
        if response.status_code in (200, 404):
            with self._lock:
                self._cache[user_id] = (now + self.cache_seconds, record)
        return record
