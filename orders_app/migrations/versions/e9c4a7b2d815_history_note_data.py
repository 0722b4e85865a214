"""history notes in the reader's language: each note's message and arguments beside its English text

Revision ID: e9c4a7b2d815
Revises: b5d9e2f4a610
Create Date: 2026-12-08 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e9c4a7b2d815'
down_revision = 'b5d9e2f4a610'
branch_labels = None
depends_on = None


def upgrade():
    # Rows written before keep only their English note (pages show it as it is).
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_data', sa.JSON(), nullable=True))
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_data', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.drop_column('note_data')
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_column('note_data')
