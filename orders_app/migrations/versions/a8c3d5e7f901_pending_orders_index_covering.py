"""the index of each customer's orders by status also holds the hold's state: the limit of Pending orders counts from the index alone

Revision ID: a8c3d5e7f901
Revises: f3b7c1d2e8a4
Create Date: 2026-12-07 01:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a8c3d5e7f901'
down_revision = 'f3b7c1d2e8a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_orders_user_status_hold', 'orders', ['user_id', 'status', 'hold_state'], unique=False
    )
    op.drop_index('ix_orders_user_status', table_name='orders')


def downgrade():
    op.create_index('ix_orders_user_status', 'orders', ['user_id', 'status'], unique=False)
    op.drop_index('ix_orders_user_status_hold', table_name='orders')
