"""Japanese official date notation."""

from __future__ import annotations

import datetime

import pytest

from furano_meet.samples.wareki import (
    fiscal_year,
    format_date,
    format_fiscal_year,
    format_time,
    reiwa_year,
)


def test_dates_in_reiwa_with_weekday() -> None:
    assert format_date(datetime.date(2026, 12, 10)) == "令和8年12月10日（木）"
    assert format_date(datetime.date(2019, 5, 1), weekday=False) == "令和1年5月1日"
    assert reiwa_year(2026) == 8


def test_dates_before_reiwa_are_refused() -> None:
    with pytest.raises(ValueError, match="before the Reiwa era"):
        format_date(datetime.date(2019, 4, 30))
    with pytest.raises(ValueError, match="before the Reiwa era"):
        reiwa_year(2018)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime.time(10, 0), "午前10時00分"),
        (datetime.time(0, 5), "午前0時05分"),
        (datetime.time(12, 0), "午後0時00分"),
        (datetime.time(13, 30), "午後1時30分"),
    ],
)
def test_times_on_the_official_12_hour_clock(moment: datetime.time, expected: str) -> None:
    assert format_time(moment) == expected


def test_fiscal_year_starts_in_april() -> None:
    assert fiscal_year(datetime.date(2027, 3, 31)) == 2026
    assert fiscal_year(datetime.date(2026, 4, 1)) == 2026
    assert format_fiscal_year(2026) == "令和8年度"
