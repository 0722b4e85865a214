"""email_pending, email_pending_at: the account page shows the address change waiting for its link

The confirmation link each account was last mailed in the 24 hours before keeps working: it becomes
the account's change waiting (the links carry its address and, as `at`, their message's created_at).

Revision ID: c7e2d5a1f9b4
Revises: f1c9a4e7b3d2
Create Date: 2026-12-07 22:10:00

"""
from datetime import UTC, datetime, timedelta

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
    _carry_links_in_flight()


def _carry_links_in_flight():
    outbox = sa.table(
        'outbox',
        sa.column('id', sa.Integer),
        sa.column('user_id', sa.Integer),
        sa.column('kind', sa.String),
        sa.column('to_address', sa.String),
        sa.column('created_at', sa.DateTime),
    )
    users = sa.table(
        'users',
        sa.column('id', sa.Integer),
        sa.column('email', sa.String),
        sa.column('deleted_at', sa.DateTime),
        sa.column('email_restored_at', sa.DateTime),
        sa.column('email_pending', sa.String),
        sa.column('email_pending_at', sa.DateTime),
    )
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=24)
    bind = op.get_bind()
    asked = bind.execute(
        sa.select(outbox.c.user_id, outbox.c.to_address, outbox.c.created_at, users.c.email, users.c.email_restored_at)
        .join(users, users.c.id == outbox.c.user_id)
        .where(outbox.c.kind == 'email_confirm', outbox.c.created_at >= since, users.c.deleted_at.is_(None))
        .order_by(outbox.c.created_at, outbox.c.id)
    ).all()
    latest = {row.user_id: row for row in asked}  # each account's last request
    for row in latest.values():
        if not row.to_address or (row.email or '').lower() == row.to_address.lower():
            continue  # confirmed already
        if row.email_restored_at is not None and row.email_restored_at >= row.created_at:
            continue  # asked before the account was taken back
        bind.execute(
            users.update()
            .where(users.c.id == row.user_id)
            .values(email_pending=row.to_address, email_pending_at=row.created_at)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_pending_at')
        batch_op.drop_column('email_pending')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite's copy of the table leaves out the indexes on expressions (Alembic cannot reflect them).
        op.create_index('uq_users_login_lower', 'users', [sa.text('lower(login)')], unique=True)
        op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)
