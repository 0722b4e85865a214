"""email_restored_at: the link of an e-mail change notice puts the old address back once

Revision ID: f1c9a4e7b3d2
Revises: 23d419b4c23c
Create Date: 2026-12-07 09:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1c9a4e7b3d2'
down_revision = '23d419b4c23c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_restored_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_restored_at')
