"""one spelling per category: items whose categories differ only in case take the one most items use

Before, "kitchen" typed for one item and "Kitchen" for another made two categories, two catalog links
each listing part of the items. Saving now takes another item's spelling (categories.known_spelling);
this brings the categories stored before to one spelling each: the one most items use (live or
archived; on a tie, the one that sorts first). Nothing to undo: the spellings merged are not kept.

Revision ID: 7e3a9c1d5b20
Revises: 54fb9660a612
Create Date: 2026-12-07 12:40:00

"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = '7e3a9c1d5b20'
down_revision = '54fb9660a612'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    counted = connection.execute(
        sa.text("SELECT category, count(*) FROM inventory WHERE category IS NOT NULL GROUP BY category")
    ).all()
    spellings = defaultdict(list)
    for category, items in counted:
        spellings[category.casefold()].append((-items, category))
    for found in spellings.values():
        if len(found) < 2:
            continue
        kept = min(found)[1]
        for _, other in found:
            if other != kept:
                connection.execute(
                    sa.text("UPDATE inventory SET category = :kept WHERE category = :other"),
                    {"kept": kept, "other": other},
                )


def downgrade():
    pass
