"""database identity: a random id of this orders database, written once

Stripe keeps idempotency keys for 24 hours and the emulator's store outlives a database: a shop
whose orders database starts again reuses order ids. The id goes into idempotency keys and session
metadata, so a new database never meets an old one's keys or events.

Revision ID: c41f0a9e5d12
Revises: b8e2c41d9a07
Create Date: 2026-12-06 01:00:00.000000

"""
import secrets

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c41f0a9e5d12'
down_revision = 'b8e2c41d9a07'
branch_labels = None
depends_on = None


def upgrade():
    identity = op.create_table(
        'database_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('database_id', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(identity, [{'id': 1, 'database_id': secrets.token_hex(8)}])


def downgrade():
    op.drop_table('database_identity')
