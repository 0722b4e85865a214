"""How orders read on pages: times, ages, badges and history lines."""

from datetime import datetime

from orders_app.models import utcnow
from orders_app.payments import outcome_text

EVENT_TITLES = {
    "placed": "Order placed",
    "quantity_changed": "Quantity changed",
    "cancelled": "Cancelled",
    "stock_released": "Stock returned",
    "paid": "Paid",
    "payment_link": "Payment link",
    "payment_link_closed": "Payment link closed",
    "awaiting_payment": "Awaiting payment",
    "stock_committed": "Stock sold",
    "paid_after_cancel": "Paid after cancelling",
    "payment_mismatch": "Payment not accepted",
    "refunded": "Refunded",
    "refund_failed": "Refund failed",
    "old_link_paid": "Paid through an old link",
}


def when(moment: datetime | None) -> str:
    """2026-11-29 06:12 UTC"""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the largest unit that fits: "45 s", "12 min", "3 h", "2 d"."""
    if moment is None:
        return ""
    seconds = max(int(((now or utcnow()) - moment).total_seconds()), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def badge_class(status: str) -> str:
    return f"badge badge-{status.lower()}"


def event_title(action: str) -> str:
    return EVENT_TITLES.get(action, action.replace("_", " ").capitalize())


def register_filters(app) -> None:
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["age"] = age
    app.jinja_env.filters["badge_class"] = badge_class
    app.jinja_env.globals["event_title"] = event_title
    app.jinja_env.globals["outcome_text"] = outcome_text
