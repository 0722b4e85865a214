"""users_app settings."""

from shared_ui.config import BaseConfig, env, env_int


class UsersConfig(BaseConfig):
    APP_NAME = "users"

    def __init__(self) -> None:
        super().__init__()
        self.SHOP_ADMIN_LOGIN = env("SHOP_ADMIN_LOGIN")
        self.SHOP_ADMIN_PASSWORD = env("SHOP_ADMIN_PASSWORD")
        # Abuse limits (DESIGN "Limits"); tests that register many users raise the last one.
        self.SHOP_LOGIN_FAILURES_PER_LOGIN = env_int("SHOP_LOGIN_FAILURES_PER_LOGIN", 5)
        self.SHOP_LOGIN_FAILURES_PER_ADDRESS = env_int("SHOP_LOGIN_FAILURES_PER_ADDRESS", 30)
        self.SHOP_REGISTRATIONS_PER_HOUR = env_int("SHOP_REGISTRATIONS_PER_HOUR", 60)
        #: password reset requests: per network an hour (429 past it), per e-mail address an hour
        #: (past it nothing more is sent there; the answer stays the same)
        self.SHOP_RESETS_PER_NETWORK = env_int("SHOP_RESETS_PER_NETWORK", 30)
        self.SHOP_RESETS_PER_ADDRESS = env_int("SHOP_RESETS_PER_ADDRESS", 3)
        #: e-mail address changes per account an hour (each mails the address before it); 429 past it
        self.SHOP_EMAIL_CHANGES_PER_HOUR = env_int("SHOP_EMAIL_CHANGES_PER_HOUR", 5)
