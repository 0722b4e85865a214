"""Alembic's environment for orders_app (`flask --app orders_app db ...`): the shop's shared one."""

from shared_ui.migrations_env import run

run()
