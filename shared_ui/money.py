"""Money is integer cents; this turns it into text for people, in their language's format, and reads
what people type back into cents."""

import re
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_symbol

from shared_ui.i18n import current_locale

#: spaces CLDR puts between symbol and digits; the shop writes a plain space (stable text)
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def format_money(cents: int | None, currency: str = "usd", locale: str | None = None) -> str:
    """1234 cents -> "$12.34" in English, "R$ 12,34" for BRL in pt-BR (the request's locale by default).

    Decimal all the way (never float). A symbol of several characters keeps a space from the
    digits in every language ("R$ 50.00", "CHF 9.90"), as CLDR's currency spacing asks.
    """
    if cents is None:
        return ""
    return _format(int(cents), currency.upper(), str(locale or current_locale()))


@lru_cache(maxsize=8192)
def _format(cents: int, code: str, locale: str) -> str:
    """Babel looks up the locale's data at every call (a fifth of a catalog page's time): the same
    price in the same language is the same text, so each is made once per process."""
    text = format_currency(Decimal(cents) / Decimal(100), code, locale=locale).translate(_SPACES)
    symbol = get_currency_symbol(code, locale=locale)
    at = text.find(symbol)
    if len(symbol) > 1 and at >= 0:
        after = at + len(symbol)
        if after < len(text) and text[after].isdigit():
            text = f"{text[:after]} {text[after:]}"
        elif at > 0 and text[at - 1].isdigit():
            text = f"{text[:at]} {text[at:]}"
    return text


#: the largest number of whole digits read (more than any column holds; never int() thousands of digits)
WHOLE_DIGITS_MAX = 15
#: Stripe's largest charge: "up to eight digits (e.g., a value of 99999999 for a USD charge of
#: $999,999.99)"; it refuses a Checkout Session above it, so nothing over it can be sold (orders_app.states,
#: which imports nothing, says it again; tests/test_money_parsing.py holds the two the same)
MAXIMUM_CHARGE = 99_999_999
#: Stripe's smallest charge per currency, in cents: a total under it can never be paid, so an order
#: under it is refused and pages say so before anyone presses a button (orders_app.states says it
#: again; tests/test_money_parsing.py holds the two the same)
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "brl": 50}


def minimum_charge(currency: str) -> int:
    """Stripe's smallest charge in `currency`, in cents (0 where the shop knows of none)."""
    return MINIMUM_CHARGE.get(currency.lower(), 0)


def least_payable_quantity(price_cents: int, currency: str) -> int | None:
    """The fewest units of an item at `price_cents` that make an order Stripe charges on its own: 1 for
    most items, more for one priced under the minimum charge, None for a free one (no quantity of it
    can be paid alone; it goes in a cart with other items)."""
    minimum = minimum_charge(currency)
    if price_cents >= minimum:
        return 1
    if price_cents <= 0:
        return None
    return -(-minimum // price_cents)  # ceiling division, in integers
#: an amount the way the JSON API writes it: ASCII digits, then a point and one or two decimals if any
API_AMOUNT = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?")
#: an amount a person typed: the same, with a comma or a point before the decimals (in every language)
TYPED_AMOUNT = re.compile(r"([0-9]+)(?:[.,]([0-9]{1,2}))?")
#: digits with thousands separators, or three decimals or more: 1,500 / 1.500,00 / 1 500 / 1.999
GROUPED_AMOUNT = re.compile(r"[0-9]+(?:[.,' \u00a0\u202f][0-9]+)+")


class TypedAmountError(ValueError):
    """A typed amount that is refused; `grouped` when it has a thousands separator or more than two
    decimals, which the shop will not guess at ("1,500" is 1.50 in one language, 1500 in the other)."""

    def __init__(self, grouped: bool):
        super().__init__("grouped" if grouped else "malformed")
        self.grouped = grouped


def parse_typed_money(text: str) -> int:
    """Cents of an amount typed in a form, read the same whatever the page's language: "15,00",
    "15.00" and "15" are 1500; "15,9" is 1590. TypedAmountError for anything else (a sign, an
    exponent, "_", digits that are not ASCII, space inside, a thousands separator, three decimals)."""
    text = text.strip()
    match = TYPED_AMOUNT.fullmatch(text)
    cents = match and cents_of(match.group(1), match.group(2))
    if cents is None:
        raise TypedAmountError(grouped=bool(GROUPED_AMOUNT.fullmatch(text)))
    return cents


def cents_of(whole: str, decimals: str | None) -> int | None:
    """Cents from the ASCII digits before and after the separator; None past WHOLE_DIGITS_MAX digits."""
    whole = whole.lstrip("0") or "0"
    if len(whole) > WHOLE_DIGITS_MAX:
        return None
    return int(whole) * 100 + int((decimals or "").ljust(2, "0"))
