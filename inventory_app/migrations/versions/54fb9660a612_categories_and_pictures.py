"""categories and pictures: inventory.category, item_images, picture_files

An item gets one category (a nullable string) with a partial index over live items in
(category, name, id) order: a category's catalog page walks it like the name index, and the list
of categories skips along it. `item_images` says which stored picture an item shows (by content
hash) with its alt text; `picture_files` holds the encoded sizes of each stored picture, in the
database so every instance of the app serves them.

The column is added with a plain ALTER TABLE, never a batch copy of `inventory`: on SQLite a
copy would drop the full-text triggers the first migration put on that table.

Revision ID: 54fb9660a612
Revises: b303f24789f5
Create Date: 2026-12-06 00:55:19.859539

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '54fb9660a612'
down_revision = '193d3bd97655'
branch_labels = None
depends_on = None

LIVE = {"sqlite_where": sa.text("archived_at IS NULL"), "postgresql_where": sa.text("archived_at IS NULL")}


def upgrade():
    op.create_table('picture_files',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('hash', 'width', 'format', name='pk_picture_files')
    )
    op.create_table('item_images',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('alt', sa.String(length=200), nullable=True),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['inventory.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id')
    )
    op.create_index('ix_item_images_hash', 'item_images', ['hash'], unique=False)
    op.add_column('inventory', sa.Column('category', sa.String(length=60), nullable=True))
    op.create_index('ix_inventory_live_category', 'inventory', ['category', 'name', 'id'], unique=False, **LIVE)


def downgrade():
    op.drop_index('ix_inventory_live_category', table_name='inventory', **LIVE)
    # SQLite 3.35+ drops a column in place (no table copy, so the full-text triggers stay).
    op.execute("ALTER TABLE inventory DROP COLUMN category")
    op.drop_index('ix_item_images_hash', table_name='item_images')
    op.drop_table('item_images')
    op.drop_table('picture_files')
