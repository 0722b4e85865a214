"""Each app's migrations make the schema its models describe: a model changed without a migration
(a table, a column, its type or nullability, an index) fails here, not on the first database that
runs the new code. (Alembic compares neither server defaults nor CHECK constraints by default.)"""

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from inventory_app.models import autogenerate_includes
from tests.helpers import SECRETS


# SQLite cannot reflect users' case-insensitive unique indexes (on lower(login), lower(email)), so
# they cannot be compared here; tests/users_app holds their behaviour.
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.parametrize("name", ["inventory_app", "users_app", "orders_app"])
def test_migrations_make_what_the_models_describe(name, tmp_path):
    package = importlib.import_module(name)
    db = importlib.import_module(f"{name}.extensions").db
    app = package.create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'schema.sqlite3'}", **SECRETS}
    )
    with app.app_context():
        upgrade(directory=str(Path(app.root_path) / "migrations"))
        with db.engine.connect() as connection:
            # inventory's full-text index is made by hand in a migration (its migrations/env.py filters the same)
            opts = {"include_name": autogenerate_includes} if name == "inventory_app" else {}
            differences = compare_metadata(MigrationContext.configure(connection, opts=opts), db.metadata)
    assert differences == []
