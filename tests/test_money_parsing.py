"""Money read from the outside: the API's string, and what a person types in a form (in any language)."""

import pytest

from orders_app import states
from shared_ui.api import parse_money
from shared_ui.money import MAXIMUM_CHARGE, MINIMUM_CHARGE, TypedAmountError, least_payable_quantity, parse_typed_money


@pytest.mark.parametrize(
    ("value", "cents"),
    [("12.50", 1250), ("12.5", 1250), ("12", 1200), ("0", 0), ("0.01", 1), ("007.10", 710), (0.1, 10), (12, 1200)],
)
def test_the_api_reads_its_money_string_and_json_numbers(value, cents):
    assert parse_money(value) == cents


@pytest.mark.parametrize(
    "value",
    ["12,50", "1,5", "1e3", "1_000", "١٢", "１２", " 12.50", "12.50 ", "12.", ".50", "+1", "-1", "1.001", "1,500.00",
     "1" * 40, "", -1, 1.001, 1e100, float("nan"), True, None, [], {}],
)
def test_the_api_guesses_at_nothing_else(value):
    assert parse_money(value) is None


@pytest.mark.parametrize(
    ("text", "cents"),
    [("15,00", 1500), ("15.00", 1500), ("15,9", 1590), ("15.9", 1590), ("15", 1500), (" 15,00 ", 1500), ("0,5", 50)],
)
def test_a_typed_amount_reads_the_same_with_a_comma_or_a_point(text, cents):
    assert parse_typed_money(text) == cents


@pytest.mark.parametrize("text", ["1,500", "1.500", "1.500,00", "1,500.00", "1 500", "1\u00a0500,00", "1.999"])
def test_a_thousands_separator_or_a_third_decimal_is_refused_not_guessed(text):
    with pytest.raises(TypedAmountError) as refused:
        parse_typed_money(text)
    assert refused.value.grouped


@pytest.mark.parametrize("text", ["1e3", "1_000", "١٢", "-1", "+1", "15,", ",5", "15,,00", "abc", "1" * 40, "R$ 15"])
def test_other_typed_amounts_are_refused(text):
    with pytest.raises(TypedAmountError) as refused:
        parse_typed_money(text)
    assert not refused.value.grouped


def test_the_shop_prices_and_orders_up_to_the_same_largest_charge():
    """An item may cost at most what an order may total: Stripe's largest charge, said in two places."""
    assert states.MAXIMUM_CHARGE == MAXIMUM_CHARGE == 99_999_999


def test_pages_and_orders_know_the_same_minimum_charge():
    """The item page tells a customer what placing the order would refuse: Stripe's smallest charge,
    said in two places (orders_app.states imports nothing)."""
    assert states.MINIMUM_CHARGE == MINIMUM_CHARGE


@pytest.mark.parametrize(
    ("price", "least"), [(1250, 1), (50, 1), (30, 2), (25, 2), (10, 5), (1, 50), (0, None)]
)
def test_the_fewest_units_that_can_be_paid_alone(price, least):
    assert least_payable_quantity(price, "usd") == least
    assert least_payable_quantity(price, "BRL") == least
