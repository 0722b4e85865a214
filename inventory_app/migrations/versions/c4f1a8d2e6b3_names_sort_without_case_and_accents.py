"""names sort without case and accents: inventory.name_key, and the name indexes on (name_key, id)

Before, SQLite sorted names with NOCASE, which folds ASCII only ("Água" and "Óleo" came after
"Zebra", "água" far from "Água"), and PostgreSQL by the database's collation (C.UTF-8 as shopctl
makes it: "Zebra" before "apple"), so the two disagreed. Every list now sorts by a stored key, the
name without case and accents (inventory_app.models.name_key), compared as code points on both
(PostgreSQL: COLLATE "C"). This adds the key, fills it for every item (archived ones too: a restored
item sorts right), and moves the partial indexes the catalog walks to the key.

On PostgreSQL the indexes of `inventory` that the fill would update row by row are made again
after it instead (the full-text GIN index is the dear one): on 100,000 items the upgrade took 26 s
with them in place, the catalog locked all along. The keys go to the database a batch at a time.

The column is added with a plain ALTER TABLE, never a batch copy of `inventory`: on SQLite a copy
would drop the full-text triggers. SQLite cannot add a NOT NULL column without a default, so there
it keeps DEFAULT '' (the model sets the key on every insert); PostgreSQL drops the default once the
keys are filled. The key is computed with a copy of the app's name_key (inventory_app.models) as it
was when this was written, kept here: this revision fills the keys it filled whatever the app's
function becomes. A later change of that function needs a migration that fills the keys again
with a copy of its own (tests/inventory_app/test_name_order.py holds the app's function to the
newest copy).

Revision ID: c4f1a8d2e6b3
Revises: 7e3a9c1d5b20
Create Date: 2026-12-07 18:40:00

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

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
#: PostgreSQL's full-text index as the first migration made it (made again as it was)
PG_SEARCH_INDEX = """CREATE INDEX ix_inventory_search ON inventory
    USING gin (to_tsvector('simple', name || ' ' || description)) WHERE archived_at IS NULL"""
#: one statement per batch on PostgreSQL; SQLite runs the plain UPDATE once per row, in-process
PG_FILL = sa.text(
    "UPDATE inventory SET name_key = k.key FROM unnest(CAST(:ids AS integer[]), CAST(:keys AS text[])) AS k(id, key)"
    " WHERE inventory.id = k.id"
)
FILL = sa.text("UPDATE inventory SET name_key = :key WHERE id = :id")
#: inventory_app.models' NAME_KEY_MAX and UNDECOMPOSED when this was written
NAME_KEY_MAX = 240
UNDECOMPOSED = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def name_key(name: str) -> str:
    """inventory_app.models.name_key when this was written: the name without case and accents."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)).translate(UNDECOMPOSED)[:NAME_KEY_MAX]


def _drop_name_indexes() -> None:
    op.drop_index('ix_inventory_live_category', table_name='inventory', **LIVE)
    op.drop_index('ix_inventory_in_stock_name', table_name='inventory', **IN_STOCK)
    op.drop_index('ix_inventory_live_name', table_name='inventory', **LIVE)


def _create_name_indexes(by: str) -> None:
    """The three indexes the catalog's pages walk, on `by` ("name" or "name_key")."""
    op.create_index('ix_inventory_live_name', 'inventory', [by, 'id'], unique=False, **LIVE)
    op.create_index('ix_inventory_in_stock_name', 'inventory', [by, 'id'], unique=False, **IN_STOCK)
    op.create_index('ix_inventory_live_category', 'inventory', ['category', by, 'id'], unique=False, **LIVE)


def _fill_keys(connection) -> None:
    last = 0
    while rows := connection.execute(
        sa.text("SELECT id, name FROM inventory WHERE id > :last ORDER BY id LIMIT :batch"),
        {"last": last, "batch": BATCH},
    ).all():
        if connection.dialect.name == "postgresql":
            connection.execute(PG_FILL, {"ids": [row[0] for row in rows], "keys": [name_key(row[1]) for row in rows]})
        else:
            connection.execute(FILL, [{"key": name_key(name), "id": item_id} for item_id, name in rows])
        last = rows[-1][0]


def upgrade():
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    _drop_name_indexes()
    if postgresql:
        op.execute("DROP INDEX IF EXISTS ix_inventory_search")
    op.add_column('inventory', sa.Column('name_key', KEY_TYPE, nullable=False, server_default=''))
    _fill_keys(connection)
    if postgresql:
        op.alter_column('inventory', 'name_key', server_default=None)
        op.execute(PG_SEARCH_INDEX)
    _create_name_indexes('name_key')


def downgrade():
    _drop_name_indexes()
    # SQLite 3.35+ drops a column in place (no table copy, so the full-text triggers stay).
    op.execute("ALTER TABLE inventory DROP COLUMN name_key")
    _create_name_indexes('name')
