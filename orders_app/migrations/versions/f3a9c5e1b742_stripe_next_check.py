"""when reconcile asks Stripe again about a pending refund or an unpaid boleto

Revision ID: f3a9c5e1b742
Revises: d2f8b3c6a917
Create Date: 2026-12-07 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a9c5e1b742'
down_revision = 'd2f8b3c6a917'
branch_labels = None
depends_on = None


def upgrade():
    # What is pending before this migration is asked about at the next run, then on the new schedule.
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_next_check_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('stripe_next_check_at')
