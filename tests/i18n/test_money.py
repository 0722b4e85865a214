"""Money as people read it: the shop's currency in the reader's language, exact to the cent."""

import pytest

from shared_ui.money import format_money


@pytest.mark.parametrize(
    ("cents", "currency", "locale", "shown"),
    [
        (123456, "brl", "pt_BR", "R$ 1.234,56"),
        (123456, "brl", "en", "R$ 1,234.56"),
        (5000, "brl", "en", "R$ 50.00"),
        (1250, "usd", "en", "$12.50"),
        (1250, "usd", "pt_BR", "US$ 12,50"),
        (-123456, "usd", "en", "-$1,234.56"),
        (1, "eur", "pt_BR", "€ 0,01"),
        (990, "chf", "en", "CHF 9.90"),
        (10, "usd", "en", "$0.10"),
    ],
)
def test_money_is_formatted_for_the_locale(cents, currency, locale, shown):
    assert format_money(cents, currency, locale) == shown


def test_amounts_beyond_float_precision_stay_exact():
    assert format_money(9_007_199_254_740_993, "usd", "en") == "$90,071,992,547,409.93"


def test_no_amount_is_no_text():
    assert format_money(None, "usd", "en") == ""


def test_outside_a_request_money_is_in_english():
    assert format_money(123456, "brl") == "R$ 1,234.56"
