"""How orders read on pages: times, ages, badges and history lines."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from orders_app.customer_data import DELETED_ADMIN, ERASER
from orders_app.errors import status_word
from orders_app.history import Money, Note
from orders_app.jobs import RECONCILE
from orders_app.models import CANCELLED, COMMITTED, HELD, RELEASED, utcnow
from orders_app.settling import STRIPE
from orders_app.states import (
    ASYNC_FAILED,
    ASYNC_SUCCEEDED,
    CHARGE_REFUNDED,
    REFUND_FAILED_EVENT,
    REFUND_UPDATED,
    SESSION_COMPLETED,
    SESSION_EXPIRED_EVENT,
)
from orders_app.store import ADMIN_SUFFIX, INVENTORY, SWEEPER
from orders_app.webhooks import outcome_text
from shared_ui.i18n import gettext, ngettext
from shared_ui.money import format_money
from shared_ui.shop_time import when

EVENT_TITLES = {
    "placed": _l("Order placed"),
    "quantity_changed": _l("Quantity changed"),
    "lines_changed": _l("Lines changed"),
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
    "refund_pending": _l("Refund started"),
    "refund_failed": _l("Refund failed"),
    "old_link_paid": _l("Paid through an old link"),
    "attention_resolved": _l("Marked as resolved"),
}


#: who did what in an order's history, when it was not a person: stored in English, said in the reader's
#: language (a login cannot take these: users_app's RESERVED_LOGINS)
SYSTEM_ACTORS = {
    SWEEPER: _l("the shop (automatic)"),
    RECONCILE: _l("the shop (payment check)"),
    INVENTORY: _l("the shop's stock"),
    STRIPE: _l("Stripe"),
    ERASER: _l("the customer (account deleted)"),
    DELETED_ADMIN: _l("an administrator (account deleted)"),
}
#: an administrator's line, as a customer reads it
AN_ADMINISTRATOR = _l("an administrator")

#: an order's status as people read it (the stored value stays "Pending", "Paid", "Cancelled")
STATUS_LABELS = {"Pending": _l("Pending"), "Paid": _l("Paid"), "Cancelled": _l("Cancelled")}

#: where an order's stock stood, as its history's From and To say it (stock_released, stock_committed)
HOLD_STATE_LABELS = {HELD: _l("held"), RELEASED: _l("released"), COMMITTED: _l("committed")}


#: what a Stripe event is, as the payment timeline says it (its name stays in `stripe_events.type`, shown to admins)
STRIPE_EVENT_LABELS = {
    SESSION_COMPLETED: _l("Payment page finished"),
    ASYNC_SUCCEEDED: _l("Boleto paid"),
    ASYNC_FAILED: _l("Boleto not paid"),
    SESSION_EXPIRED_EVENT: _l("Payment link expired"),
    CHARGE_REFUNDED: _l("Refund reported"),
    REFUND_UPDATED: _l("Refund updated"),
    REFUND_FAILED_EVENT: _l("Refund failed"),
}

#: an event that came once the order was paid or cancelled ("late"), said for what the order is: an
#: expired link of a cancelled order read "Came after the order was settled: nothing to do"
LATE_OUTCOMES = {
    (SESSION_EXPIRED_EVENT, True): _l("The order was already cancelled: nothing was charged"),
    (SESSION_EXPIRED_EVENT, False): _l("The order was already paid: this changes nothing"),
    (None, True): _l("The order was already cancelled: this changes nothing"),
    (None, False): _l("The order was already paid: this changes nothing"),
}


def stripe_event_label(event_type: str) -> str:
    """A Stripe event's name in plain words (an unknown one as Stripe names it)."""
    label = STRIPE_EVENT_LABELS.get(event_type)
    return str(label) if label is not None else event_type


def timeline_outcome(event, order) -> str:
    """What a payment timeline line did, in plain words."""
    if event.outcome == "late":
        kind = event.type if event.type == SESSION_EXPIRED_EVENT else None
        return str(LATE_OUTCOMES[(kind, order.status == CANCELLED)])
    return outcome_text(event.outcome)


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def actor_label(actor: str) -> str:
    """Who wrote a history line: a customer's login as it is, an administrator's with "(admin)" in the
    reader's language (to a customer, "an administrator": which one, and their login, is the shop's
    own business), the shop's own jobs and Stripe in words."""
    label = SYSTEM_ACTORS.get(actor)
    if label is not None:
        return str(label)
    if actor.endswith(ADMIN_SUFFIX):
        if not getattr(current_user, "is_admin", False):
            return str(AN_ADMINISTRATOR)
        return gettext("%(login)s (admin)", login=actor.removesuffix(ADMIN_SUFFIX))
    return actor


def history_value(value: str | None) -> str:
    """A history line's From or To: a status or a hold state in words; a quantity or lines as they are."""
    if not value:
        return ""
    label = STATUS_LABELS.get(value) or HOLD_STATE_LABELS.get(value)
    return str(label) if label is not None else value


def note_text(event) -> str:
    """A history (or payment) line's note in the reader's language.

    The stored `note` is the English audit text; a page says the note anew from its message and
    arguments (`note_data`), amounts and times the reader's way, in English too: the audit text's
    "pay by 2026-12-07 22:33 UTC" stood beside the page's "12/7/26, 10:33 PM UTC". A line written
    before notes had their message and arguments shows its English note.
    """
    if event.note_data is None:
        return event.note or ""
    return _say(Note.from_data(event.note_data))


def _say(note: Note) -> str:
    args = {name: _argument(value) for name, value in note.args.items()}
    if note.plural is not None:
        return ngettext(note.msgid, note.plural, args.pop("num"), **args)
    return gettext(note.msgid) % args


def _argument(value):
    if isinstance(value, Money):
        return format_money(value.cents, value.currency)
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, Note):
        return _say(value)
    return value


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
    app.jinja_env.filters["age"] = age
    app.jinja_env.filters["badge_class"] = badge_class
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["history_value"] = history_value
    app.jinja_env.filters["actor_label"] = actor_label
    app.jinja_env.globals["note_text"] = note_text
    app.jinja_env.globals["event_title"] = event_title
    app.jinja_env.globals["outcome_text"] = outcome_text
    app.jinja_env.globals["timeline_outcome"] = timeline_outcome
    app.jinja_env.filters["stripe_event_label"] = stripe_event_label
    app.jinja_env.globals["status_word"] = status_word
