# mypy: untyped-calls-exclude=pymupdf
"""The demo meeting and its documents."""

from __future__ import annotations

import dataclasses

import pymupdf
import pytest

from furano_meet.samples import DEMO_ITEMS, DEMO_MEETING, demo_documents
from furano_meet.samples.agenda import Meeting


def test_demo_meeting_is_a_frozen_description() -> None:
    assert DEMO_MEETING.title == "令和8年第4回富良野市議会定例会 総務文教委員会"
    assert DEMO_MEETING.date == DEMO_MEETING.day.isoformat() == "2026-12-10"
    assert "富良野市役所" in DEMO_MEETING.location
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEMO_MEETING.title = "別の会議"  # type: ignore[misc]


def test_demo_items_have_furano_flavour() -> None:
    titles = " ".join(item.title for item in DEMO_ITEMS)
    for expected in (
        "富良野市一般会計補正予算",
        "ふらのワイン振興条例",
        "市道の認定",
        "教育委員会委員",
    ):
        assert expected in titles
    assert DEMO_ITEMS[0].number == "議案第1号"
    assert DEMO_ITEMS[0].budget_lines


def test_demo_documents_are_small_distinct_pdfs() -> None:
    documents = demo_documents()
    assert demo_documents() == documents  # identical bytes every time (the app tests cache them)
    assert 2 <= len(documents) <= 3
    assert len({title for title, _ in documents}) == len(documents)
    for title, data in documents:
        assert len(data) < 1_000_000
        with pymupdf.open(stream=data, filetype="pdf") as opened:
            assert opened.page_count >= 3
            cover = "".join(opened[0].get_text().split())  # long titles wrap
            assert "".join(title.split()) in cover
            assert "".join(DEMO_MEETING.title.split()) in cover


@pytest.mark.parametrize(
    ("field", "value"), [("date", "2026/12/10"), ("date", "令和8年"), ("start", "10時")]
)
def test_meeting_rejects_non_iso_values(field: str, value: str) -> None:
    fields = {"title": "会議", "date": "2026-12-10", "location": "委員会室", field: value}
    with pytest.raises(ValueError, match=f"Meeting.{field}"):
        Meeting(**fields)
