"""Dates and date ranges as resumes print them, and the years they add up to.

Recognised: "Jan 2019", "January 2019", "Sept. 2016", "Jan '19", "03/2017", "03.2017", "2019-03",
"2018"; ranges joined by a dash, "to", "until", "bis"...; "Present", "current", "now", "today";
and "since 2019".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "jan january januar janvier janv enero ene",
        "feb february februar février fevrier févr fevr febrero",
        "mar march märz maerz mär mars marzo",
        "apr april avril avr abril",
        "may mai mayo",
        "jun june juni juin junio",
        "jul july juli juillet juil julio",
        "aug august août aout agosto",
        "sep sept september septembre septiembre",
        "oct october oktober okt octobre octubre",
        "nov november novembre noviembre",
        "dec december dezember dez décembre decembre diciembre dic",
    ),
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
DATE = (
    rf"(?:(?:{_MONTH_NAMES})\.?\s*(?:\d{{4}}|'\d{{2}})"  # Jan 2019, Sept. 2016, Jan '19
    r"|(?:0?[1-9]|1[0-2])\s*[/.]\s*(?:19|20)\d{2}"  # 03/2017, 3.2017
    r"|(?:19|20)\d{2}-(?:0[1-9]|1[0-2])(?!\d)"  # 2019-03
    r"|(?:19|20)\d{2}(?!\d))"  # 2019
)
PRESENT = (
    r"(?:present|current(?:ly)?|now|today|to\s+date|ongoing|heute|aujourd['’]hui|actuel"
    r"|actualidad|presente|date)"
)
_JOIN = r"\s*(?:[-–—−~→]+|\bto\b|\buntil\b|\btill\b|\bthrough\b|\bthru\b|\bbis\b|\bau\b)\s*"
RANGE = re.compile(
    rf"(?<![\w/.])(?P<start>{DATE}){_JOIN}(?P<end>{DATE}|{PRESENT})(?![\w/])"
    rf"|(?<!\w)(?:since|seit|depuis|desde)\s+(?P<since>{DATE})(?![\w/])",
    re.IGNORECASE,
)
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


@dataclass(frozen=True)
class Month:
    """A year and, when printed, a month."""

    year: int
    month: int | None = None

    def iso(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    def index(self) -> int:
        # A bare year counts from the middle of it, at either end of a range: "2015 to 2018"
        # is about three years, whichever months were meant.
        return self.year * 12 + (self.month or 7) - 1


@dataclass(frozen=True)
class DateRange:
    start: Month
    end: Month | None  # None: until now
    span: tuple[int, int]  # where the range sits in its line

    def months(self, today: date) -> int:
        end = self.end or Month(today.year, today.month)
        return end.index() - self.start.index() + 1


def parse_month(text: str) -> Month | None:
    text = text.strip().lower().rstrip(".")
    if m := re.fullmatch(r"([^\W\d_]+)\.?\s*(\d{4}|'\d{2})", text):
        month = MONTHS.get(m.group(1))
        year = int(m.group(2)[1:]) + 2000 if m.group(2).startswith("'") else int(m.group(2))
        if month and year > date.today().year + 1:
            year -= 100
        return Month(year, month) if month else None
    if m := re.fullmatch(r"(\d{1,2})\s*[/.]\s*(\d{4})", text):
        return Month(int(m.group(2)), int(m.group(1)))
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return Month(int(m.group(1)), int(m.group(2)))
    if re.fullmatch(r"\d{4}", text):
        return Month(int(text))
    return None


def find_range(line: str, today: date) -> DateRange | None:
    """The first plausible date range in a line."""
    for m in RANGE.finditer(line):
        if m.group("since"):
            start, end = parse_month(m.group("since")), None
        else:
            start = parse_month(m.group("start"))
            end = parse_month(m.group("end"))
            if end is None and not re.fullmatch(PRESENT, m.group("end").strip(), re.I):
                continue
        if start is None or not 1950 <= start.year <= today.year + 1:
            continue
        if end is not None and (
            end.year > today.year + 6
            or (end.year, end.month or 12) < (start.year, start.month or 1)
        ):
            continue
        return DateRange(start, end, m.span())
    return None


def merged_months(ranges: list[DateRange], today: date) -> int:
    """Months covered by the ranges, counting overlaps once."""
    spans = sorted(
        (r.start.index(), (r.end or Month(today.year, today.month)).index()) for r in ranges
    )
    total, current_start, current_end = 0, None, None
    for start, end in spans:
        end = min(end, today.year * 12 + today.month - 1)
        if end < start:
            continue
        if current_end is None or start > current_end + 1:
            if current_end is not None:
                total += current_end - current_start + 1
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start + 1
    return total
