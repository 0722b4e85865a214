"""inventory_app settings."""

from shared_ui.config import BaseConfig


class InventoryConfig(BaseConfig):
    APP_NAME = "inventory"
