"""The admin table's row form; the rules themselves live in items.py (shared with the API)."""

from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

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
            },
        )

    def values(self) -> dict:
        """The item fields as typed, for items.check_fields(typed=True): a price is read the same in
        every language ("12,50" or "12.50"), so a form shown in one and saved in another keeps it."""
        return {name: self[name].data or "" for name in ("name", "description", "price", "quantity", "category")}

    def expected(self) -> int | None:
        return whole_number(self.expected_quantity.data or "")

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self[name].errors = [message]
