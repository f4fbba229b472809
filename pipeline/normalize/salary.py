"""Salaries from `baseSalary` structures and from text, with absurd amounts rejected."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.normalize.text import text_clean

PERIOD_FACTORS = {"hour": 2080, "day": 260, "week": 52, "month": 12, "year": 1}
_PERIOD_UNITS = {
    "ANN": "year",
    "YEAR": "year",
    "YR": "year",
    "YEARLY": "year",
    "ANNUAL": "year",
    "ANNUALLY": "year",
    "ANNUM": "year",
    "PA": "year",
    "MON": "month",
    "MONTH": "month",
    "MONTHLY": "month",
    "MO": "month",
    "MTH": "month",
    "WEE": "week",
    "WEEK": "week",
    "WEEKLY": "week",
    "WK": "week",
    "DAY": "day",
    "DAILY": "day",
    "HUR": "hour",
    "HOUR": "hour",
    "HOURLY": "hour",
    "HR": "hour",
    "PH": "hour",
}
# Rough units per US dollar, only to tell an absurd amount from a plausible one.
_UNITS_PER_USD = {
    "USD": 1, "EUR": 1, "GBP": 1, "CHF": 1, "CAD": 1.4, "AUD": 1.5, "NZD": 1.7, "SGD": 1.35,
    "HKD": 7.8, "JPY": 150, "CNY": 7.2, "INR": 85, "KRW": 1400, "TWD": 32, "PLN": 4,
    "CZK": 23, "HUF": 360, "SEK": 10.5, "NOK": 10.5, "DKK": 7, "ISK": 140, "RON": 4.6,
    "BGN": 1.8, "RUB": 90, "UAH": 40, "TRY": 35, "BRL": 5.5, "MXN": 18, "ARS": 1000,
    "CLP": 950, "COP": 4000, "PEN": 3.8, "ZAR": 18, "NGN": 1500, "KES": 130, "EGP": 48,
    "PHP": 56, "IDR": 16000, "VND": 25000, "THB": 35, "MYR": 4.5, "PKR": 280, "BDT": 120,
    "ILS": 3.7, "AED": 3.67, "SAR": 3.75,
}  # fmt: skip
# A year's pay, in US dollars, outside these bounds is a typo or a wrong unit, not a salary.
ANNUAL_BOUNDS_USD = (1_000, 2_000_000)
_CURRENCY_SYMBOLS = {
    "US$": "USD", "$": "USD", "CA$": "CAD", "C$": "CAD", "A$": "AUD", "AU$": "AUD",
    "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "SG$": "SGD", "R$": "BRL", "€": "EUR",
    "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB", "₩": "KRW", "₺": "TRY", "₴": "UAH",
    "₪": "ILS", "₱": "PHP", "₦": "NGN", "ZŁ": "PLN", "KČ": "CZK",
}  # fmt: skip
_CURRENCY = (
    r"(?:US\$|CA\$|C\$|AU\$|A\$|NZ\$|HK\$|SG\$|S\$|R\$|[$€£¥₹₽₩₺₴₪₱₦]|zł|Kč|\b(?-i:(?:"
    + "|".join(sorted(_UNITS_PER_USD))
    + r"))\b)"
)
_NUMBER = r"\d{1,3}(?:[,.\u00a0\u202f' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"


def _amount_pattern(n: int) -> str:
    return (
        rf"(?P<cur{n}>{_CURRENCY})?\s?(?P<num{n}>{_NUMBER})\s?(?P<k{n}>[kK]|\s?thousand)?"
        rf"(?![\w$€£])\s?(?P<curafter{n}>{_CURRENCY})?"
    )


_SALARY_TEXT = re.compile(
    _amount_pattern(1) + r"(?:\s*(?:-|–|—|to)\s*" + _amount_pattern(2) + r")?",
    re.IGNORECASE,
)
_PERIOD_AFTER = re.compile(
    r"\s*(?:(?:/|per|a|an|each)\s*(?P<unit>hour|hr|day|week|wk|month|mo|year|yr|annum)\b"
    r"|(?P<adverb>hourly|daily|weekly|monthly|yearly|annually|p\.?\s?a\b\.?|p\.?\s?h\b\.?))",
    re.IGNORECASE,
)
_PERIOD_BEFORE = re.compile(
    r"\b(hourly|daily|weekly|monthly|annual|annually|yearly)\b[^.\n]{0,30}$", re.IGNORECASE
)


@dataclass(frozen=True)
class Salary:
    min: float | None
    max: float | None
    currency: str | None
    period: str

    def annual(self) -> tuple[float | None, float | None]:
        """Return (min, max) per year, with the stated period's factor (2080 hours a year)."""
        factor = PERIOD_FACTORS[self.period]
        return (
            None if self.min is None else self.min * factor,
            None if self.max is None else self.max * factor,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "min": _plain_number(self.min),
            "max": _plain_number(self.max),
            "currency": self.currency,
            "period": self.period,
        }


def _plain_number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 2)


def currency_code(value: Any) -> str | None:
    """Return an ISO 4217 code from a code ("usd") or a symbol ("€", "US$")."""
    text = text_clean(value)
    if text is None:
        return None
    upper = text.strip().upper()
    if upper in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[upper]
    return upper if re.fullmatch(r"[A-Z]{3}", upper) else None


def period_normalise(value: Any) -> str | None:
    """Map a `unitCode` or `unitText` (ANN, YEAR, MON, WEEK, DAY, HUR, "per hour") to a period."""
    text = text_clean(value)
    if text is None:
        return None
    key = re.sub(r"[^A-Z]", "", text.upper())
    return _PERIOD_UNITS.get(key.removeprefix("PER"))


def _number(text: str) -> float | None:
    digits = text.replace("\u00a0", " ").replace("\u202f", " ").replace("'", " ")
    if re.fullmatch(r"\d{1,3}(?:[ ,.]\d{3})+", digits):  # a separator before 3 digits: thousands
        return float(re.sub(r"\D", "", digits))
    if match := re.fullmatch(r"(\d{1,3}(?:[ ,.]\d{3})+)[.,](\d{1,2})", digits):
        return float(re.sub(r"\D", "", match.group(1)) + "." + match.group(2))
    if re.fullmatch(r"\d+(?:[.,]\d{1,2})?", digits):
        return float(digits.replace(",", "."))
    return None


def _match_amounts(match: re.Match[str]) -> tuple[float | None, float | None]:
    low = _number(match.group("num1"))
    high = _number(match.group("num2")) if match.group("num2") else None
    low_k, high_k = bool(match.group("k1")), bool(match.group("k2"))
    if low is not None and (low_k or (high_k and not low_k and low < 1000)):
        low *= 1000  # "$80k-$100k", and "75-125k" where the k covers both ends
    if high is not None and (high_k or (low_k and high < 1000)):
        high *= 1000
    if low is not None and high is not None and high < low:
        high = None  # "$80k - 2 weeks": not a range
    return low, high


def _match_currency(match: re.Match[str]) -> str | None:
    groups = ("cur1", "curafter1", "cur2", "curafter2")
    return next((match.group(g) for g in groups if match.group(g)), None)


def salary_checked(salary: Salary) -> Salary | None:
    """Return the salary with min ≤ max, or None when an amount is absurd for its period."""
    low, high = salary.min, salary.max
    if low is not None and high is not None and low > high:
        low, high = high, low
    if low is None and high is None:
        return None
    salary = Salary(low, high, salary.currency, salary.period)
    scale = _UNITS_PER_USD.get(salary.currency or "")
    floor, ceiling = ANNUAL_BOUNDS_USD
    floor, ceiling = (floor * scale, ceiling * scale) if scale else (floor, math.inf)
    for amount in salary.annual():
        if amount is not None and not floor <= amount <= ceiling:
            return None
    return salary


def _salary_fields(value: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a MonetaryAmount and its QuantitativeValue into one dict (inner keys win)."""
    fields = dict(value)
    inner = value.get("value")
    if isinstance(inner, dict):
        del fields["value"]
        fields.update({key: item for key, item in inner.items() if item not in (None, "")})
    return fields


def _amounts(value: Any) -> tuple[float | None, float | None, str | None]:
    """Read a number, or a string such as "55000", "$55,000" or "50k-60k"."""
    if isinstance(value, bool) or value is None:
        return None, None, None
    if isinstance(value, int | float):
        return (float(value), None, None) if math.isfinite(value) else (None, None, None)
    text = text_clean(value)
    match = _SALARY_TEXT.search(text or "")
    if match is None:
        return None, None, None
    return (*_match_amounts(match), currency_code(_match_currency(match)))


def salary_from_structured(value: Any, *, currency: Any = None) -> Salary | None:
    """Read `baseSalary`: a MonetaryAmount whose value is a number, a string ("55000") or a
    QuantitativeValue (value or minValue/maxValue), or a bare amount. A missing unit means a
    year; absurd amounts give None."""
    if isinstance(value, list):
        found = (salary_from_structured(item, currency=currency) for item in value)
        return next((salary for salary in found if salary), None)
    fields = _salary_fields(value) if isinstance(value, dict) else {"value": value}
    low, _, low_currency = _amounts(fields.get("minValue"))
    high, _, high_currency = _amounts(fields.get("maxValue"))
    exact_low, exact_high, exact_currency = _amounts(fields.get("value"))
    if low is None and high is None:
        low, high = exact_low, exact_high if exact_high is not None else exact_low
    code = (
        currency_code(fields.get("currency"))
        or currency_code(currency)
        or low_currency
        or high_currency
        or exact_currency
    )
    period = period_normalise(fields.get("unitCode")) or period_normalise(fields.get("unitText"))
    return salary_checked(Salary(low, high, code, period or "year"))


def salary_from_text(text: str | None) -> Salary | None:
    """Find the first plausible salary in text ("$80k-$100k", "€55,000 – 65,000 a year",
    "£30/hour"). An amount needs a currency symbol or code; the period is the one stated
    next to it, else a year."""
    for match in _SALARY_TEXT.finditer(text or ""):
        currency = _match_currency(match)
        if currency is None:
            continue
        low, high = _match_amounts(match)
        high = low if high is None else high
        period = _period_near(text or "", match)
        if salary := salary_checked(Salary(low, high, currency_code(currency), period)):
            return salary
    return None


def _period_near(text: str, match: re.Match[str]) -> str:
    if after := _PERIOD_AFTER.match(text, match.end()):
        word = after.group("unit") or after.group("adverb")
        return period_normalise(word) or "year"
    if before := _PERIOD_BEFORE.search(text[max(0, match.start() - 40) : match.start()]):
        return period_normalise(before.group(1)) or "year"
    return "year"
