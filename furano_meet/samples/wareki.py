"""Japanese official date notation (和暦) as printed in council papers.

Municipal documents give dates in the Reiwa era (令和8年12月10日（木）), times as 午前/午後 and
budgets by fiscal year (April to March). Only the Reiwa era is supported: every date a sample
pack prints is in it, and silently printing a wrong era would be worse than refusing.
"""

from __future__ import annotations

import datetime

REIWA_START = datetime.date(2019, 5, 1)
_WEEKDAYS = "月火水木金土日"


def reiwa_year(year: int) -> int:
    """Reiwa year for a Gregorian year (2026 → 8)."""
    if year < REIWA_START.year:
        raise ValueError(f"{year} is before the Reiwa era")
    return year - (REIWA_START.year - 1)


def format_date(day: datetime.date, *, weekday: bool = True) -> str:
    """``令和8年12月10日（木）``; the weekday is left out when ``weekday`` is false."""
    if day < REIWA_START:
        raise ValueError(f"{day.isoformat()} is before the Reiwa era")
    text = f"令和{reiwa_year(day.year)}年{day.month}月{day.day}日"
    if weekday:
        text += f"（{_WEEKDAYS[day.weekday()]}）"
    return text


def format_time(moment: datetime.time) -> str:
    """``午前10時00分`` / ``午後1時30分``: the 12-hour clock of official notices (noon is 午後0時)."""
    half = "午前" if moment.hour < 12 else "午後"
    return f"{half}{moment.hour % 12}時{moment.minute:02d}分"


def fiscal_year(day: datetime.date) -> int:
    """The Japanese fiscal year (starting 1 April) a date falls in, as a Gregorian year."""
    return day.year if day.month >= 4 else day.year - 1


def format_fiscal_year(year: int) -> str:
    """``令和8年度`` for fiscal year 2026."""
    return f"令和{reiwa_year(year)}年度"
