"""What an admin does to items, for the admin table and the JSON API alike: check, add, edit, delete.

Deleting: an item that any order ever held (a row in `reservations`) is archived, not erased:
orders keep its id, name and price snapshot, and the internal API still answers for it, so order
history stays readable; it disappears from the catalog, the admin table and the public API. An
item no order ever held is erased with its stock movements. An item with units held by pending
orders cannot be deleted at all until they are paid or released.
"""

import functools
import hashlib
import unicodedata
from decimal import Decimal

from flask import abort, current_app
from flask_babel import format_decimal, format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import Row, bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from inventory_app import categories, pictures, stock
from inventory_app.extensions import db
from inventory_app.models import (
    CATEGORY_MAX,
    CONTROL_CHARACTERS,
    DESCRIPTION_MAX,
    NAME_MAX,
    Item,
    StockMovement,
    utcnow,
)
from shared_ui.api import parse_money
from shared_ui.db import write_transaction
from shared_ui.money import (
    MAXIMUM_CHARGE,
    TypedAmountError,
    format_money,
    least_payable_quantity,
    minimum_charge,
    parse_typed_money,
)

PRICE_MAX_CENTS = MAXIMUM_CHARGE  # 999,999.99: an item dearer than Stripe's largest charge could never be paid for
QUANTITY_MAX = 1_000_000


def price_warning(price_cents: int) -> str | None:
    """What an admin is told of a price under Stripe's smallest charge, which no order can total less than.

    Such a price is allowed (a free sample, a sticker sold by the few), not refused: customers order
    enough units of it, or put it in a cart with other items (the item page tells them so); a free item
    can never be paid for alone. None for a price one unit of pays for."""
    currency = current_app.config["SHOP_CURRENCY"]
    least = least_payable_quantity(price_cents, currency)
    minimum = format_money(minimum_charge(currency), currency)
    if least is None:
        return _(
            "Free: customers can only get it in a cart with other items, as a card payment is at least %(minimum)s.",
            minimum=minimum,
        )
    if least > 1:
        return _(
            "Under the smallest card payment (%(minimum)s): customers order at least %(num)d of it, or add it to a "
            "cart with other items.",
            minimum=minimum,
            num=least,
        )
    return None
FIELDS = ("name", "description", "price", "quantity", "category")
#: fields a new item may leave out
OPTIONAL = ("description", "category")


#: the fields an admin row edits as text: the row sends back a digest of what it showed of each
SEEN_FIELDS = {"name": "name", "description": "description", "price_cents": "price", "category": "category"}


class ItemError(Exception):
    """Input or a rule was refused; `errors` maps each field to its message.

    `seen` gives, for a field someone else changed meanwhile, the digest of its value now.
    """

    def __init__(
        self, errors: dict[str, str], status: int = 422, code: str = "invalid_field", seen: dict | None = None
    ):
        self.errors = errors
        self.status = status
        self.code = code
        self.seen = seen or {}
        self.field, self.message = next(iter(errors.items()))
        super().__init__(self.message)


def check_fields(raw: dict, *, partial: bool = False, typed: bool = False) -> dict:
    """The clean values of the item fields in `raw` (form strings or JSON values), or ItemError.

    With partial=False every field but the description is required. Every problem is reported at
    once, so the admin row can show each next to its field. With typed=True the values are what an
    admin typed in a form (a price may have a decimal comma); else the JSON API's values.
    """
    clean: dict = {}
    errors: dict[str, str] = {}
    price = functools.partial(_price, typed=typed)
    quantity = functools.partial(_quantity, typed=typed)
    checks = {"name": _name, "description": _description, "price": price, "quantity": quantity, "category": _category}
    for name, check in checks.items():
        if name not in raw and (partial or name in OPTIONAL):
            continue
        value, problem = check(raw.get(name))
        if problem:
            errors[name] = problem
        else:
            clean[name if name != "price" else "price_cents"] = value
    if errors:
        raise ItemError(errors)
    return clean


def _composed(text: str) -> str:
    """Text as it is stored: accented letters composed (NFC), whichever way the admin's keyboard or
    clipboard sent them. PostgreSQL's search finds "Água" typed as "A" and a combining accent only
    so (its parser cuts the word at the accent, search.PG_DOCUMENT unaccents composed letters), and
    a category so spelled is the same category as "Água" typed with "Á"."""
    return unicodedata.normalize("NFC", text)


def _name(value) -> tuple[str | None, str | None]:
    if not isinstance(value, str) or not value.strip():
        return None, _("Enter a name.")
    value = _composed(" ".join(value.split()))
    if len(value) > NAME_MAX:
        return None, _("Use at most %(max)d characters.", max=NAME_MAX)
    if CONTROL_CHARACTERS.search(value):
        return None, _("The name contains characters that cannot be shown.")
    return value, None


def _description(value) -> tuple[str | None, str | None]:
    if value is None:
        return "", None
    if not isinstance(value, str):
        return None, _("The description must be text.")
    value = _composed(value.replace("\r\n", "\n").strip())
    if len(value) > DESCRIPTION_MAX:
        return None, _("Use at most %(max)d characters.", max=DESCRIPTION_MAX)
    if CONTROL_CHARACTERS.search(value):
        return None, _("The description contains characters that cannot be shown.")
    return value, None


def _category(value) -> tuple[str | None, str | None]:
    """One line of text, spaces tidied; empty (or null) means no category."""
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, _("The category must be text.")
    value = _composed(" ".join(value.split()))
    if len(value) > CATEGORY_MAX:
        return None, _("Use at most %(max)d characters.", max=CATEGORY_MAX)
    if CONTROL_CHARACTERS.search(value):
        return None, _("The category contains characters that cannot be shown.")
    return value or None, None


def _price(value, typed: bool) -> tuple[int | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, _("Enter a price.")
    cents, problem = _typed_price(value) if typed else _api_price(value)
    if problem:
        return None, problem
    if cents > PRICE_MAX_CENTS:
        top = Decimal(PRICE_MAX_CENTS) / 100
        return None, _("Prices go up to %(max)s.", max=format_decimal(top, format="#,##0.00"))
    return cents, None


def _api_price(value) -> tuple[int | None, str | None]:
    """The API's money string ("12.50") or a JSON number, whatever the request's language."""
    cents = parse_money(value)
    if cents is None:
        return None, _('Send the price as a string of digits with a point before at most two decimals, like "12.50".')
    return cents, None


def _typed_price(text: str) -> tuple[int | None, str | None]:
    """What an admin typed: "15,00" and "15.00" are the same in every language (a form may be saved
    after the language changed); a thousands separator is refused, never read as a decimal or dropped."""
    try:
        return parse_typed_money(text), None
    except TypedAmountError as error:
        if error.grouped:
            example = format_decimal(Decimal("1234.56"), format="0.00")  # 1234.56, or 1234,56 in pt-BR
            message = _(
                "Write the price without a thousands separator and with at most two decimals, like %(example)s.",
                example=example,
            )
            return None, message
        example = format_decimal(Decimal("12.50"), format="0.00")
        return None, _("Enter a price of 0 or more with at most two decimals, like %(example)s.", example=example)


def _quantity(value, typed: bool) -> tuple[int | None, str | None]:
    """What an admin typed in a form, or the JSON API's integer (a string there is refused, as orders' API
    and the OpenAPI document's `integer` do)."""
    if typed and isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None, _("Enter a whole number, 0 or more.")
    if value > QUANTITY_MAX:
        return None, _("At most %(max)s units.", max=format_number(QUANTITY_MAX))
    return value, None


ID_MAX = 2**31 - 1  # ids are 32-bit integers in every database the shop runs on


def live_item(item_id: int, *, lock: bool = False) -> Item | None:
    """The item if it exists and is not archived (with `lock`, its row locked until commit)."""
    if not possible_id(item_id):
        return None
    query = select(Item).where(Item.id == item_id, Item.archived_at.is_(None))
    return db.session.scalar(query.with_for_update() if lock else query)


def any_item(item_id: int, *, lock: bool = False) -> Item | None:
    """The item if it exists, archived or not: orders read archived items, an admin restores them."""
    if not possible_id(item_id):
        return None
    return db.session.get(Item, item_id, with_for_update=True if lock else None)


def any_items(item_ids: list[int]) -> list[Row]:
    """The items of these ids that exist, archived or not, in id order (one query): rows of
    (id, name, description, price_cents, quantity, archived_at), read on the session's connection
    with a statement built once (no ORM objects: the internal API answers them as they are)."""
    wanted = sorted({item_id for item_id in item_ids if possible_id(item_id)})
    if not wanted:
        return []
    return list(db.session.connection().execute(_ANY_ITEMS, {"ids": wanted}))


_ITEMS = Item.__table__
_ANY_ITEMS = (
    select(
        _ITEMS.c.id, _ITEMS.c.name, _ITEMS.c.description, _ITEMS.c.price_cents, _ITEMS.c.quantity, _ITEMS.c.archived_at
    )
    .where(_ITEMS.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_ITEMS.c.id)
)


def possible_id(item_id: int) -> bool:
    """False for an id no row can have (one some databases cannot even compare)."""
    return 0 < item_id <= ID_MAX


def create_item(values: dict, *, actor: str) -> Item:
    """Add an item from checked values; its initial stock is recorded as a movement."""
    with write_transaction(db):
        item = Item(
            name=values["name"],
            description=values.get("description", ""),
            price_cents=values["price_cents"],
            quantity=values["quantity"],
            category=categories.known_spelling(values.get("category")),
        )
        db.session.add(item)
        db.session.flush()
        if item.quantity:
            stock.record(item.id, item.quantity, item.quantity, stock.CREATED, actor=actor)
    return item


def update_item(
    item_id: int, values: dict, *, expected_quantity: int | None = None, seen: dict | None = None, actor: str
) -> Item:
    """Change checked fields in one transaction; a quantity goes through the stock rule.

    With `expected_quantity`, a quantity change is refused (StockError quantity_changed) when the
    stock moved since the caller read it, and then nothing at all is changed. With `seen` (the
    digests of what the caller's form showed, see `seen_of`), a field left as shown keeps what is
    stored now, and a field that someone else changed meanwhile is an ItemError (409).
    """
    with write_transaction(db):
        item = live_item(item_id, lock=True) or abort(404)
        if seen:
            values = _edited(item, values, seen)
        for name in ("name", "description", "price_cents"):
            if name in values:
                setattr(item, name, values[name])
        if "category" in values:
            item.category = categories.known_spelling(values["category"], item.id)
        if "quantity" in values:
            stock.adjust_on_hand(item.id, values["quantity"], expected=expected_quantity, actor=actor)
    return item


def seen_of(item) -> dict[str, str]:
    """A short digest of each text field as the admin row shows it (the row sends them back)."""
    return {name: _digest(getattr(item, name)) for name in SEEN_FIELDS}


def _digest(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def _edited(item, values: dict, seen: dict) -> dict:
    """`values` without the fields the form left as it showed them (another admin's change made
    meanwhile stays); ItemError naming each field that both changed (then nothing is saved)."""
    edited, clashes, now_seen = {}, {}, {}
    for name, value in values.items():
        shown = seen.get(name)
        if shown is not None and _digest(value) == shown:
            continue
        now = getattr(item, name) if name in SEEN_FIELDS else None
        if shown is not None and _digest(now) != shown and now != value:
            clashes[SEEN_FIELDS[name]] = _changed_meanwhile(name, now)
            now_seen[name] = _digest(now)
        edited[name] = value
    if clashes:
        raise ItemError(clashes, status=409, code="changed_meanwhile", seen=now_seen)
    return edited


def _changed_meanwhile(name: str, now) -> str:
    if now in (None, ""):
        return _("Someone else emptied this since you opened the row. Save again to keep yours.")
    if name == "price_cents":
        now = format_money(now, current_app.config["SHOP_CURRENCY"])
    elif len(now) > 60:
        now = now[:60].rstrip() + "…"
    return _("Someone else changed this to “%(value)s” since you opened the row. Save again to keep yours.", value=now)


def set_picture(item_id: int, data: bytes, alt) -> Item:
    """Give the item the uploaded picture (replacing any); PictureError, with nothing stored, if refused.

    The upload is checked and re-encoded before the write transaction: that is the slow part and
    holds no lock.
    """
    alt = pictures.clean_alt(alt)
    prepared = pictures.prepare(data)
    for attempt in (1, 2):
        try:
            with write_transaction(db, keep_loaded=True):
                item = live_item(item_id, lock=True) or abort(404)
                pictures.attach(item, prepared, alt)
            return item
        except IntegrityError:
            # The same file stored meanwhile by another request (another instance, on PostgreSQL):
            # once more, and this time its files are there already.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def set_picture_alt(item_id: int, alt) -> Item:
    """Change the alternative text of the item's picture, the picture kept; PictureError if it has none."""
    alt = pictures.clean_alt(alt)
    with write_transaction(db, keep_loaded=True):
        item = live_item(item_id, lock=True) or abort(404)
        if item.image is None:
            raise pictures.PictureError(_("Choose a picture file to upload."))
        item.image.alt = alt
    return item


def remove_picture(item_id: int) -> tuple[Item, bool]:
    """Take the item's picture away; (item, whether it had one)."""
    with write_transaction(db, keep_loaded=True):
        item = live_item(item_id, lock=True) or abort(404)
        removed = pictures.detach(item)
    return item, removed


def archived_items(page: int, size: int) -> tuple[list[Item], bool]:
    """One page of the archived items, the most recently archived first, and whether there are more."""
    query = select(Item).where(Item.archived_at.is_not(None)).order_by(Item.archived_at.desc(), Item.id.desc())
    found = db.session.scalars(query.limit(size + 1).offset((page - 1) * size)).all()
    return list(found[:size]), len(found) > size


def restore_item(item_id: int) -> tuple[Item, bool]:
    """Put an archived item back on sale as it was (name, price, stock on hand); (item, restored).

    An item that is not archived is left as it is (restored False); one that does not exist is a 404.
    """
    with write_transaction(db):
        item = any_item(item_id, lock=True) or abort(404)
        if item.archived_at is None:
            return item, False
        item.archived_at = None
    return item, True


def remove_item(item_id: int) -> str:
    """Delete an item: "archived" when orders ever held it, else "erased"; ItemError if units are held."""
    with write_transaction(db):
        # Locked: a hold arriving meanwhile waits, then finds the item archived or gone.
        item = live_item(item_id, lock=True) or abort(404)
        held = stock.held_by_item([item.id]).get(item.id, 0)
        if held:
            message = ngettext(
                "Cannot delete: %(num)d unit is held by a pending order. Try again once it is paid or released.",
                "Cannot delete: %(num)d units are held by pending orders. Try again once they are paid or released.",
                held,
            )
            raise ItemError({"quantity": message}, status=409, code="item_has_holds")
        if stock.ever_reserved(item.id):
            item.archived_at = utcnow()
            return "archived"
        db.session.execute(delete(StockMovement).where(StockMovement.item_id == item.id))
        picture_hash = item.image.hash if item.image is not None else None
        db.session.delete(item)
        db.session.flush()
        if picture_hash:
            pictures.forget_unused(picture_hash)
        return "erased"
