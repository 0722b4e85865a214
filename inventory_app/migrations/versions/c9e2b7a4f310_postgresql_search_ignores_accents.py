"""PostgreSQL's search ignores accents: "acucar" finds "Açúcar", as it does on SQLite

The GIN index behind the catalog's search on PostgreSQL is made again over the text with the
accents of Latin-1 letters taken away first (`translate` of "ç", "ã", "É"... to their base
letters); inventory_app/search.py queries exactly that expression (PG_DOCUMENT) and takes
the same accents away from the words searched. `translate` is built in (the `unaccent` extension
is not needed). SQLite's FTS5 index ignores accents already: nothing to do there.

The letters are spelled out here (they were once worked out at import from Python's Unicode
tables, as search.py then did), so this revision makes the same index whatever search.py becomes.

Revision ID: c9e2b7a4f310
Revises: c4f1a8d2e6b3
Create Date: 2026-12-07 18:30:00

"""
from alembic import op

revision = 'c9e2b7a4f310'
down_revision = 'c4f1a8d2e6b3'
branch_labels = None
depends_on = None

#: the accented letters of Latin-1 and their base letters, as Unicode's canonical decompositions gave
#: them when this was written (spelled out: what search.py says later changes nothing here)
ACCENTED = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿ"
UNACCENTED = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyy"
UNACCENTED_TEXT = (
    f"translate(name || ' ' || description, '{ACCENTED}', '{UNACCENTED}')"
)
SEARCH_INDEX = """CREATE INDEX ix_inventory_search ON inventory
    USING gin (to_tsvector('simple', {})) WHERE archived_at IS NULL"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_inventory_search")
        op.execute(SEARCH_INDEX.format(UNACCENTED_TEXT))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_inventory_search")
        op.execute(SEARCH_INDEX.format("name || ' ' || description"))
