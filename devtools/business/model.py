"""The synthetic business's model: what the company behind the demo and the benchmarks is.

What the business sells, where its users come from and how they pay: channels (with their
conversion, churn and premium share), countries (each with its currency and cities), prices,
exchange rates into the settlement currency (and how they drift), Stripe's fee, card brands,
devices, decline reasons. The generator (devtools/business/generator.py) draws the
business's events from it. Pure Python, no Django.
"""

import datetime as dt
import math
import random
from dataclasses import dataclass

from warehouse.money import currency_exponent

SETTLEMENT_CURRENCY = "usd"

APP_NAME = "Stridely"


@dataclass(frozen=True)
class Channel:
    name: str
    group: str
    label: str
    weight: float  # share of installs
    conversion: float  # share of installing users who ever pay
    first_month_churn: float  # churn after the first paid month; decays with tenure
    premium_share: float  # share choosing the yearly-priced premium tier
    network: str = ""
    campaigns: tuple = ()


CHANNELS = [
    Channel("organic", "organic", "Organic (app store search)", 0.27, 0.36, 0.26, 0.15),
    Channel(
        "google_ads",
        "paid_search",
        "Google Ads",
        0.13,
        0.38,
        0.30,
        0.18,
        "Google Ads",
        ("brand_search", "generic_fitness", "competitor_terms"),
    ),
    Channel(
        "apple_search_ads",
        "paid_search",
        "Apple Search Ads",
        0.08,
        0.40,
        0.28,
        0.22,
        "Apple Search Ads",
        ("brand_exact", "category_discovery"),
    ),
    Channel(
        "facebook_ads",
        "paid_social",
        "Facebook & Instagram Ads",
        0.16,
        0.26,
        0.42,
        0.10,
        "Facebook Installs",
        ("spring_lookalike", "retargeting_30d", "video_tutorials"),
    ),
    Channel(
        "tiktok_ads",
        "paid_social",
        "TikTok Ads",
        0.11,
        0.20,
        0.52,
        0.06,
        "TikTok for Business",
        ("creator_challenge", "spark_ads_q3"),
    ),
    Channel(
        "influencer",
        "influencer",
        "Influencer partnerships",
        0.09,
        0.31,
        0.45,
        0.12,
        "Influencer",
        ("yoga_with_mia", "runclub_tom", "fitfam_duo"),
    ),
    Channel(
        "referral",
        "referral",
        "Friend referral",
        0.10,
        0.48,
        0.20,
        0.20,
        "Referral program",
        ("give10_get10",),
    ),
    Channel(
        "email",
        "owned",
        "Newsletter & email",
        0.06,
        0.42,
        0.24,
        0.25,
        "Email",
        ("winback_monthly", "product_updates"),
    ),
]

# country: (share, currency, cities with postal codes (text: leading zeros, letters))
COUNTRIES = {
    "US": (
        0.34,
        "usd",
        [
            ("Boston", "MA", "02118"),
            ("Austin", "TX", "78701"),
            ("Seattle", "WA", "98101"),
            ("Newark", "NJ", "07102"),
        ],
    ),
    "CA": (0.05, "usd", [("Toronto", "ON", "M5V 2T6"), ("Vancouver", "BC", "V6B 1A1")]),
    "GB": (
        0.14,
        "gbp",
        [("London", "", "SW1A 1AA"), ("Manchester", "", "M1 1AE"), ("Edinburgh", "", "EH1 1YZ")],
    ),
    "DE": (
        0.14,
        "eur",
        [("Berlin", "", "10115"), ("Dresden", "", "01067"), ("München", "", "80331")],
    ),
    "FR": (0.09, "eur", [("Paris", "", "75001"), ("Lyon", "", "69001")]),
    "ES": (0.05, "eur", [("Madrid", "", "28001"), ("Barcelona", "", "08001")]),
    "NL": (0.04, "eur", [("Amsterdam", "", "1012 AB"), ("Utrecht", "", "3511 AA")]),
    "JP": (0.15, "jpy", [("Tokyo", "", "100-0001"), ("Osaka", "", "530-0001")]),
}

# Monthly prices in minor units of each currency (JPY has no minor unit).
PRICES = {
    "usd": (999, 1999),
    "eur": (899, 1799),
    "gbp": (799, 1599),
    "jpy": (1200, 2400),
}
# Units of USD per unit of the currency, around which the daily rate drifts.
USD_RATES = {"usd": 1.0, "eur": 1.085, "gbp": 1.265, "jpy": 0.0067}

CARD_BRANDS = {
    "default": [("visa", 0.52), ("mastercard", 0.32), ("amex", 0.12), ("discover", 0.04)],
    "JP": [("jcb", 0.40), ("visa", 0.35), ("mastercard", 0.20), ("amex", 0.05)],
}
DEVICES = {
    "iOS": ["iPhone 13", "iPhone 14", "iPhone 15", "iPhone 15 Pro", "iPad Air"],
    "Android": ["Pixel 7", "Pixel 8", "Galaxy S23", "Galaxy A54", "Xiaomi 13", "OnePlus 11"],
    "Web": ["Chrome", "Safari", "Firefox", "Edge"],
}
OS_SHARE = [("iOS", 0.46), ("Android", 0.41), ("Web", 0.13)]
FIRST_NAMES = [
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Felix",
    "Grace",
    "Hiro",
    "Ines",
    "Jon",
    "Kaito",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Viktor",
    "Wen",
    "Yuki",
    "Zoe",
]
LAST_NAMES = [
    "Smith",
    "Müller",
    "Dubois",
    "García",
    "Tanaka",
    "Rossi",
    "Jansen",
    "Brown",
    "Sato",
    "Martin",
    "Schmidt",
    "Novak",
    "Silva",
    "Kowalski",
    "Evans",
    "Ito",
]
DECLINES = [
    ("card_declined", "Your card was declined.", 0.45),
    ("insufficient_funds", "Your card has insufficient funds.", 0.35),
    ("expired_card", "Your card has expired.", 0.12),
    ("incorrect_cvc", "Your card's security code is incorrect.", 0.08),
]


def currency_shares() -> list[tuple[str, float]]:
    """Each charged currency with its share of customers (from the countries' shares)."""
    shares: dict[str, float] = {}
    for share, currency, _ in COUNTRIES.values():
        shares[currency] = shares.get(currency, 0.0) + share
    return list(shares.items())


def settlement_minor(amount_minor: int, currency: str, rate: float) -> int:
    """`amount_minor` of `currency` in minor units of the settlement currency at `rate`
    (settlement-currency units per unit of `currency`)."""
    major = amount_minor / 10 ** currency_exponent(currency)
    return round(major * rate * 10 ** currency_exponent(SETTLEMENT_CURRENCY))


def pick(rng: random.Random, weighted):
    """One item of [(item, weight), ...], drawn with the weights."""
    return rng.choices([item for item, _ in weighted], [w for _, w in weighted])[0]


def ts(moment: dt.datetime) -> int:
    """Unix seconds, as Stripe's `created` fields."""
    return int(moment.timestamp())


def usd_rate(currency: str, moment: dt.datetime, start: dt.datetime) -> float:
    """Units of the settlement currency per unit of `currency` at `moment`: the base rate,
    drifting ±3.5 % over a year from `start` (each currency in its own phase)."""
    if currency == SETTLEMENT_CURRENCY:
        return 1.0
    phase = {"eur": 0.0, "gbp": 1.7, "jpy": 3.1}.get(currency, 0.5)
    days = (moment - start).total_seconds() / 86400
    return round(USD_RATES[currency] * (1 + 0.035 * math.sin(2 * math.pi * days / 365 + phase)), 6)


def stripe_fee(settled: int, foreign: bool) -> int:
    """Stripe's fee on a charge of `settled` minor units of the settlement currency: 2.9 %
    + 30 ¢, plus 1.5 % for a foreign card; each percentage rounded half up."""
    fee = (settled * 29 + 500) // 1000 + 30
    if foreign:
        fee += (settled * 15 + 500) // 1000
    return fee
