"""order lines: an order has 1 to 50 lines; every order of the one-item schema becomes a one-line order

The item, its name and unit price snapshots and the quantity move from `orders` into its one line
(position 1, line total = unit price x quantity, which is the order's total); nothing else of the
order, its history or its Stripe events changes.

Revision ID: d7a2b6c83e41
Revises: c41f0a9e5d12
Create Date: 2026-12-06 01:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd7a2b6c83e41'
down_revision = 'c41f0a9e5d12'
branch_labels = None
depends_on = None

MOVED = ('inventory_id', 'item_name', 'unit_price_cents', 'quantity')


def upgrade():
    op.create_table(
        'order_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('inventory_id', sa.Integer(), nullable=False),
        sa.Column('item_name', sa.String(length=200), nullable=False),
        sa.Column('unit_price_cents', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('line_total_cents', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('order_id', 'position', name='uq_order_lines_position'),
        sa.UniqueConstraint('order_id', 'inventory_id', name='uq_order_lines_item'),
    )
    op.create_index('ix_order_lines_inventory_id', 'order_lines', ['inventory_id'], unique=False)
    op.execute(
        "INSERT INTO order_lines (order_id, position, inventory_id, item_name, unit_price_cents, quantity,"
        " line_total_cents) SELECT id, 1, inventory_id, item_name, unit_price_cents, quantity,"
        " unit_price_cents * quantity FROM orders"
    )
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    # SQLite copies the table to drop columns: keep AUTOINCREMENT and its counter, so an id is never
    # used again after a failed order's row was deleted.
    seq = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'orders'")).scalar() if sqlite else None
    with op.batch_alter_table('orders', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        for column in MOVED:
            batch_op.drop_column(column)
    if seq is not None:
        bind.execute(
            sa.text("UPDATE sqlite_sequence SET seq = :seq WHERE name = 'orders' AND seq < :seq"), {'seq': seq}
        )


def downgrade():
    several = op.get_bind().execute(sa.text(
        "SELECT COUNT(*) FROM (SELECT order_id FROM order_lines GROUP BY order_id HAVING COUNT(*) > 1) AS several"
    )).scalar()
    if several:
        raise RuntimeError(
            f"{several} order(s) have several lines: the previous schema keeps one item per order, so "
            "downgrading would lose their other lines (restore a backup taken before this revision instead)."
        )
    with op.batch_alter_table('orders', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('inventory_id', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('item_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('unit_price_cents', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('quantity', sa.Integer(), nullable=False, server_default='0'))
    for column in MOVED:
        op.execute(
            f"UPDATE orders SET {column} = (SELECT {column} FROM order_lines"
            f" WHERE order_lines.order_id = orders.id AND order_lines.position = 1)"
        )
    op.drop_index('ix_order_lines_inventory_id', table_name='order_lines')
    op.drop_table('order_lines')
