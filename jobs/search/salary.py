"""Salaries on one scale: yearly, in settings.SEARCH_CURRENCY."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from accounts.models import SalaryPeriod

# Units of EUR per unit of each currency the platform sees (a fixed table, refreshed by hand;
# `jobs.services.currency_rates_sync` writes it, converted to settings.SEARCH_CURRENCY).
CURRENCY_RATES_EUR: dict[str, Decimal] = {
    "EUR": Decimal("1"),
    "USD": Decimal("0.92"),
    "GBP": Decimal("1.17"),
    "CHF": Decimal("1.05"),
    "PLN": Decimal("0.23"),
    "SEK": Decimal("0.087"),
    "DKK": Decimal("0.134"),
    "CAD": Decimal("0.68"),
    "AUD": Decimal("0.61"),
    "SGD": Decimal("0.69"),
    "INR": Decimal("0.011"),
    "JPY": Decimal("0.0062"),
    "BRL": Decimal("0.17"),
}
# Working periods per year; the salary trigger of migration 0004 uses the same numbers.
PERIODS_PER_YEAR: dict[str, int] = {
    SalaryPeriod.YEAR: 1,
    SalaryPeriod.MONTH: 12,
    SalaryPeriod.WEEK: 48,
    SalaryPeriod.DAY: 200,
    SalaryPeriod.HOUR: 1_600,
}


def currency_rates(target: str | None = None) -> dict[str, Decimal]:
    """Units of `target` (default settings.SEARCH_CURRENCY) per unit of each currency."""
    target = (target or settings.SEARCH_CURRENCY).upper()
    if target not in CURRENCY_RATES_EUR:
        raise ValueError(f"no rate for SEARCH_CURRENCY {target!r}; add it to CURRENCY_RATES_EUR")
    base = CURRENCY_RATES_EUR[target]
    return {
        currency: (rate / base).quantize(Decimal("0.00000001"))
        for currency, rate in CURRENCY_RATES_EUR.items()
    }


def salary_yearly(amount: int | None, currency: str, period: str) -> int | None:
    """`amount` per `period` in `currency`, per year in settings.SEARCH_CURRENCY."""
    rate = currency_rates().get((currency or "").upper())
    if amount is None or rate is None or period not in PERIODS_PER_YEAR:
        return None
    return int((Decimal(amount) * rate * PERIODS_PER_YEAR[period]).quantize(Decimal("1")))
