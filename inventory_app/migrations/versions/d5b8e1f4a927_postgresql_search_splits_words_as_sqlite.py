"""PostgreSQL's search splits words where SQLite's does: "2.0" finds "USB 2.0", "3.5mm" "Jack 3.5mm"

PostgreSQL's text parser reads "3.5mm" as the number "3.5" and the word "mm", "2.0" as a number,
"-5" as a signed one, "shop.example.com" as a host and "a/b" as a file, while a search is split at
every character that is not a letter or a digit (inventory_app/search.py, WORD): "2.0" was looked
up as "2" and "0", which start none of those tokens, so it found nothing (SQLite found the items).
The GIN index behind the search is made again over the text with those joining characters turned
into spaces by the same `translate` that takes the accents away; search.py queries exactly that
expression (PG_DOCUMENT). SQLite's FTS5 index splits there already: nothing to do there.

As in c9e2b7a4f310, the letters and characters are spelled here, so this revision makes the same
index whatever search.py becomes.

Revision ID: d5b8e1f4a927
Revises: c9e2b7a4f310
Create Date: 2026-12-07 19:00:00

"""
from alembic import op

revision = 'd5b8e1f4a927'
down_revision = 'c9e2b7a4f310'
branch_labels = None
depends_on = None

#: the accented letters of Latin-1 and their base letters, as Unicode's canonical decompositions gave
#: them when this was written (spelled out: what search.py says later changes nothing here)
ACCENTED = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿ"
UNACCENTED = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyy"
JOINERS = "./@-+<>&~"
SEARCH_INDEX = """CREATE INDEX ix_inventory_search ON inventory
    USING gin (to_tsvector('simple', translate(name || ' ' || description, '{}', '{}'))) WHERE archived_at IS NULL"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_inventory_search")
        op.execute(SEARCH_INDEX.format(ACCENTED + JOINERS, UNACCENTED + " " * len(JOINERS)))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_inventory_search")
        op.execute(SEARCH_INDEX.format(ACCENTED, UNACCENTED))
