"""orders_app settings."""

from shared_ui.config import BaseConfig, env, env_int


class OrdersConfig(BaseConfig):
    APP_NAME = "orders"

    def __init__(self) -> None:
        super().__init__()
        #: calls to inventory: far below gunicorn's 30 s worker timeout even when an order
        #: needs three of them (read the item, hold, release after a failure), each tried twice
        self.INVENTORY_CONNECT_TIMEOUT = float(env("INVENTORY_CONNECT_TIMEOUT", "1.0"))
        self.INVENTORY_READ_TIMEOUT = float(env("INVENTORY_READ_TIMEOUT", "3.0"))
        self.INVENTORY_RETRIES = env_int("INVENTORY_RETRIES", 1)
        self.INVENTORY_BACKOFF = float(env("INVENTORY_BACKOFF", "0.2"))
        #: a hold lasts this much longer than the payment deadline it covers (DESIGN: 5 min)
        self.ORDERS_HOLD_MARGIN_MINUTES = 5
        #: an unfinished saga step older than this is the sweeper's to finish; it must be longer
        #: than the longest request (three inventory calls of 2 x 4 s, well under a minute)
        self.ORDERS_STALE_SECONDS = env_int("ORDERS_STALE_SECONDS", 60)
        #: an order names items read for an order this many seconds ago at most (placing.RecentItems;
        #: the hold checks their prices); 0 reads them for every order, the tests' default
        self.ORDERS_RECENT_ITEMS_SECONDS = env_int("ORDERS_RECENT_ITEMS_SECONDS", 0 if self.SHOP_ENV == "test" else 5)
        self.ORDERS_MAX_QUANTITY = 1000
        #: Pending orders a customer may have at once (DESIGN "Stock and payment", step 4)
        self.SHOP_MAX_PENDING_ORDERS = env_int("SHOP_MAX_PENDING_ORDERS", 5)
        #: an order has 1 to 50 lines (DESIGN "Data")
        self.ORDERS_MAX_LINES = 50
        self.ORDERS_PER_PAGE = 20
        #: test-only fault hook (ordering.fault_point), honoured only when SHOP_ENV=test:
        #: "exit" ends the worker with os._exit(1) right after inventory answers the hold;
        #: "raise" raises ordering.InjectedFault there (per-app tests).
        self.ORDERS_FAULT_AFTER_HOLD = env("ORDERS_FAULT_AFTER_HOLD") if self.SHOP_ENV == "test" else None
        # Stripe (DESIGN "Stripe: real or emulated, same code"): STRIPE_API_BASE comes from BaseConfig.
        self.STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
        self.STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
        #: a Stripe call must fail fast enough for a page to say so (each retry is another wait)
        self.STRIPE_CONNECT_TIMEOUT = float(env("STRIPE_CONNECT_TIMEOUT", "2.0"))
        self.STRIPE_READ_TIMEOUT = float(env("STRIPE_READ_TIMEOUT", "5.0"))
        #: the SDK retries connection errors, 409s and 5xx with the same idempotency key
        self.STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 1)
        #: Stripe accepts a session's expires_at from 30 minutes to 24 hours after the request;
        #: 31 leaves room for latency (DESIGN "Stock and payment", step 2)
        self.ORDERS_MIN_SESSION_MINUTES = 31
        #: an issued boleto's stock stays held this many days past its due date (settling.boleto_hold_until)
        self.ORDERS_BOLETO_SETTLE_DAYS = env_int("ORDERS_BOLETO_SETTLE_DAYS", 7)
        #: reconcile reads orders this many at a time, for at most this long per run
        self.ORDERS_RECONCILE_BATCH = env_int("ORDERS_RECONCILE_BATCH", 100)
        self.ORDERS_RECONCILE_BUDGET_SECONDS = env_int("ORDERS_RECONCILE_BUDGET_SECONDS", 45)
        #: the sweeper starts no order's step after this long in one run (the next run goes on)
        self.ORDERS_SWEEP_BUDGET_SECONDS = env_int("ORDERS_SWEEP_BUDGET_SECONDS", 30)
