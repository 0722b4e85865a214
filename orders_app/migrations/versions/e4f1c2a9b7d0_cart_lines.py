"""cart lines: one cart per customer, a line per item

Revision ID: e4f1c2a9b7d0
Revises: a27a91c716fc
Create Date: 2026-12-06 02:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4f1c2a9b7d0'
down_revision = 'a27a91c716fc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cart_lines',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('inventory_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('price_cents_seen', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('quantity > 0', name='ck_cart_lines_quantity_positive'),
    sa.PrimaryKeyConstraint('user_id', 'inventory_id')
    )


def downgrade():
    op.drop_table('cart_lines')
