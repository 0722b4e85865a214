"""Money is integer cents; this turns it into text for people, in their language's format."""

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
