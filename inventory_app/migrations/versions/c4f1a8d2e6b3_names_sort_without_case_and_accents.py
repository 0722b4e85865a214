"""names sort without case and accents: inventory.name_key, and the name indexes on (name_key, id)

Before, SQLite sorted names with NOCASE, which folds ASCII only ("Água" and "Óleo" came after
"Zebra", "água" far from "Água"), and PostgreSQL by the database's collation (C.UTF-8 as shopctl
makes it: "Zebra" before "apple"), so the two disagreed. Every list now sorts by a stored key, the
name without case and accents (inventory_app.models.name_key), compared as code points on both
(PostgreSQL: COLLATE "C"). This adds the key, fills it for every item (archived ones too: a restored
item sorts right), and moves the partial indexes the catalog walks to the key.

The column is added with a plain ALTER TABLE, never a batch copy of `inventory`: on SQLite a copy
would drop the full-text triggers. SQLite cannot add a NOT NULL column without a default, so there
it keeps DEFAULT '' (the model sets the key on every insert); PostgreSQL drops the default once the
keys are filled. The key is computed with the app's own name_key, the one the running code compares
with: a later change of that function needs a migration that fills the keys again.

Revision ID: c4f1a8d2e6b3
Revises: 7e3a9c1d5b20
Create Date: 2026-12-07 18:40:00

"""
import sqlalchemy as sa
from alembic import op

from inventory_app.models import name_key

revision = 'c4f1a8d2e6b3'
down_revision = '7e3a9c1d5b20'
branch_labels = None
depends_on = None

LIVE = {"sqlite_where": sa.text("archived_at IS NULL"), "postgresql_where": sa.text("archived_at IS NULL")}
IN_STOCK = {
    "sqlite_where": sa.text("archived_at IS NULL AND quantity > 0"),
    "postgresql_where": sa.text("archived_at IS NULL AND quantity > 0"),
}
KEY_TYPE = sa.String(length=240).with_variant(sa.String(length=240, collation="C"), "postgresql")
BATCH = 5000


def _move_indexes(by: str) -> None:
    """The three name indexes, made again on `by` ("name" or "name_key")."""
    op.drop_index('ix_inventory_live_category', table_name='inventory', **LIVE)
    op.drop_index('ix_inventory_in_stock_name', table_name='inventory', **IN_STOCK)
    op.drop_index('ix_inventory_live_name', table_name='inventory', **LIVE)
    op.create_index('ix_inventory_live_name', 'inventory', [by, 'id'], unique=False, **LIVE)
    op.create_index('ix_inventory_in_stock_name', 'inventory', [by, 'id'], unique=False, **IN_STOCK)
    op.create_index('ix_inventory_live_category', 'inventory', ['category', by, 'id'], unique=False, **LIVE)


def upgrade():
    op.add_column('inventory', sa.Column('name_key', KEY_TYPE, nullable=False, server_default=''))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.text("SELECT id, name FROM inventory WHERE id > :last ORDER BY id LIMIT :batch"),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            break
        connection.execute(
            sa.text("UPDATE inventory SET name_key = :key WHERE id = :id"),
            [{"key": name_key(name), "id": item_id} for item_id, name in rows],
        )
        last = rows[-1][0]
    if connection.dialect.name != "sqlite":
        op.alter_column('inventory', 'name_key', server_default=None)
    _move_indexes('name_key')


def downgrade():
    _move_indexes('name')
    # SQLite 3.35+ drops a column in place (no table copy, so the full-text triggers stay).
    op.execute("ALTER TABLE inventory DROP COLUMN name_key")
