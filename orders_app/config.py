"""orders_app settings."""

from shared_ui.config import BaseConfig


class OrdersConfig(BaseConfig):
    APP_NAME = "orders"
