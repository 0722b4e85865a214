"""email_pending, email_pending_at: the account page shows the address change waiting for its link

Revision ID: c7e2d5a1f9b4
Revises: f1c9a4e7b3d2
Create Date: 2026-12-07 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7e2d5a1f9b4'
down_revision = 'f1c9a4e7b3d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_pending', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('email_pending_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_pending_at')
        batch_op.drop_column('email_pending')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite's copy of the table leaves out the indexes on expressions (Alembic cannot reflect them).
        op.create_index('uq_users_login_lower', 'users', [sa.text('lower(login)')], unique=True)
        op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
