"""Money: integer minor units until display, and the currency exponents that define them.

Stripe sends every amount as an integer in the currency's smallest unit: cents for EUR,
yen for JPY (a zero-decimal currency), fils for BHD (a three-decimal currency; Stripe
requires the last digit to be 0, but the unit is still the fils). The warehouse stores
those integers. Conversion to major units happens only for display.

dj-stripe's legacy decimal fields (e.g. `Charge.amount`) hold the Stripe integer divided
by 100 *whatever the currency*, so they convert back with `djstripe_decimal_to_minor`,
never with the currency exponent.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
# https://docs.stripe.com/currencies#three-decimal
THREE_DECIMAL_CURRENCIES = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in minor units."""


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's major unit (0, 2 or 3)."""
    code = (currency or "").strip().lower()
    if len(code) != 3 or not code.isalpha():
        raise MoneyError(f"Not an ISO 4217 currency code: {currency!r}")
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def minor_to_major(amount_minor: int, currency: str) -> Decimal:
    """12345 EUR cents -> Decimal('123.45'); 12345 JPY -> Decimal('12345'); BHD -> '12.345'."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise MoneyError(f"Minor units must be an integer, got {amount_minor!r}")
    exponent = currency_exponent(currency)
    return Decimal(amount_minor).scaleb(-exponent)


def major_units(amount_minor: int | Decimal, currency: str) -> Decimal:
    """Minor units (an integer, or an exact Decimal such as an average) -> major units,
    rounded half away from zero to the currency's decimals: the reports' display value."""
    exponent = currency_exponent(currency)
    value = Decimal(amount_minor).scaleb(-exponent)
    return value.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def major_to_minor(amount_major: Decimal | str | int, currency: str) -> int:
    """Decimal('123.45') EUR -> 12345. Refuses amounts finer than the currency's minor unit."""
    if isinstance(amount_major, float):
        raise MoneyError("Use Decimal or str for money, never float")
    try:
        value = Decimal(str(amount_major).strip())
    except InvalidOperation as exc:
        raise MoneyError(f"Not an amount: {amount_major!r}") from exc
    if not value.is_finite():
        raise MoneyError(f"Not an amount: {amount_major!r}")
    scaled = value.scaleb(currency_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(
            f"{amount_major} {currency.upper()} has more decimals than the currency allows"
        )
    return int(scaled)


def djstripe_decimal_to_minor(amount: Decimal | None) -> int | None:
    """Undo dj-stripe's StripeDecimalCurrencyAmountField (Stripe integer / 100, any currency)."""
    if amount is None:
        return None
    scaled = Decimal(amount) * 100
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"dj-stripe decimal amount {amount} is not a whole number of hundredths")
    return int(scaled)


def format_money(amount_minor: int, currency: str) -> str:
    """Display form: '1,234.56 EUR', '-1,200 JPY', '12.345 BHD'."""
    exponent = currency_exponent(currency)
    major = minor_to_major(amount_minor, currency)
    return f"{major:,.{exponent}f} {currency.upper()}"


def format_minor_units(amount_minor: int | None, currency: str) -> str:
    """format_money, and an empty string for a missing amount (the admin's columns)."""
    if amount_minor is None:
        return ""
    return format_money(amount_minor, currency)
