"""Money helpers: minor units <-> major units per currency exponent."""

from decimal import Decimal

import pytest

from warehouse.money import (
    MoneyError,
    currency_exponent,
    djstripe_decimal_to_minor,
    format_money,
    major_to_minor,
    minor_to_major,
)


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        ("eur", 2),
        ("USD", 2),
        ("jpy", 0),
        ("KRW", 0),
        ("vnd", 0),
        ("bhd", 3),
        ("kwd", 3),
        ("omr", 3),
        ("jod", 3),
        ("tnd", 3),
    ],
)
def test_currency_exponent(currency, exponent):
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("minor", "currency", "major"),
    [
        (12345, "eur", Decimal("123.45")),
        (-999, "usd", Decimal("-9.99")),
        (12345, "jpy", Decimal("12345")),
        (500, "krw", Decimal("500")),
        (12345, "bhd", Decimal("12.345")),
        (10, "kwd", Decimal("0.010")),
        (0, "eur", Decimal("0")),
    ],
)
def test_minor_and_major_round_trip(minor, currency, major):
    assert minor_to_major(minor, currency) == major
    assert major_to_minor(major, currency) == minor
    assert major_to_minor(str(major), currency) == minor


def test_major_to_minor_refuses_amounts_finer_than_the_currency():
    with pytest.raises(MoneyError):
        major_to_minor("10.5", "jpy")
    with pytest.raises(MoneyError):
        major_to_minor("1.001", "eur")
    with pytest.raises(MoneyError):
        major_to_minor(1.5, "eur")  # floats never carry money
    with pytest.raises(MoneyError):
        major_to_minor("ten", "eur")


def test_minor_units_must_be_integers_and_currency_codes_valid():
    with pytest.raises(MoneyError):
        minor_to_major(Decimal("1.5"), "eur")
    with pytest.raises(MoneyError):
        minor_to_major(True, "eur")
    with pytest.raises(MoneyError):
        currency_exponent("euro")


def test_djstripe_decimals_are_stripe_integers_over_100_whatever_the_currency():
    # dj-stripe stores Charge.amount as amount / 100 even for JPY and BHD.
    assert djstripe_decimal_to_minor(Decimal("120.00")) == 12000  # a 12000 JPY charge
    assert djstripe_decimal_to_minor(Decimal("123.45")) == 12345  # a 12.345 BHD charge
    assert djstripe_decimal_to_minor(None) is None
    with pytest.raises(MoneyError):
        djstripe_decimal_to_minor(Decimal("1.005"))


def test_format_money():
    assert format_money(123456, "eur") == "1,234.56 EUR"
    assert format_money(-1200, "jpy") == "-1,200 JPY"
    assert format_money(12340, "bhd") == "12.340 BHD"
