"""Alembic's environment for inventory_app (`flask --app inventory_app db ...`): the shop's shared
one, keeping autogenerate off the full-text index."""

from inventory_app.models import autogenerate_includes
from shared_ui.migrations_env import run

run(autogenerate_includes)
