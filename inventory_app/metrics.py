"""inventory's gauges for /inventory/metrics, computed from the database at each scrape."""

from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from inventory_app.extensions import db
from inventory_app.models import COMMITTED, HELD, Item, Reservation, ReservationLine, utcnow


def stock_metrics():
    """Units held and sold, holds past their deadline (the sweeper's backlog), items running low."""
    units = GaugeMetricFamily("shop_inventory_reserved_units", "Units in reservations, by state", labels=["state"])
    rows = dict(
        db.session.execute(
            select(Reservation.state, func.coalesce(func.sum(ReservationLine.quantity), 0))
            .join(ReservationLine)
            .where(Reservation.state.in_((HELD, COMMITTED)))
            .group_by(Reservation.state)
        ).all()
    )
    for state in (HELD, COMMITTED):
        units.add_metric([state], rows.get(state, 0))
    yield units

    overdue = db.session.scalar(
        select(func.count()).where(Reservation.state == HELD, Reservation.expires_at <= utcnow())
    )
    yield GaugeMetricFamily(
        "shop_inventory_overdue_holds", "Held reservations past their deadline, not yet released", value=overdue
    )

    threshold = current_app.config["LOW_STOCK_THRESHOLD"]
    low = db.session.scalar(select(func.count()).where(Item.archived_at.is_(None), Item.quantity <= threshold))
    yield GaugeMetricFamily("shop_inventory_low_stock_items", f"Live items with {threshold} units or fewer", value=low)
