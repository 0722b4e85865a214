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
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite's copy of the table leaves out the indexes on expressions (Alembic cannot reflect them).
        op.create_index('uq_users_login_lower', 'users', [sa.text('lower(login)')], unique=True)
        op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
