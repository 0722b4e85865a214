"""How orders read on pages: times, ages, badges and history lines."""

from datetime import datetime

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from orders_app.errors import status_word
from orders_app.models import utcnow
from orders_app.webhooks import outcome_text

EVENT_TITLES = {
    "placed": _l("Order placed"),
    "quantity_changed": _l("Quantity changed"),
    "cancelled": _l("Cancelled"),
    "stock_released": _l("Stock returned"),
    "paid": _l("Paid"),
    "payment_link": _l("Payment link"),
    "payment_link_closed": _l("Payment link closed"),
    "awaiting_payment": _l("Awaiting payment"),
    "stock_committed": _l("Stock sold"),
    "paid_after_cancel": _l("Paid after cancelling"),
    "payment_mismatch": _l("Payment not accepted"),
    "refunded": _l("Refunded"),
    "refund_failed": _l("Refund failed"),
    "old_link_paid": _l("Paid through an old link"),
    "attention_resolved": _l("Marked as resolved"),
}


#: an order's status as people read it (the stored value stays "Pending", "Paid", "Cancelled")
STATUS_LABELS = {"Pending": _l("Pending"), "Paid": _l("Paid"), "Cancelled": _l("Cancelled")}


def when(moment: datetime | None) -> str:
    """A stored (naive UTC) time the reader's way: "11/29/26, 6:12 AM UTC", "29/11/2026 06:12 UTC"."""
    return f"{format_datetime(moment, 'short')} UTC" if moment else ""


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


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
    return str(EVENT_TITLES.get(action, action.replace("_", " ").capitalize()))


def register_filters(app) -> None:
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["age"] = age
    app.jinja_env.filters["badge_class"] = badge_class
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.globals["event_title"] = event_title
    app.jinja_env.globals["outcome_text"] = outcome_text
    app.jinja_env.globals["status_word"] = status_word
