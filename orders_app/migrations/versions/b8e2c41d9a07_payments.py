"""payments: the order's Checkout Session state, refunds, and the Stripe events received

Revision ID: b8e2c41d9a07
Revises: 7090f247b46c
Create Date: 2026-11-29 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b8e2c41d9a07'
down_revision = '7090f247b46c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkout_state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('checkout_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('refund_state', sa.String(length=16), nullable=True))
        batch_op.create_index('ix_orders_checkout_state', ['checkout_state'], unique=False)
        batch_op.create_index('ix_orders_refund_state', ['refund_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_payment_intent'), ['payment_intent'], unique=False)

    op.create_table('stripe_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('session_id', sa.String(length=255), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_events_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_events_session_id'), ['session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_events_session_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_events_order_id'))

    op.drop_table('stripe_events')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_payment_intent'))
        batch_op.drop_index('ix_orders_refund_state')
        batch_op.drop_index('ix_orders_checkout_state')
        batch_op.drop_column('refund_state')
        batch_op.drop_column('checkout_version')
        batch_op.drop_column('checkout_state')
