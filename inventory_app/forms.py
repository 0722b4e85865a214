"""The admin table's row form; the rules themselves live in items.py (shared with the API)."""

from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from inventory_app.items import SEEN_FIELDS, seen_of
from inventory_app.models import CATEGORY_MAX, DESCRIPTION_MAX, NAME_MAX
from shared_ui.numbers import whole_number


class ItemForm(FlaskForm):
    """Name, description, price, quantity as typed; `expected_quantity` is the stock the admin saw.

    CSRF is checked for every mutation by CSRFProtect (form field or htmx header), so the rows carry
    the token by hand and this form adds none of its own.
    """

    class Meta:
        csrf = False

    name = StringField(_l("Name"), render_kw={"maxlength": NAME_MAX, "autocomplete": "off"})
    description = TextAreaField(_l("Description"), render_kw={"maxlength": DESCRIPTION_MAX, "rows": 2})
    price = StringField(_l("Price"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    quantity = StringField(_l("Quantity"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    category = StringField(_l("Category"), render_kw={"maxlength": CATEGORY_MAX, "autocomplete": "off"})
    expected_quantity = HiddenField()
    #: a digest of each text field as the row showed it (items.seen_of): what the admin left alone
    #: keeps another admin's change made meanwhile
    seen = HiddenField()

    @classmethod
    def for_item(cls, item) -> "ItemForm":
        return cls(
            formdata=None,
            data={
                "name": item.name,
                "description": item.description,
                "price": format_decimal(Decimal(item.price_cents) / 100, format="0.00"),  # 12.50, or 12,50 in pt-BR
                "quantity": str(item.quantity),
                "category": item.category or "",
                "expected_quantity": str(item.quantity),
                "seen": _seen_text(seen_of(item)),
            },
        )

    def values(self) -> dict:
        """The item fields as typed, for items.check_fields(typed=True): a price is read the same in
        every language ("12,50" or "12.50"), so a form shown in one and saved in another keeps it."""
        return {name: self[name].data or "" for name in ("name", "description", "price", "quantity", "category")}

    def expected(self) -> int | None:
        return whole_number(self.expected_quantity.data or "")

    def seen_digests(self) -> dict[str, str]:
        """What the row showed of each text field (digests), as items.update_item takes them."""
        pairs = (part.partition(":") for part in (self.seen.data or "").split(","))
        return {name: digest for name, _sep, digest in pairs if name in SEEN_FIELDS and digest}

    def note_seen(self, now: dict[str, str]) -> None:
        """Take the digests of fields changed meanwhile: saving again then keeps what was typed."""
        if now:
            self.seen.data = _seen_text({**self.seen_digests(), **now})

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self[name].errors = [message]


def _seen_text(digests: dict[str, str]) -> str:
    return ",".join(f"{name}:{digest}" for name, digest in digests.items())
