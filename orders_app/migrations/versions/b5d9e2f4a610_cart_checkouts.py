"""cart checkouts: one order for two checkouts of one cart at once

Revision ID: b5d9e2f4a610
Revises: a8c3d5e7f901
Create Date: 2026-12-07 06:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d9e2f4a610'
down_revision = 'a8c3d5e7f901'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cart_checkouts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade():
    op.drop_table('cart_checkouts')
