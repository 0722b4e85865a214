"""users_app's calls to orders_app: a customer's orders for "Download my data", and erasing them."""

from flask import current_app

# shared_ui.service_client (and with it pycurl) is imported on the first call: users_app calls no other
# app on any other path, so its processes need not hold it.


class OrdersUnavailable(Exception):
    """orders_app did not answer: the export or the deletion cannot be done now."""


class OrdersClient:
    def __init__(self, app):
        from shared_ui.service_client import ServiceClient

        config = app.config
        self.client = ServiceClient(
            config["ORDERS_URL"],
            config["SHOP_SERVICE_TOKEN"],
            connect_timeout=config["SERVICE_CONNECT_TIMEOUT"],
            # erasing cancels each Pending order at Stripe and inventory: allow it time
            read_timeout=20.0,
            retries=1,
            name="orders",
        )

    def orders_of(self, user_id: int) -> dict:
        """{"orders": [...], "cart": [...], "emails": [...]} of the account, as orders_app keeps them."""
        return self._call("GET", f"/orders/internal/users/{user_id}/orders", idempotent=True)

    def erase(self, user_id: int, login: str) -> dict:
        """Cancel the account's Pending orders (stock back) and keep the rest under an anonymous name;
        `login` goes from the histories of orders too (as what an administrator did, in anyone's)."""
        return self._call("POST", f"/orders/internal/users/{user_id}/erase", idempotent=True, json={"login": login})

    def _call(self, method: str, path: str, idempotent: bool, json: dict | None = None) -> dict:
        from shared_ui.service_client import ServiceUnavailable

        try:
            response = self.client.request(method, path, idempotent=idempotent, json=json)
        except ServiceUnavailable as error:
            raise OrdersUnavailable(str(error)) from None
        if response.status_code != 200:
            raise OrdersUnavailable(f"{method} {path}: {response.status_code}")
        return response.json()


def current_orders() -> OrdersClient:
    """The app's client (tests put a stand-in at app.extensions["shop_orders_client"])."""
    extensions = current_app.extensions
    if "shop_orders_client" not in extensions:
        extensions["shop_orders_client"] = OrdersClient(current_app)
    return extensions["shop_orders_client"]
