"""The vocabulary of an agenda pack: a meeting, its agenda items and their budget lines.

These are plain frozen values so that a sample pack is fully described by data: the same values
and seed always give the same PDF bytes. They carry no PDF or GUI knowledge.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One row of a supplementary-budget table (款・項・目 with yen amounts).

    ``kan``/``kou``/``moku`` are the three levels of a Japanese municipal budget classification,
    written as they appear in print (``"2款 総務費"``). ``change_yen`` may be negative (a cut).
    """

    kan: str
    kou: str
    moku: str
    before_yen: int
    change_yen: int

    def __post_init__(self) -> None:
        if self.before_yen < 0:
            raise ValueError(f"before_yen must be >= 0, got {self.before_yen}")
        if self.after_yen < 0:
            raise ValueError(
                f"a cut of {-self.change_yen} yen exceeds the budget {self.before_yen}"
            )

    @property
    def after_yen(self) -> int:
        """The amount after the supplementary budget (補正後の額, printed as 計)."""
        return self.before_yen + self.change_yen


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One agenda item (議案) as printed in the 議事日程 and on its own body pages.

    ``number`` is the official label (``"議案第1号"``, ``"同意第1号"``); ``summary`` is the lead
    sentence of the 提案理由. Items with ``budget_lines`` get a budget table on their first page.
    """

    number: str
    title: str
    department: str = "総務部総務課"
    summary: str = ""
    budget_lines: tuple[BudgetLine, ...] = ()

    def __post_init__(self) -> None:
        if not self.number.strip() or not self.title.strip():
            raise ValueError("an agenda item needs a non-empty number and title")


@dataclass(frozen=True, slots=True)
class Meeting:
    """The meeting a pack is prepared for: shown on the cover and the agenda page.

    ``date`` is an ISO 8601 calendar date and ``start`` an ISO time (``"10:00"``), so the values
    can travel through JSON unchanged; they are validated here rather than where they are printed.
    """

    title: str
    date: str
    location: str
    start: str = "10:00"

    def __post_init__(self) -> None:
        # Raise early with the offending value; fromisoformat's own message names neither field.
        try:
            datetime.date.fromisoformat(self.date)
        except ValueError as exc:
            raise ValueError(f"Meeting.date must be an ISO date, got {self.date!r}") from exc
        try:
            datetime.time.fromisoformat(self.start)
        except ValueError as exc:
            raise ValueError(f"Meeting.start must be an ISO time, got {self.start!r}") from exc

    @property
    def day(self) -> datetime.date:
        """The meeting date as a ``datetime.date``."""
        return datetime.date.fromisoformat(self.date)

    @property
    def starts_at(self) -> datetime.time:
        """The opening time as a ``datetime.time``."""
        return datetime.time.fromisoformat(self.start)
