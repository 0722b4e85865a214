"""Alembic's environment for inventory_app (`flask --app inventory_app db ...`): the shop's shared
one, keeping autogenerate off the full-text index."""

from shared_ui.migrations_env import run


def include_name(name, type_, parent_names):
    """The full-text index (SQLite: an FTS5 virtual table, its shadow tables and triggers;
    PostgreSQL: a GIN expression index) is made by hand in a migration: autogenerate must not offer
    to drop it because no model describes it."""
    if type_ == "table" and name and name.startswith("inventory_fts"):
        return False
    return not (type_ == "index" and name == "ix_inventory_search")


run(include_name)
