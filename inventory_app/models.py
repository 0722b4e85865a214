"""inventory_app's tables: the items, the holds that orders place on them, and every stock movement.

`Item.quantity` is the stock on hand that is free to sell. A hold moves units from it into the
lines of a `held` reservation (one line per item), a commit turns that into `committed` (sold), a
release moves them back. So quantity + held + committed changes only when an admin adds or
removes stock, and every change of `quantity` has its row in `stock_movements`.
"""

import re
import unicodedata
from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from inventory_app.extensions import db

NAME_MAX = 120
DESCRIPTION_MAX = 2000
KEY_MAX = 100
CATEGORY_MAX = 60
ALT_MAX = 200
#: characters no text of an item may hold: nothing shows them, and PostgreSQL refuses NUL in text
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: On SQLite names compare ignoring ASCII case. Lists sort by `name_key`, not by this.
NAME_TYPE = String(NAME_MAX).with_variant(String(NAME_MAX, collation="NOCASE"), "sqlite")
#: a key can be longer than its name ("ß" is "ss"); cut there, the item's id still orders the ties
NAME_KEY_MAX = 2 * NAME_MAX
#: Keys compare as plain code points on both databases: SQLite's BINARY, PostgreSQL's "C" (whatever
#: the database's own collation is), so both list items in the same order.
NAME_KEY_TYPE = String(NAME_KEY_MAX).with_variant(String(NAME_KEY_MAX, collation="C"), "postgresql")
#: letters Unicode does not decompose into a base letter and an accent, as a reader files them
UNDECOMPOSED = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})

HELD, COMMITTED, RELEASED = "held", "committed", "released"


def name_key(name: str) -> str:
    """What an item's name sorts by: without case and accents, so "açúcar" sits next to "Acucar"
    and "Água" among the A's ("agua"). Compatibility forms are spelled out ("ﬁ" is "fi", "ß" "ss")."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", name).casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)).translate(UNDECOMPOSED)[:NAME_KEY_MAX]


def _name_key_default(context) -> str:
    """A row inserted without the ORM (`insert(Item)` with plain rows, as seed-bulk does) gets its key here."""
    return name_key(context.get_current_parameters()["name"])


def utcnow() -> datetime:
    """Now in UTC, naive (every time in this database is UTC), to the second."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


class Item(db.Model):
    __tablename__ = "inventory"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="ck_inventory_quantity_not_negative"),
        CheckConstraint("price_cents >= 0", name="ck_inventory_price_not_negative"),
        # Ids are never reused: orders keep referring to an item id after it is gone.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME_TYPE)
    #: `name_key(name)`, kept with every write of the name: the catalog, the API and the admin table
    #: list items in (name_key, id) order
    name_key: Mapped[str] = mapped_column(NAME_KEY_TYPE, default=_name_key_default)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    price_cents: Mapped[int]
    #: units on hand and free to sell (held and sold units are not in it)
    quantity: Mapped[int] = mapped_column(default=0, server_default="0")
    #: set when an item that orders refer to is deleted: hidden everywhere but the internal API
    archived_at: Mapped[datetime | None]
    #: one category per item, as the admin wrote it (None: uncategorised)
    category: Mapped[str | None] = mapped_column(String(CATEGORY_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: the item's picture (inventory_app/pictures.py); pages that list items load it with selectinload
    image: Mapped["ItemImage | None"] = relationship(
        back_populates="item", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @validates("name")
    def _keep_name_key(self, _field: str, name: str) -> str:
        self.name_key = name_key(name)
        return name


class ItemImage(db.Model):
    """An item's picture: which stored picture (content hash), its alt text and its full size.

    The encoded files themselves are in `picture_files`, keyed by the hash, so the same upload for
    two items is stored once and a URL's bytes never change.
    """

    __tablename__ = "item_images"

    item_id: Mapped[int] = mapped_column(ForeignKey("inventory.id", ondelete="CASCADE"), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    #: what the admin wrote; None: the item's name stands in
    alt: Mapped[str | None] = mapped_column(String(ALT_MAX))
    #: the largest stored size (at most 2000 px a side)
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    item: Mapped[Item] = relationship(back_populates="image")


class PictureFile(db.Model):
    """One encoded size of a stored picture: `<hash>-<width>.<format>` (webp or jpg)."""

    __tablename__ = "picture_files"
    __table_args__ = (PrimaryKeyConstraint("hash", "width", "format", name="pk_picture_files"),)

    hash: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    format: Mapped[str] = mapped_column(String(8))
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Reservation(db.Model):
    """A hold an order places on stock, under the order's idempotency key (`order-<id>`).

    Its lines say how many units of each item it holds; the state is the whole reservation's
    (all lines are held, sold or given back together).
    """

    __tablename__ = "reservations"
    __table_args__ = (CheckConstraint("state IN ('held', 'committed', 'released')", name="ck_reservations_state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=HELD)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: in ascending item id, the order stock is taken in
    lines: Mapped[list["ReservationLine"]] = relationship(
        back_populates="reservation",
        cascade="all, delete-orphan",
        order_by="ReservationLine.item_id",
        lazy="selectin",
        passive_deletes=True,
    )

    def units(self) -> dict[int, int]:
        """{item id: units} of its lines."""
        return {line.item_id: line.quantity for line in self.lines}


class ReservationLine(db.Model):
    """The units of one item that a reservation holds (one line per item)."""

    __tablename__ = "reservation_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_reservation_lines_quantity_positive"),
        UniqueConstraint("reservation_id", "item_id", name="uq_reservation_lines_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory.id"))
    quantity: Mapped[int]
    reservation: Mapped[Reservation] = relationship(back_populates="lines")


class StockMovement(db.Model):
    """One change of an item's `quantity`: how much, why, under which key, by whom."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inventory.id", ondelete="CASCADE"))
    delta: Mapped[int]
    #: the quantity on hand right after this movement
    quantity_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(32))
    key: Mapped[str | None] = mapped_column(String(KEY_MAX))
    #: who asked: "admin:<user id>", "service", "sweeper", "cli"
    actor: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


# The catalog pages in (name_key, id) order over live items; the partial indexes let the database
# walk exactly the rows a page shows, also for "available only" and the low-stock list.
LIVE = {"sqlite_where": text("archived_at IS NULL"), "postgresql_where": text("archived_at IS NULL")}
IN_STOCK = {
    "sqlite_where": text("archived_at IS NULL AND quantity > 0"),
    "postgresql_where": text("archived_at IS NULL AND quantity > 0"),
}
Index("ix_inventory_live_name", Item.name_key, Item.id, **LIVE)
Index("ix_inventory_in_stock_name", Item.name_key, Item.id, **IN_STOCK)
Index("ix_inventory_live_quantity", Item.quantity, Item.id, **LIVE)
Index("ix_inventory_live_price", Item.price_cents, Item.id, **LIVE)
Index("ix_reservation_lines_item", ReservationLine.item_id, ReservationLine.reservation_id)
# A category's page walks this in (name_key, id) order; the list of categories skips along it.
Index("ix_inventory_live_category", Item.category, Item.name_key, Item.id, **LIVE)
Index("ix_item_images_hash", ItemImage.hash)
Index("ix_reservations_state_expires", Reservation.state, Reservation.expires_at)
Index("ix_stock_movements_item", StockMovement.item_id, StockMovement.id)
Index("ix_stock_movements_key", StockMovement.key)


def autogenerate_includes(name, type_, parent_names) -> bool:
    """Alembic's include_name: all but the full-text index (SQLite: an FTS5 virtual table, its
    shadow tables and triggers; PostgreSQL: a GIN expression index), which a migration makes by hand
    and no model describes, so that autogenerate never offers to drop it."""
    if type_ == "table" and name and name.startswith("inventory_fts"):
        return False
    return not (type_ == "index" and name == "ix_inventory_search")
