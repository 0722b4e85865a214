"""The ways a rule says no, in words a customer reads (translated in the request that shows them)."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from orders_app import states
from shared_ui.money import format_money, least_payable_quantity, minimum_charge

NOTHING_RESERVED = _l("the inventory service is not answering; nothing was reserved")
NO_LONGER_SOLD = _l("this item is no longer sold")
NO_SUCH_ITEM = _l("there is no such item")
BUSY = _l("This order is being changed right now; try again in a moment.")
CHANGED_MEANWHILE = _l("This order changed since you opened it; look at it again before changing it.")
NO_SUCH_ORDER = _l("There is no such order.")
ACCOUNT_DELETED = _l("This account has been deleted.")
TRY_AGAIN = _l("the inventory service is not answering; please try again in a moment")
ONLY_OWNER_PAYS = _l("Only the customer who placed an order can pay for it.")
ONLY_OWNER_CHANGES = _l("Only the customer who placed an order can change its quantity.")
PAYMENTS_DOWN = _l("the payment service is not answering; nothing was charged. Please try again in a moment.")
#: the code of an error that says Stripe did not answer
PAYMENTS_UNAVAILABLE = "payments_unavailable"
PAYMENTS_DOWN_UNCHANGED = _l("the payment service is not answering; nothing was changed. Please try again in a moment.")
LINK_NOT_CLOSED = _l(
    "the payment service would not close this order's payment link just now; nothing was changed. "
    "Please try again in a few minutes."
)
BOLETO_PENDING = _l(
    "A boleto was issued for this order: it cannot be changed or cancelled until it is paid or its due date passes."
)
PAYMENT_IN_REVIEW = _l("A payment for this order is being checked by the shop; it cannot be changed or paid again now.")
#: an order's status inside a sentence ("This order is paid; ...")
STATUS_WORDS = {states.PENDING: _l("pending"), states.PAID: _l("paid"), states.CANCELLED: _l("cancelled")}


class OrderError(Exception):
    """A rule said no. `status`/`code` are how the API answers; `field` the input it is about."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 422,
        code: str = "invalid_field",
        field: str | None = None,
        available: int | None = None,
        short: list[dict] | None = None,
        amounts: dict[str, int] | None = None,
    ):
        message = str(message)  # a lazy translation becomes text in the language of this request
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.available = available
        #: every short line of an order: [{"inventory_id", "available"}]
        self.short = short
        #: sums in cents the API gives beside the message ({"minimum": 50, "missing": 20}), as money strings
        self.amounts = amounts


class InjectedFault(BaseException):
    """Raised by the test-only fault hook; a BaseException so nothing on the way catches it."""


def check_owner(order, user, rule) -> None:
    """Paying and changing the quantity are the customer's own (an admin sees and cancels any order,
    but never pays for or edits one): anyone else gets `rule` as a 403."""
    if order.user_id != user.id:
        raise OrderError(rule, status=403, code="forbidden")


def refused(order, reason: str | None, *, nothing_to_pay: bool = False) -> None:
    """Raise the OrderError for a guard's reason (states.why_not_*); nothing when it is None."""
    if reason is None:
        return
    if reason == "not_pending":
        if nothing_to_pay:
            message = _("This order is %(status)s; there is nothing to pay.", status=status_word(order))
            raise OrderError(message, status=409, code="not_pending")
        raise not_pending(order)
    if reason == "awaiting_payment":
        raise OrderError(BOLETO_PENDING, status=409, code="awaiting_payment")
    if reason == "payment_in_review":
        raise OrderError(PAYMENT_IN_REVIEW, status=409, code="payment_in_review")
    if reason == "not_paid":
        raise OrderError(
            _("This order is %(status)s, not paid: there is nothing to refund.", status=status_word(order)),
            status=409,
            code="not_paid",
        )
    raise OrderError(BUSY, status=409, code="conflict")


def short_of_stock(available: int | None) -> OrderError:
    if available is None:
        message = _("not enough left in stock")
    elif available <= 0:
        message = _("only 0 left: this item is sold out")
    else:
        message = ngettext("only %(num)d left", "only %(num)d left", available)
    return OrderError(message, status=409, code="insufficient_stock", field="quantity", available=available)


def short_lines(short: list[tuple[int, str, int | None]], *, one_line: bool = False) -> OrderError:
    """Lines inventory cannot hold, each named with what is left: [(item id, name, available)].

    A one-line order keeps the one-item wording ("only 2 left"); else "Lamp: only 2 left; Pin: …"."""
    listed = [{"inventory_id": item_id, "available": available} for item_id, _name, available in short]
    if one_line and len(short) == 1:
        error = short_of_stock(short[0][2])
        error.short = listed
        return error
    parts = []
    for _item_id, name, available in short:
        if available is None:
            parts.append(_("%(item)s: not enough left in stock", item=name))
        elif available <= 0:
            parts.append(_("%(item)s: sold out", item=name))
        else:
            parts.append(ngettext("%(item)s: only %(num)d left", "%(item)s: only %(num)d left", available, item=name))
    return OrderError("; ".join(parts), status=409, code="insufficient_stock", field="lines", short=listed)


def short_for_change(item_id: int, available: int | None, current: int) -> OrderError:
    """A one-line order's change asked for more than is left: `available` more units (beyond the
    `current` ones it holds), also as the API's `short` line (DESIGN: 409 names each short line)."""
    listed = [{"inventory_id": item_id, "available": available}]
    if available is None:
        error = short_of_stock(None)
        error.short = listed
        return error
    more = max(available, 0)
    message = _("only %(more)d more left (this order can have at most %(most)d)", more=more, most=current + more)
    return OrderError(
        message, status=409, code="insufficient_stock", field="quantity", available=available, short=listed
    )


def short_lines_for_change(short: list[tuple[int, str, int | None, int]]) -> OrderError:
    """An edit of an order of several lines asked for more than is left: [(item id, name, available,
    held)], each line named with the units left beyond the `held` ones the order has of it, and the
    most it can have (as short_for_change says it of a one-line order)."""
    listed = [{"inventory_id": item_id, "available": available} for item_id, _name, available, _held in short]
    parts = []
    for _item_id, name, available, held in short:
        if available is None:
            parts.append(_("%(item)s: not enough left in stock", item=name))
        else:
            more = max(available, 0)
            parts.append(
                _(
                    "%(item)s: only %(more)d more left (this order can have at most %(most)d)",
                    item=name,
                    more=more,
                    most=held + more,
                )
            )
    return OrderError("; ".join(parts), status=409, code="insufficient_stock", field="lines", short=listed)


def no_longer_sold() -> OrderError:
    return OrderError(NO_LONGER_SOLD, status=410, code="item_archived", field="inventory_id")


def price_changed_since(names: list[str]) -> OrderError:
    """An edit asked for more of items whose price changed since the order was placed."""
    message = ngettext(
        "The price of %(names)s changed since this order was placed: its quantity can go down, "
        "but more of it goes in a new order, at today's price.",
        "The prices of %(names)s changed since this order was placed: their quantities can go down, "
        "but more of them go in a new order, at today's prices.",
        len(names),
        names=", ".join(names),
    )
    return OrderError(message, status=409, code="price_changed")


def not_as_shown(items: list[tuple[str, int]]) -> OrderError:
    """The order form showed a price the item no longer has: nothing is ordered."""
    currency = current_app.config["SHOP_CURRENCY"]
    now = ", ".join(f"{name} {format_money(cents, currency)}" for name, cents in items)
    message = ngettext(
        "The price changed since this page showed it (now %(prices)s): check the total, then place the order.",
        "Prices changed since this page showed them (now %(prices)s): check the total, then place the order.",
        len(items),
        prices=now,
    )
    return OrderError(message, status=409, code="price_changed", field="quantity")


def prices_changed() -> OrderError:
    """Inventory's prices changed twice while the order was being placed; nothing was held."""
    return OrderError(
        _("A price changed while the order was being placed; nothing was reserved. Please try again."),
        status=409,
        code="price_changed",
    )


def unavailable(message: str = NOTHING_RESERVED) -> OrderError:
    return OrderError(message, status=503, code="inventory_unavailable")


def payments_unavailable(message: str = PAYMENTS_DOWN_UNCHANGED) -> OrderError:
    return OrderError(message, status=503, code=PAYMENTS_UNAVAILABLE)


def not_pending(order) -> OrderError:
    return OrderError(
        _("This order is %(status)s; only pending orders can be changed or cancelled.", status=status_word(order)),
        status=409,
        code="not_pending",
    )


def status_word(order) -> str:
    """The order's status as a word inside a sentence, in the reader's language: "paid"."""
    return str(STATUS_WORDS.get(order.status, order.status.lower()))


def too_small(total_cents: int, currency: str, *, field: str | None = None) -> OrderError:
    """A total under Stripe's minimum charge, with the minimum and what is missing."""
    minimum, missing = minimum_charge(currency), states.missing_for_minimum(total_cents, currency)
    if missing:
        message = _(
            "Card payments need a total of at least %(minimum)s: add %(missing)s more.",
            minimum=format_money(minimum, currency),
            missing=format_money(missing, currency),
        )
    else:  # Stripe said so of a total we took for enough
        message = _("Card payments need a total of at least %(minimum)s.", minimum=format_money(minimum, currency))
    return _under_minimum(message, total_cents, currency, field)


def too_small_alone(price_cents: int, total_cents: int, currency: str) -> OrderError:
    """An order of one item (the item page's order form, the API's one-item body) under Stripe's minimum
    charge: how many of it make an order, or, for a free item, that it goes in a cart with other items
    (the words the item page says before anyone orders: shared_ui/order_form.html's minimum_note)."""
    minimum = format_money(minimum_charge(currency), currency)
    least = least_payable_quantity(price_cents, currency)
    if least is None:
        message = _(
            "This item is free, but a card payment must be at least %(minimum)s, so it cannot be ordered on its "
            "own: add it to your cart with other items.",
            minimum=minimum,
        )
    else:
        message = _(
            "A card payment must be at least %(minimum)s: order at least %(num)d of this item, or add it to your "
            "cart with other items.",
            num=least,
            minimum=minimum,
        )
    return _under_minimum(message, total_cents, currency, "quantity")


def too_small_after_change(order, total_cents: int, wanted: dict[int, int]) -> OrderError:
    """A change of a Pending order's quantities down to a total under Stripe's minimum charge: what the
    order must keep (a one-line order: how many units), or else cancel it."""
    currency = order.currency
    minimum = format_money(minimum_charge(currency), currency)
    prices = {line.inventory_id: line.unit_price_cents for line in order.lines}
    least = least_payable_quantity(prices[next(iter(wanted))], currency) if len(order.lines) == 1 else None
    if least is not None:
        message = _(  # least is 2 or more: an item one unit of pays for never goes under the minimum
            "A card payment must be at least %(minimum)s: keep at least %(num)d in this order, or cancel it instead.",
            num=least,
            minimum=minimum,
        )
    else:
        message = _(
            "A card payment must be at least %(minimum)s and these quantities come to %(total)s: keep more in "
            "this order, or cancel it instead.",
            minimum=minimum,
            total=format_money(total_cents, currency),
        )
    field = "quantity" if len(order.lines) == 1 else "lines"
    return _under_minimum(message, total_cents, currency, field)


def _under_minimum(message: str, total_cents: int, currency: str, field: str | None) -> OrderError:
    """amount_too_small, with the minimum and what is missing beside the message (the API's `minimum`, `missing`)."""
    amounts = {"minimum": minimum_charge(currency), "missing": states.missing_for_minimum(total_cents, currency)}
    return OrderError(message, status=422, code="amount_too_small", field=field, amounts=amounts)


def too_large(currency: str, *, field: str | None = None) -> OrderError:
    """A total over Stripe's largest charge: it could never be paid."""
    maximum = format_money(states.MAXIMUM_CHARGE, currency)
    message = _("A card payment can be of at most %(maximum)s: order fewer items, in several orders.", maximum=maximum)
    return OrderError(
        message, status=422, code="amount_too_large", field=field, amounts={"maximum": states.MAXIMUM_CHARGE}
    )
