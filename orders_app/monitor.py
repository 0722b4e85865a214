"""The admin order monitor's questions: which orders match the filters, how many and how much per
status, and which need someone to look at them."""

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from orders_app.extensions import db
from orders_app.models import (
    ABANDONED,
    ADJUSTING,
    COMMITTING,
    HIDDEN_HOLD_STATES,
    PENDING,
    REFUND_DONE,
    REFUND_DUE,
    REFUND_FAILED,
    REFUND_PENDING,
    RELEASING,
    REQUESTING,
    RESTOCKING,
    STATUSES,
    Order,
    OrderLine,
)
from shared_ui.numbers import whole_number
from shared_ui.shop_time import local_midnight

IN_FLIGHT = (REQUESTING, ADJUSTING, ABANDONED, RELEASING, COMMITTING, RESTOCKING)
# Why an order needs a look, in the admin's language (lazy).
STUCK_REASONS = {
    REQUESTING: _l("placing it did not finish (stock requested from inventory)"),
    ADJUSTING: _l("a quantity change did not finish at inventory"),
    ABANDONED: _l("a failed order's stock is not yet released at inventory"),
    RELEASING: _l("cancelled, but its stock is not yet back at inventory"),
    COMMITTING: _l("paid, but its stock is not yet committed at inventory"),
    RESTOCKING: _l("refunded, but its stock is not yet back at inventory"),
}
RETRIED_BY = {COMMITTING: _l("payment reconcile")}
REFUND_NOT_CONFIRMED = _l("a refund is due but Stripe has not confirmed it yet; payment reconcile keeps trying")
ATTENTION = "attention"
CURSORS = ("before", "after")


@dataclass
class MonitorQuery:
    """The monitor's filters, read from the query string (bad values are dropped and reported)."""

    q: str = ""
    status: str = ""
    user: str = ""
    item: str = ""
    date_from: str = ""
    date_to: str = ""
    view: str = ""
    #: a later page: the orders older than this id (see `search`); `after`: the page just newer than it
    before: int | None = None
    after: int | None = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> "MonitorQuery":
        texts = {f.name: args.get(f.name, "").strip() for f in fields(cls)}  # no NUL: shared_ui.edge drops it
        query = cls(**{name: value for name, value in texts.items() if name not in (*CURSORS, "problems")})
        for name in CURSORS:  # an id, or the first page (a cursor made up or cut off starts from the top)
            setattr(query, name, whole_number(texts[name]) or None)
        if query.status not in ("", *STATUSES):
            query.problems.append(_("Unknown status “%(status)s”; showing every status.", status=query.status))
            query.status = ""
        if query.view not in ("", ATTENTION):
            query.view = ""
        for name, label in (("date_from", _l("From")), ("date_to", _l("To"))):
            value = getattr(query, name)
            if not value:
                continue
            day = _date(value)
            if day in (None, date.max):  # the day after date.max overflows
                query.problems.append(_("%(field)s: use a date like 2026-01-31.", field=label))
                day = None
            # Python also reads 20260131 and 2026-W05-6; a date field shows only 2026-01-31, and
            # would look empty while the list is filtered by it.
            setattr(query, name, day.isoformat() if day else "")
        if query.date_from and query.date_to and query.date_from > query.date_to:  # ISO dates sort as text
            query.problems.append(_("From is after To: no order can match; swap the dates."))
        return query

    def link_args(self, **changes) -> dict:
        """The filters as query-string arguments (for page links), with `changes` applied."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "problems"}
        values.update(changes)
        return {name: value for name, value in values.items() if value not in ("", None)}

    def conditions(self, now: datetime, stale: datetime, *, with_status: bool = True) -> list:
        found = []
        if self.view == ATTENTION:
            found.append(attention_condition(now, stale))
        else:
            found.append(Order.hold_state.not_in(HIDDEN_HOLD_STATES))
        if with_status and self.status:
            found.append(Order.status == self.status)
        if self.user:
            found.append(func.lower(Order.user_login).contains(self.user.lower(), autoescape=True))
        if self.item:
            by_name = func.lower(OrderLine.item_name).contains(self.item.lower(), autoescape=True)
            item_id = whole_number(self.item.removeprefix("#"))  # a row shows an item's id as "#12"
            matches = or_(by_name, OrderLine.inventory_id == item_id) if item_id is not None else by_name
            found.append(_has_line(matches))
        if self.q:
            found.append(_search(self.q))
        if self.date_from:
            found.append(Order.created_at >= local_midnight(_date(self.date_from)))
        if self.date_to:
            found.append(Order.created_at < local_midnight(_date(self.date_to) + timedelta(days=1)))
        return found


def attention_condition(now: datetime, stale: datetime):
    """Flagged by payments, Pending past the payment window, a saga step stuck in flight, or a refund
    Stripe has not confirmed."""
    return or_(
        Order.needs_attention.is_(True),
        and_(Order.status == PENDING, Order.pay_by < now, Order.hold_state.not_in(HIDDEN_HOLD_STATES)),
        and_(Order.hold_state.in_(IN_FLIGHT), Order.updated_at < stale),
        and_(Order.refund_state == REFUND_DUE, Order.updated_at < stale),
    )


def attention_reasons(order: Order, now: datetime, stale: datetime) -> list[str]:
    reasons = []
    if order.needs_attention:
        reasons.append(order.attention_reason or _("flagged for a look"))
    if order.is_overdue(now) and order.hold_state not in HIDDEN_HOLD_STATES:
        reasons.append(_("not paid within the payment window"))
    if order.hold_state in IN_FLIGHT and order.updated_at < stale:
        retried_by = RETRIED_BY.get(order.hold_state) or _("the sweeper")
        reasons.append(_("%(reason)s; %(who)s keeps trying", reason=STUCK_REASONS[order.hold_state], who=retried_by))
    if order.refund_state == REFUND_DUE and order.updated_at < stale:
        reasons.append(str(REFUND_NOT_CONFIRMED))
    return reasons


@dataclass
class MonitorPage:
    orders: list[Order]
    total: int
    newer: int  # how many orders that match are newer than this page's (a page of keyset paging has no number)
    older: bool  # orders older than this page's match too


def search(query: MonitorQuery, now: datetime, stale: datetime, per_page: int) -> MonitorPage:
    """A page of the filtered orders, newest first.

    A later page is anchored to an order (keyset paging on the id, which grows as orders arrive): orders
    placed, or leaving the filters, while the admin reads it neither push its rows onto the next page nor
    bring them back on it. The anchor is left in `query.before` (its first order included) for the
    page's own refreshes and links; the first page has none, and shows the newest orders as they come.
    """
    conditions = query.conditions(now, stale)

    def count(*more) -> int:
        return db.session.scalar(select(func.count(Order.id)).where(*conditions, *more))

    newest = select(Order).where(*conditions).order_by(Order.id.desc()).limit(per_page)
    oldest = select(Order).where(*conditions).order_by(Order.id.asc()).limit(per_page)
    rows = []
    if query.after is not None:  # "Newer": the page just above; the first page when not a page is left above
        rows = list(db.session.scalars(oldest.where(Order.id > query.after)))[::-1]
        rows = rows if len(rows) == per_page else []
    elif query.before is not None:  # "Older": the last page when its orders went away
        rows = list(db.session.scalars(newest.where(Order.id < query.before)))
        rows = rows or list(db.session.scalars(oldest))[::-1]
    rows = rows or list(db.session.scalars(newest))
    total = count_matching(query, now, stale)
    newer = count(Order.id > rows[0].id) if rows else 0
    query.before, query.after = (rows[0].id + 1 if newer else None), None
    return MonitorPage(rows, total, newer, total > newer + len(rows))


def count_matching(query: MonitorQuery, now: datetime, stale: datetime) -> int:
    """How many orders match the filters (the status filter included)."""
    return db.session.scalar(select(func.count(Order.id)).where(*query.conditions(now, stale)))


def summary(query: MonitorQuery, now: datetime, stale: datetime) -> list[dict]:
    """Count and total of the filtered orders per status (every status, whatever the status filter),
    and how many of them, for how much, had their payment refunded (or due to be: Stripe retried)."""
    # a refund Stripe refused, marked resolved by an admin: the shop settled it (Order.refund_settled_by_shop)
    settled_by_shop = and_(Order.refund_state == REFUND_FAILED, Order.needs_attention.is_(False))
    refunded = or_(Order.refund_state.in_((REFUND_DUE, REFUND_PENDING, REFUND_DONE)), settled_by_shop)
    rows = db.session.execute(
        select(
            Order.status,
            func.count(Order.id),
            func.coalesce(func.sum(Order.total_cents), 0),
            func.count(case((refunded, Order.id))),
            func.coalesce(func.sum(case((refunded, Order.total_cents), else_=0)), 0),
        )
        .where(*query.conditions(now, stale, with_status=False))
        .group_by(Order.status)
    ).all()
    found = {status: tuple(int(value) for value in values) for status, *values in rows}
    names = ("count", "total_cents", "refunded_count", "refunded_cents")
    return [{"status": s, **dict(zip(names, found.get(s, (0, 0, 0, 0)), strict=True))} for s in STATUSES]


def _has_line(condition):
    """Orders with a line that meets `condition` (an order of several items is found by any of them)."""
    return select(OrderLine.id).where(OrderLine.order_id == Order.id, condition).exists()


def _search(text: str):
    text = text.strip().lstrip("#")
    words = [
        func.lower(Order.user_login).contains(text.lower(), autoescape=True),
        _has_line(func.lower(OrderLine.item_name).contains(text.lower(), autoescape=True)),
    ]
    if (order_id := whole_number(text)) is not None:
        words.append(Order.id == order_id)
    return or_(*words)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
