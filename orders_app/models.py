"""Orders and their history.

An order's `status` is what the customer sees (Pending, Paid, Cancelled); its `hold_state` is
where the stock held for it at inventory stands, which is what the saga (placing, editing, cancelling, settling) moves:

- requesting: the row is written and inventory was asked to hold (hidden from every list)
- held:       inventory holds the stock under `order-<id>`
- adjusting:  a quantity change is being applied at inventory; other changes wait for it
- abandoned:  placing failed after inventory was asked; the hold must be released, then the
              row deleted (hidden)
- releasing:  the order is Cancelled and its hold must be released
- released:   the hold is released (stock back)
- committing: the order is paid and its stock must be committed (sold); reconcile retries it
- committed:  the stock is sold
- restocking: a paid order was cancelled with a refund and its sold stock goes back

Every state but `held`, `released` and `committed` is a step in flight: the sweeper
(ordering.sweep) and payment reconcile (payments.reconcile) finish the ones a request left behind.

The order's Checkout Session, `checkout_state` (checkout.py and webhooks.py move it):

- None:       no payment link yet
- open:       `stripe_session_url` is where the customer pays, until `pay_by`
- closing:    the shop asked Stripe to expire it (before an edit or a cancel); an `expired`
              event for it then changes nothing
- processing: Stripe has the payment in hand but not yet settled (a boleto); `pay_by` is its due date
- complete:   paid
- expired / failed: closed without payment (Pay makes a new link while the order is Pending)

`refund_state` is `due` once the shop decided to give a payment back, `pending` while Stripe has taken
the refund but not sent the money yet, `done` when it has, and `failed` when Stripe refused it or it
failed later (a closed card: flagged for an admin).
"""

from datetime import UTC, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders_app import states
from orders_app.extensions import db

# The states live in states.py (pure); they are re-exported here for the code that reads rows.
from orders_app.states import (  # noqa: F401
    ABANDONED,
    ADJUSTING,
    CANCELLED,
    COMMITTED,
    COMMITTING,
    HELD,
    HIDDEN_HOLD_STATES,
    PAID,
    PENDING,
    REFUND_DONE,
    REFUND_DUE,
    REFUND_FAILED,
    REFUND_PENDING,
    RELEASED,
    RELEASING,
    REQUESTING,
    RESTOCKING,
    SESSION_CLOSING,
    SESSION_COMPLETE,
    SESSION_EXPIRED,
    SESSION_FAILED,
    SESSION_OPEN,
    SESSION_PROCESSING,
    STATUSES,
)
from shared_ui.api import cents_to_str


def utcnow() -> datetime:
    """Now in UTC, naive (as every datetime column here stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def rfc3339(moment: datetime | None) -> str | None:
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def lines_summary(lines) -> str:
    """(quantity, name) pairs as "2 x Mug, 1 x Lamp" (a multiplication sign): an order's summary."""
    return ", ".join(f"{quantity} × {name}" for quantity, name in lines)


class Order(db.Model):
    __tablename__ = "orders"
    # AUTOINCREMENT: an id is never reused after a failed order's row is deleted, so the
    # reservation key `order-<id>` always names one order only.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    user_login: Mapped[str] = mapped_column(String(64))
    #: the sum of the lines' totals
    total_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=PENDING, server_default=PENDING)
    #: goes up with every change a customer could notice (quantity, status); the payments
    #: issue builds Stripe's idempotency key from it
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    hold_state: Mapped[str] = mapped_column(String(16), default=REQUESTING, server_default=REQUESTING)
    #: when inventory lets the hold go by itself; the sweeper cancels Pending orders past it
    hold_expires_at: Mapped[datetime]
    #: the payment deadline the customer is shown (the hold lasts a few minutes longer)
    pay_by: Mapped[datetime | None]
    # Payments (checkout.py, webhooks.py): the current Checkout Session and what became of it.
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), index=True)
    stripe_session_url: Mapped[str | None] = mapped_column(Text)
    #: see the module docstring; None until the first Pay
    checkout_state: Mapped[str | None] = mapped_column(String(16))
    #: the version whose session parameters (`pay_by` as expires_at) are fixed: a retry of Pay
    #: for this version sends Stripe the very same parameters under the same idempotency key
    checkout_version: Mapped[int | None]
    #: the PaymentIntent that paid (charge.refunded events are matched by it)
    payment_intent: Mapped[str | None] = mapped_column(String(255), index=True)
    refund_id: Mapped[str | None] = mapped_column(String(255))
    refund_state: Mapped[str | None] = mapped_column(String(16))
    #: reconcile asks Stripe again about the order's `pending` refund, or its boleto awaiting payment,
    #: at this time, not before (None: at the next run); the gaps grow with their age
    #: (settling.ask_again_later)
    stripe_next_check_at: Mapped[datetime | None]
    needs_attention: Mapped[bool] = mapped_column(default=False, server_default=false())
    attention_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order",
        order_by="OrderLine.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan", passive_deletes=True
    )

    # ----- lines ---------------------------------------------------------------------------------

    @property
    def units(self) -> int:
        """Every unit of every line."""
        return sum(line.quantity for line in self.lines)

    @property
    def line_quantities(self) -> dict[int, int]:
        """{item id: quantity}: what inventory holds for this order."""
        return {line.inventory_id: line.quantity for line in self.lines}

    @property
    def one_line(self) -> "OrderLine | None":
        """The order's line when it has exactly one (the one-item views and API fields use it)."""
        return self.lines[0] if len(self.lines) == 1 else None

    @property
    def inventory_id(self) -> int | None:
        return self.one_line.inventory_id if self.one_line else None

    @property
    def item_name(self) -> str:
        """The item's name (one line), else each line as "2 x Mug" joined by commas."""
        return self.one_line.item_name if self.one_line else self.summary

    @property
    def summary(self) -> str:
        """Every line as "2 x Mug", joined by commas (history notes, the monitor)."""
        return lines_summary((line.quantity, line.item_name) for line in self.lines)

    @property
    def unit_price_cents(self) -> int | None:
        return self.one_line.unit_price_cents if self.one_line else None

    @property
    def quantity(self) -> int:
        """The units ordered (of the one item, for a one-line order)."""
        return self.units

    def set_lines(self, lines: list["OrderLine"]) -> None:
        """The order's lines in this order, numbered from 1; the total follows."""
        for position, line in enumerate(lines, start=1):
            line.position = position
            line.line_total_cents = line.unit_price_cents * line.quantity
        self.lines = lines
        self.total_cents = sum(line.line_total_cents for line in lines)

    @property
    def key(self) -> str:
        """The key of this order's reservation at inventory."""
        return f"order-{self.id}"

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING

    @property
    def is_paid(self) -> bool:
        return self.status == PAID

    @property
    def is_cancelled(self) -> bool:
        return self.status == CANCELLED

    @property
    def being_adjusted(self) -> bool:
        """A change of the hold is in flight at inventory."""
        return self.hold_state == ADJUSTING

    @property
    def stock_committing(self) -> bool:
        return self.hold_state == COMMITTING

    @property
    def refund_in_progress(self) -> bool:
        return self.refund_state in (REFUND_DUE, REFUND_PENDING)

    @property
    def refunded(self) -> bool:
        return self.refund_state == REFUND_DONE

    @property
    def refund_failed(self) -> bool:
        """Stripe refused the refund, and the administrator it was flagged for has not dealt with it yet
        (refunded by hand, as "Mark as resolved" says: the flag goes, the state stays)."""
        return self.refund_state == REFUND_FAILED and self.needs_attention

    @property
    def refund_settled_by_shop(self) -> bool:
        """Stripe refused the refund and an administrator marked it resolved: the shop gave the money back
        itself (Stripe has no record of it, so the state stays `failed` for the money path; Stripe's
        charge.refunded, if the admin refunded at Stripe, still moves it to `done`)."""
        return self.refund_state == REFUND_FAILED and not self.needs_attention

    @property
    def awaiting_payment(self) -> bool:
        """Stripe holds a payment that has not settled yet (a boleto): no edits, no cancels."""
        return self.status == PENDING and self.checkout_state == SESSION_PROCESSING

    # The guards (states.py): the pages, the API and the use cases ask the same ones.
    def can_change(self) -> bool:
        return states.can_change(self)

    def can_pay(self) -> bool:
        return states.can_pay(self)

    def can_cancel(self) -> bool:
        return states.can_cancel(self)

    def can_refund(self) -> bool:
        return states.can_refund(self)

    def is_overdue(self, now: datetime) -> bool:
        return self.status == PENDING and self.pay_by is not None and self.pay_by < now

    def payment_url(self, now: datetime | None = None) -> str | None:
        """Where the customer pays: the open Checkout Session, while it is open."""
        if self.status != PENDING or self.checkout_state != SESSION_OPEN or not self.stripe_session_url:
            return None
        if self.pay_by is None or self.pay_by <= (now or utcnow()):
            return None
        return self.stripe_session_url

    def to_api(self) -> dict:
        body = {
            "id": self.id,
            "user_id": self.user_id,
            "lines": [line.to_api() for line in self.lines],
            "total_price": cents_to_str(self.total_cents),
            "status": self.status,
            "payment_url": self.payment_url(),
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        }
        if self.one_line:  # a one-line order keeps the one-item fields
            body |= {"inventory_id": self.one_line.inventory_id, "quantity": self.one_line.quantity}
        return body


class OrderLine(db.Model):
    """One item of an order: its name and unit price when it was ordered (later changes do not apply)."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "position", name="uq_order_lines_position"),
        UniqueConstraint("order_id", "inventory_id", name="uq_order_lines_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int]
    inventory_id: Mapped[int] = mapped_column(index=True)
    item_name: Mapped[str] = mapped_column(String(200))
    unit_price_cents: Mapped[int]
    quantity: Mapped[int]
    line_total_cents: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")

    def to_api(self) -> dict:
        return {
            "inventory_id": self.inventory_id,
            "name": self.item_name,
            "unit_price": cents_to_str(self.unit_price_cents),
            "quantity": self.quantity,
            "line_total": cents_to_str(self.line_total_cents),
        }


class OrderEvent(db.Model):
    """One line of an order's history: who or what changed it, when, from what to what."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: "alice", "boss (admin)", "sweeper", "stripe"…
    actor: Mapped[str] = mapped_column(String(80))
    #: placed, quantity_changed, cancelled, stock_released, reconciled, expired…
    action: Mapped[str] = mapped_column(String(40))
    from_value: Mapped[str | None] = mapped_column(String(80))
    to_value: Mapped[str | None] = mapped_column(String(80))
    #: what happened in English (the audit text); rows written before `note_data` have only this
    note: Mapped[str | None] = mapped_column(Text)
    #: the note's message and arguments (history.Note.data), to say it in the reader's language
    note_data: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    order: Mapped[Order] = relationship(back_populates="events")


class StripeEvent(db.Model):
    """A Stripe event the shop received (its id is Stripe's), and what it did to the order."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    session_id: Mapped[str | None] = mapped_column(String(255), index=True)
    order_id: Mapped[int | None] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: paid, awaiting_payment, released, stale, duplicate… (payments.OUTCOMES says them in words)
    outcome: Mapped[str] = mapped_column(String(40))
    #: as an order's history keeps its notes: the English text, and its message and arguments
    note: Mapped[str | None] = mapped_column(Text)
    note_data: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))


class DatabaseIdentity(db.Model):
    """The one row naming this orders database: a random id written once by its migration."""

    __tablename__ = "database_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    database_id: Mapped[str] = mapped_column(String(32))


class CartLine(db.Model):
    """A line of a logged-in customer's cart: an item and how many (a visitor's cart is in the session).

    `price_cents_seen` is the item's price when the line was added, so the cart can say when it
    changed since; nothing is held at inventory while an item sits in a cart.
    """

    __tablename__ = "cart_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_cart_lines_quantity_positive"),)

    user_id: Mapped[int] = mapped_column(primary_key=True)
    inventory_id: Mapped[int] = mapped_column(primary_key=True)
    quantity: Mapped[int]
    price_cents_seen: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class CartCheckout(db.Model):
    """A customer's cart being checked out, or just checked out (one row a customer, reused).

    Two checkouts of one cart at once (two tabs, a click sent twice) place one order: the second
    waits for the first and answers with its order (cart.check_out). `order_id` is empty while the
    first is placing; a row older than cart.CLAIM_SECONDS is taken over (its checkout died).
    """

    __tablename__ = "cart_checkouts"

    user_id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(db.Model):
    """A client's `Idempotency-Key` on POST /orders/api/orders, written in the transaction that writes
    the order (idempotency.py): the same request sent again answers that order instead of placing
    another. It goes with its order when placing fails (the row is deleted); kept a day."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ErasedCustomer(db.Model):
    """An account whose erasure began (customer_data.erase, "Delete my account" in users_app): no
    order is placed for it afterwards, though its session or token may still pass this app's login
    check for a few seconds (the user record is cached, USER_CACHE_SECONDS). Keeps no personal data."""

    __tablename__ = "erased_customers"

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_orders_user_created", Order.user_id, Order.created_at)
# The limit of Pending orders counts a customer's (user_id, status, hold_state != abandoned) from the
# index alone, never reading an order's row: a customer with many Pending orders (a limit raised far
# above the default) costs index entries, not rows (bench/NOTES.md, twelfth round).
Index("ix_orders_user_status_hold", Order.user_id, Order.status, Order.hold_state)
Index("ix_orders_status_created", Order.status, Order.created_at)
Index("ix_orders_hold_state", Order.hold_state)
Index("ix_orders_checkout_state", Order.checkout_state)
Index("ix_orders_refund_state", Order.refund_state)
