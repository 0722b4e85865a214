"""inventory_app settings."""

from shared_ui.config import BaseConfig, env


class InventoryConfig(BaseConfig):
    APP_NAME = "inventory"

    def __init__(self) -> None:
        super().__init__()
        #: seed a dozen demo items at start when the catalog is empty (dev)
        self.SHOP_DEMO_DATA = env("SHOP_DEMO_DATA", "") not in ("", "0", "false", "False", "no")
        #: at or below this many units an item is "Only N left" and on the low-stock list
        self.LOW_STOCK_THRESHOLD = 5
        self.CATALOG_PAGE_SIZE = 24
        self.ADMIN_PAGE_SIZE = 50
        #: holds released per sweeper transaction (the rest wait for the next run, 5 s later)
        self.SWEEP_BATCH = 500
