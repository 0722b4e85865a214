"""orders_app's forms: they carry the CSRF token and the inputs; the rules live in the use cases."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.widgets import NumberInput


class OrderForm(FlaskForm):
    """The order form of an item (shared_ui/order_form.html renders it, here and on the item page)."""

    inventory_id = HiddenField()
    quantity = StringField(_l("Quantity"))
    #: the unit price the page showed, in cents: the order is placed at it or not at all
    price_cents = HiddenField()


class QuantityForm(FlaskForm):
    """The inline quantity edit of an order; `version` is the one the customer saw."""

    quantity = StringField(_l("Quantity"), widget=NumberInput(min=1, step=1))
    version = HiddenField()


class LinesForm(FlaskForm):
    """The edit of an order of several lines: the quantities come as `quantity-<item id>` fields."""

    version = HiddenField()


class ActionForm(FlaskForm):
    """A button that posts: only the CSRF token."""


class RefundForm(FlaskForm):
    """An admin's cancel of a paid order: the payment is refunded; the stock goes back on sale unless
    the box is unticked (ticked by default, as the API restocks by default; a form posted without
    the box keeps the stock sold)."""

    restock = BooleanField(_l("Put the stock back on sale"), default=True)
