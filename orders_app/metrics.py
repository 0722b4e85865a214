"""orders' gauges for /orders/metrics, computed from the database at each scrape."""

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from orders_app.extensions import db
from orders_app.models import HIDDEN_HOLD_STATES, Order, StripeEvent


def order_metrics():
    """Orders by status (and how many need an admin), Stripe events by type and outcome."""
    by_status = GaugeMetricFamily("shop_orders", "Orders, by status", labels=["status"])
    rows = db.session.execute(
        select(Order.status, func.count()).where(Order.hold_state.not_in(HIDDEN_HOLD_STATES)).group_by(Order.status)
    ).all()
    for status, count in rows:
        by_status.add_metric([status], count)
    yield by_status

    attention = db.session.scalar(select(func.count()).where(Order.needs_attention.is_(True)))
    yield GaugeMetricFamily("shop_orders_needing_attention", "Orders flagged for an admin", value=attention)

    events = GaugeMetricFamily(
        "shop_stripe_events", "Stripe events received, by type and what they did", labels=["type", "outcome"]
    )
    for event_type, outcome, count in db.session.execute(
        select(StripeEvent.type, StripeEvent.outcome, func.count()).group_by(StripeEvent.type, StripeEvent.outcome)
    ).all():
        events.add_metric([event_type, outcome], count)
    yield events
