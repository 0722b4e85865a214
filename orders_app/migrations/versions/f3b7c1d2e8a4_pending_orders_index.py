"""an index of each customer's orders by status: the limit of Pending orders reads only those

Revision ID: f3b7c1d2e8a4
Revises: e4f1c2a9b7d0
Create Date: 2026-12-06 04:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f3b7c1d2e8a4'
down_revision = 'e4f1c2a9b7d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_orders_user_status', 'orders', ['user_id', 'status'], unique=False)


def downgrade():
    op.drop_index('ix_orders_user_status', table_name='orders')
