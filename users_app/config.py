"""users_app settings."""

from shared_ui.config import BaseConfig, env


class UsersConfig(BaseConfig):
    APP_NAME = "users"

    def __init__(self) -> None:
        super().__init__()
        self.SHOP_ADMIN_LOGIN = env("SHOP_ADMIN_LOGIN")
        self.SHOP_ADMIN_PASSWORD = env("SHOP_ADMIN_PASSWORD")
