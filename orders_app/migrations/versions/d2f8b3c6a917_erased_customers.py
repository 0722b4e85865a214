"""erased customers: no order is placed for an account being deleted

Revision ID: d2f8b3c6a917
Revises: c7e3a1f9b254
Create Date: 2026-12-07 09:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2f8b3c6a917'
down_revision = 'c7e3a1f9b254'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('erased_customers',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('erased_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade():
    op.drop_table('erased_customers')
