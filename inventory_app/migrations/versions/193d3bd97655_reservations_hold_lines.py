"""reservations hold lines: one reservation, several items

Each existing reservation (one item each) becomes a reservation with one line of the same item and
quantity; nothing else about it changes (key, state, deadline, times), and stock_movements are
untouched, so every ledger still balances. The item and quantity columns leave `reservations`
(with their index, foreign key and check); the lines carry them now.

Downgrade is possible only while every reservation has exactly one line; otherwise it stops with a
message rather than lose lines.

Revision ID: 193d3bd97655
Revises: b303f24789f5
Create Date: 2026-12-06 00:33:57.782484

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '193d3bd97655'
down_revision = 'b303f24789f5'
branch_labels = None
depends_on = None


def upgrade():
    # The lines wait in a staging table while `reservations` loses its columns: on SQLite the batch
    # copy drops and recreates `reservations`, which (foreign keys on) would cascade to the lines.
    op.execute(
        "CREATE TABLE reservation_lines_staging AS SELECT id AS reservation_id, item_id, quantity FROM reservations"
    )

    # On PostgreSQL dropping the columns drops their foreign key and check with them; on SQLite the
    # batch copy of the table leaves them out (the state check is kept by name).
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_item_state')
        if op.get_bind().dialect.name == 'sqlite':
            batch_op.drop_constraint('ck_reservations_quantity_positive', type_='check')
        batch_op.drop_column('item_id')
        batch_op.drop_column('quantity')

    op.create_table('reservation_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name='ck_reservation_lines_quantity_positive'),
    sa.ForeignKeyConstraint(['item_id'], ['inventory.id'], ),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reservation_id', 'item_id', name='uq_reservation_lines_item')
    )
    with op.batch_alter_table('reservation_lines', schema=None) as batch_op:
        batch_op.create_index('ix_reservation_lines_item', ['item_id', 'reservation_id'], unique=False)

    op.execute(
        "INSERT INTO reservation_lines (reservation_id, item_id, quantity) "
        "SELECT reservation_id, item_id, quantity FROM reservation_lines_staging ORDER BY reservation_id"
    )
    op.drop_table('reservation_lines_staging')


def downgrade():
    bind = op.get_bind()
    several = bind.execute(sa.text(
        "SELECT COUNT(*) FROM (SELECT reservation_id FROM reservation_lines "
        "GROUP BY reservation_id HAVING COUNT(*) <> 1) AS several"
    )).scalar()
    if several:
        raise RuntimeError(
            f"{several} reservation(s) hold several lines (or none): the previous schema holds one item "
            "per reservation, so downgrading would lose stock. Release or commit them first."
        )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quantity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('item_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE reservations SET "
        "item_id = (SELECT item_id FROM reservation_lines WHERE reservation_id = reservations.id), "
        "quantity = (SELECT quantity FROM reservation_lines WHERE reservation_id = reservations.id)"
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.alter_column('quantity', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('reservations_item_id_fkey', 'inventory', ['item_id'], ['id'])
        batch_op.create_check_constraint('ck_reservations_quantity_positive', 'quantity > 0')
        batch_op.create_index('ix_reservations_item_state', ['item_id', 'state'], unique=False)

    with op.batch_alter_table('reservation_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_reservation_lines_item')

    op.drop_table('reservation_lines')
