"""Alembic's environment for users_app (`flask --app users_app db ...`): the shop's shared one."""

from shared_ui.migrations_env import run

run()
