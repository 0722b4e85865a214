"""The admin table's row form; the rules themselves live in items.py (shared with the API)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from inventory_app.models import DESCRIPTION_MAX, NAME_MAX
from shared_ui.api import cents_to_str


class ItemForm(FlaskForm):
    """Name, description, price, quantity as typed; `expected_quantity` is the stock the admin saw.

    CSRF is checked for every mutation by CSRFProtect (form field or htmx header), so the rows carry
    the token by hand and this form adds none of its own.
    """

    class Meta:
        csrf = False

    name = StringField("Name", render_kw={"maxlength": NAME_MAX, "autocomplete": "off"})
    description = TextAreaField("Description", render_kw={"maxlength": DESCRIPTION_MAX, "rows": 2})
    price = StringField("Price", render_kw={"inputmode": "decimal", "autocomplete": "off"})
    quantity = StringField("Quantity", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    expected_quantity = HiddenField()

    @classmethod
    def for_item(cls, item) -> "ItemForm":
        return cls(
            formdata=None,
            data={
                "name": item.name,
                "description": item.description,
                "price": cents_to_str(item.price_cents),
                "quantity": str(item.quantity),
                "expected_quantity": str(item.quantity),
            },
        )

    def values(self) -> dict:
        """The raw item fields, for items.check_fields."""
        return {name: self[name].data or "" for name in ("name", "description", "price", "quantity")}

    def expected(self) -> int | None:
        value = (self.expected_quantity.data or "").strip()
        return int(value) if value.isdigit() else None

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self[name].errors = [message]
