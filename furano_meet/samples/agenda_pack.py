# mypy: untyped-calls-exclude=pymupdf
# (PyMuPDF ships py.typed but leaves many functions unannotated; calling those is fine here.)
"""Realistic sample agenda packs (議案書) as PDF bytes, for the demo meeting, tests and benchmarks.

Theory of operation
-------------------
A pack is built page by page into an in-memory PyMuPDF document and serialised with
``tobytes``; nothing touches the disk. Its pages are:

1. a cover (会議名, document title, 日時, 場所),
2. the 議事日程 listing every agenda item,
3. body pages shared out among the items: the first page of an item carries its heading and
   提案理由, items with budget lines get a 款・項・目 table drawn with lines and rects, and the
   rest of each page is prose from ``phrases``,
4. with ``padding_to_bytes``, appendix pages of random-noise photographs (PNG, incompressible)
   until the file reaches the requested size.

Every page but the cover has ``- n -`` in its footer, where n is the physical page number.

Text goes through ``Page.insert_htmlbox``: PyMuPDF's built-in "japan" font would set Latin
letters full-width, while the HTML engine picks the CJK fallback font for Japanese and a Latin
font for ASCII, so "FY2026" extracts as ASCII. Fonts are subset before saving (a full CJK font
is ~17 MB per file). The trailer /ID and the metadata dates are derived from the inputs, and all
randomness comes from ``random.Random`` seeded with ``seed``: the same arguments give
byte-identical output.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import math
import random
from collections.abc import Sequence

import pymupdf

from furano_meet.samples import furano
from furano_meet.samples.agenda import AgendaItem, BudgetLine, Meeting
from furano_meet.samples.phrases import compose_paragraphs, sample_budget_lines
from furano_meet.samples.wareki import fiscal_year, format_date, format_fiscal_year, format_time

# --- Page geometry (PDF points, A4 portrait) ---
PAGE_WIDTH = 595.0
PAGE_HEIGHT = 842.0
_LEFT = 56.0
_RIGHT = PAGE_WIDTH - 56.0
_TOP = 48.0
_BOTTOM = 790.0
_FOOTER_BASELINE = 815.0

_BODY_FONT_PT = 10.5
_BODY_LINE_HEIGHT = 1.7

_TABLE_ROW_PT = 18.0
_TABLE_FONT_PT = 8.5
_TABLE_MIN_AMOUNT_PT = 64.0
# Share of the width left by the amount columns for 款 | 項 | 目.
_TABLE_LABEL_SHARES = (0.26, 0.37, 0.37)

# Appendix photographs: at most 1024 × 1024 RGB (3 MiB) each, so no single image is absurd.
_PHOTO_WIDTH_PX = 1024
_PHOTO_MAX_HEIGHT_PX = 1024
_PHOTO_MIN_HEIGHT_PX = 8
# Bytes an appendix page costs beyond its raw pixels: page, content stream, image dictionary and
# the caption with its own small font subset — about 6 KB measured with PyMuPDF 1.28. Planning
# with a lower bound makes the first attempt overshoot slightly (~2 KB a page) instead of falling
# short, which would cost a second build and whole-file save.
_PHOTO_PAGE_OVERHEAD = 4 * 1024

_CSS = f"""
* {{ font-family: sans-serif; }}
body {{ font-size: {_BODY_FONT_PT}pt; line-height: {_BODY_LINE_HEIGHT}; }}
p {{ margin: 0 0 4pt 0; text-indent: 1em; text-align: justify; }}
h1 {{ font-size: 15pt; margin: 4pt 0 8pt 0; text-align: center; }}
h2 {{ font-size: 12pt; margin: 0 0 2pt 0; }}
h3 {{ font-size: 11pt; margin: 10pt 0 4pt 0; }}
.running {{ font-size: 8pt; line-height: 1.3; color: #555555; text-align: right;
            border-bottom: 0.5pt solid #333333; padding-bottom: 2pt; margin-bottom: 10pt; }}
.right {{ text-align: right; text-indent: 0; }}
.center {{ text-align: center; text-indent: 0; }}
.plain {{ text-indent: 0; }}
.entry {{ padding-left: 10em; text-indent: -10em; margin: 0 0 8pt 0; }}
.caption {{ font-size: 9pt; text-indent: 0; margin: 8pt 0 0 0; }}
"""

_TABLE_CSS = f"""
* {{ font-family: sans-serif; }}
div {{ font-size: {_TABLE_FONT_PT}pt; height: {_TABLE_ROW_PT}pt; line-height: {_TABLE_ROW_PT}pt;
       margin: 0; padding: 0; white-space: nowrap; }}
.head {{ text-align: center; }}
.num {{ text-align: right; }}
"""

_NBSP = "&#160;"


def generate_agenda_pack(
    *,
    title: str,
    items: Sequence[AgendaItem] | None = None,
    pages: int = 12,
    seed: int = 0,
    padding_to_bytes: int | None = None,
    meeting: Meeting | None = None,
) -> bytes:
    """Build an agenda pack PDF in memory and return its bytes.

    ``title`` is the document's own title (printed large on the cover and in the running
    header); ``meeting`` (default ``furano.DEMO_MEETING``) supplies 会議名, 日時 and 場所.
    ``items`` default to ``furano.DEMO_ITEMS``. The pack has exactly ``pages`` pages (at least
    3: cover, 議事日程 and one body page) unless ``padding_to_bytes`` is given, in which case
    appendix photo pages (3 MiB each) are appended until the file is at least that many bytes,
    overshooting by about 2 KB per appendix page. Same arguments, same bytes.

    Raises ``ValueError`` for arguments no pack can satisfy — the caller's bug.
    """
    chosen_items = tuple(furano.DEMO_ITEMS if items is None else items)
    chosen_meeting = furano.DEMO_MEETING if meeting is None else meeting
    if not title.strip():
        raise ValueError("an agenda pack needs a non-empty title")
    if not chosen_items:
        raise ValueError("an agenda pack needs at least one agenda item")
    if pages < 3:
        raise ValueError(f"pages must be >= 3 (cover, agenda, one body page), got {pages}")
    if padding_to_bytes is not None and padding_to_bytes < 1:
        raise ValueError(f"padding_to_bytes must be positive, got {padding_to_bytes}")

    rng = random.Random(f"furano-meet/agenda-pack/{seed}")
    identity = _identity(title, chosen_meeting, chosen_items, pages, seed)

    doc = pymupdf.open()
    try:
        _add_cover(doc, title, chosen_meeting)
        _add_agenda(doc, chosen_meeting, chosen_items)
        _add_body_pages(doc, rng, title, chosen_items, pages - 2)
        _set_metadata(doc, title, chosen_meeting)
        base = _serialise(doc, identity)
    finally:
        doc.close()
    if padding_to_bytes is None or len(base) >= padding_to_bytes:
        return base
    # The per-page overhead is underestimated, so the first attempt nearly always reaches the
    # target; if not, rebuild from the base with the shortfall added (never patch a document
    # after a garbage-collecting save: MuPDF's resource caches then point at renumbered objects).
    need = padding_to_bytes - len(base)
    while True:
        data = _with_photo_appendix(base, _identity(identity, padding_to_bytes), seed, need)
        if len(data) >= padding_to_bytes:
            return data
        need += padding_to_bytes - len(data)


# --- Pages ---


def _new_page(doc: pymupdf.Document) -> pymupdf.Page:
    return doc.new_page(width=PAGE_WIDTH, height=PAGE_HEIGHT)


def _footer(page: pymupdf.Page) -> None:
    """``- n -`` centred at the foot; plain Helvetica, as the label is ASCII only."""
    label = f"- {page.number + 1} -"
    width = pymupdf.get_text_length(label, fontname="helv", fontsize=9)
    shape = page.new_shape()
    shape.insert_text(
        ((PAGE_WIDTH - width) / 2, _FOOTER_BASELINE), label, fontname="helv", fontsize=9
    )
    shape.commit()


def _submitted_on(meeting: Meeting) -> datetime.date:
    """Packs are distributed a week before the meeting, as council rules usually require."""
    return meeting.day - datetime.timedelta(days=7)


def _add_cover(doc: pymupdf.Document, title: str, meeting: Meeting) -> None:
    page = _new_page(doc)
    when = f"{format_date(meeting.day)}　{format_time(meeting.starts_at)}"
    body = (
        f'<p class="right">{format_date(_submitted_on(meeting), weekday=False)}提出</p>'
        f'<p class="center" style="margin-top: 150pt; font-size: 15pt;">'
        f"{html.escape(meeting.title)}</p>"
        f'<p class="center" style="margin-top: 30pt; font-size: 28pt; font-weight: bold;">'
        f"{html.escape(title)}</p>"
        f'<p class="plain" style="margin-top: 160pt; margin-left: 110pt; font-size: 12pt;">'
        f"日時　{when}</p>"
        f'<p class="plain" style="margin-left: 110pt; font-size: 12pt;">'
        f"場所　{html.escape(meeting.location)}</p>"
        f'<p class="center" style="margin-top: 70pt; font-size: 16pt;">{furano.CITY}</p>'
    )
    page.insert_htmlbox(pymupdf.Rect(_LEFT, _TOP, _RIGHT, _BOTTOM), body, css=_CSS)


def _add_agenda(doc: pymupdf.Document, meeting: Meeting, items: Sequence[AgendaItem]) -> None:
    page = _new_page(doc)
    year = fiscal_year(meeting.day)
    entries = "".join(
        f'<p class="entry">日程第{n}　{html.escape(item.number)}　{html.escape(item.title)}</p>'
        for n, item in enumerate(items, start=1)
    )
    body = (
        "<h1>議　事　日　程</h1>"
        f'<p class="center">{html.escape(meeting.title)}</p>'
        f'<p class="right" style="margin-top: 12pt;">'
        f"{format_date(meeting.day)}　{format_time(meeting.starts_at)}開議</p>"
        f'<p class="right" style="margin-bottom: 18pt;">{html.escape(meeting.location)}</p>'
        f"{entries}"
        f'<p class="caption">※ 予算額は{format_fiscal_year(year)}（FY{year}）の現計予算額を'
        "基準としています。</p>"
    )
    page.insert_htmlbox(pymupdf.Rect(_LEFT, _TOP, _RIGHT, _BOTTOM), body, css=_CSS)
    _footer(page)


def _share_pages(items: Sequence[AgendaItem], body_pages: int) -> list[tuple[AgendaItem, int]]:
    """(item, index of the page within the item) for each body page, items in agenda order.

    Pages are shared out as evenly as possible, earlier items getting the remainder; with fewer
    pages than items, the later items appear only in the 議事日程.
    """
    plan: list[tuple[AgendaItem, int]] = []
    base, extra = divmod(body_pages, len(items))
    for index, item in enumerate(items):
        plan.extend((item, k) for k in range(base + (1 if index < extra else 0)))
    return plan


def _chars_to_fill(height: float) -> int:
    """About how many Japanese characters fill ``height`` points of body text without shrinking.

    Full-width glyphs are one em wide; 0.8 leaves room for paragraph ends and indents, so the
    HTML box need not shrink its text.
    """
    lines = height / (_BODY_FONT_PT * _BODY_LINE_HEIGHT)
    per_line = (_RIGHT - _LEFT) / _BODY_FONT_PT
    return max(0, int(lines * per_line * 0.8))


def _paragraphs_html(paragraphs: Sequence[str]) -> str:
    return "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)


def _add_body_pages(
    doc: pymupdf.Document,
    rng: random.Random,
    title: str,
    items: Sequence[AgendaItem],
    body_pages: int,
) -> None:
    plan = _share_pages(items, body_pages)
    # A pack always shows one budget table: if none of its printed items has budget lines, the
    # first body page gets a 関連予算 table drawn from the phrase bank.
    fallback_lines: tuple[BudgetLine, ...] = ()
    if not any(item.budget_lines for item, k in plan if k == 0):
        fallback_lines = sample_budget_lines(rng, 4)

    for page_index, (item, k) in enumerate(plan):
        page = _new_page(doc)
        running = f'<div class="running">{html.escape(title)}｜{html.escape(item.number)}</div>'
        topics = (item.title,)
        if k == 0:
            lines = item.budget_lines or (fallback_lines if page_index == 0 else ())
            caption = "補正予算の款項目別内訳" if item.budget_lines else "関連予算の款項目別内訳"
            head = (
                f"{running}<h2>{html.escape(item.number)}</h2>"
                f"<h1>{html.escape(item.title)}</h1>"
                f"<p>{html.escape(item.title)}について、別紙のとおり提出する。</p>"
                f'<p class="right">{html.escape(item.department)}</p>'
                f"<h3>提案理由</h3>"
                f"<p>{html.escape(item.summary or item.title + 'について提案するもの')}である。</p>"
            )
            if lines:
                head += f'<h3>{caption}</h3><p class="right">（単位：円）</p>'
            spare, _ = page.insert_htmlbox(
                pymupdf.Rect(_LEFT, _TOP, _RIGHT, _BOTTOM), head, css=_CSS
            )
            top = _BOTTOM - max(0.0, spare)
            if lines:
                top = _draw_budget_table(page, top, lines) + 12.0
            rest = _BOTTOM - top
            if rest > 60.0:
                prose = compose_paragraphs(rng, _chars_to_fill(rest - 40.0), topics=topics)
                page.insert_htmlbox(
                    pymupdf.Rect(_LEFT, top, _RIGHT, _BOTTOM),
                    "<h3>説明</h3>" + _paragraphs_html(prose),
                    css=_CSS,
                )
        else:
            heading = f"<h3>{html.escape(item.number)}　説明資料（{k}）</h3>"
            prose = compose_paragraphs(rng, _chars_to_fill(_BOTTOM - _TOP - 70.0), topics=topics)
            page.insert_htmlbox(
                pymupdf.Rect(_LEFT, _TOP, _RIGHT, _BOTTOM),
                running + heading + _paragraphs_html(prose),
                css=_CSS,
            )
        _footer(page)


def _yen_cell(amount: int) -> str:
    """Japanese accounts print negative amounts with △ rather than a minus sign."""
    return f"△{-amount:,}" if amount < 0 else f"{amount:,}"


def _table_column_widths(rows: Sequence[Sequence[str]]) -> tuple[float, ...]:
    """Widths of 款 | 項 | 目 | 補正前の額 | 補正額 | 計: amounts as wide as the widest amount needs.

    Measured in Helvetica (the HTML engine's Latin face has near-identical digit widths) with
    room for the HTML box's word-width rounding; △ is measured as a digit.
    """
    widest = max(
        pymupdf.get_text_length(cell.replace("△", "0"), fontname="helv", fontsize=_TABLE_FONT_PT)
        for row in rows[1:]
        for cell in row[3:]
    )
    amount = max(_TABLE_MIN_AMOUNT_PT, widest * 1.15 + 8.0)
    labels = _RIGHT - _LEFT - 3 * amount
    if labels < 200.0:
        raise ValueError(f"budget amounts too large to print (widest needs {widest:.0f} pt)")
    return (*(labels * share for share in _TABLE_LABEL_SHARES), amount, amount, amount)


def _draw_budget_table(page: pymupdf.Page, top: float, lines: Sequence[BudgetLine]) -> float:
    """Draw the 款・項・目 table with its top edge at ``top``; return the y of its bottom edge.

    The grid is drawn (and committed, so its shading lies under the text) first; the cell text
    is one HTML box per column whose rows have a fixed line height equal to the grid's row
    height, which costs six layout passes instead of one per cell.
    """
    rows: list[tuple[str, str, str, str, str, str]] = [
        ("款", "項", "目", "補正前の額", "補正額", "計"),
        *(
            (
                line.kan,
                line.kou,
                line.moku,
                _yen_cell(line.before_yen),
                _yen_cell(line.change_yen),
                _yen_cell(line.after_yen),
            )
            for line in lines
        ),
        (
            "合計",
            "",
            "",
            _yen_cell(sum(line.before_yen for line in lines)),
            _yen_cell(sum(line.change_yen for line in lines)),
            _yen_cell(sum(line.after_yen for line in lines)),
        ),
    ]
    bottom = top + _TABLE_ROW_PT * len(rows)
    edges = [_LEFT]
    for width in _table_column_widths(rows):
        edges.append(edges[-1] + width)

    shape = page.new_shape()
    shape.draw_rect(pymupdf.Rect(_LEFT, top, edges[-1], top + _TABLE_ROW_PT))
    shape.draw_rect(pymupdf.Rect(_LEFT, bottom - _TABLE_ROW_PT, edges[-1], bottom))
    shape.finish(color=None, fill=(0.9, 0.9, 0.9), width=0)
    shape.draw_rect(pymupdf.Rect(_LEFT, top, edges[-1], bottom))
    for row in range(1, len(rows)):
        y = top + row * _TABLE_ROW_PT
        shape.draw_line((_LEFT, y), (edges[-1], y))
    for x in edges[1:-1]:
        shape.draw_line((x, top), (x, bottom))
    shape.finish(color=(0, 0, 0), width=0.6)
    shape.commit()

    for column, (x0, x1) in enumerate(zip(edges, edges[1:], strict=False)):
        align = "num" if column >= 3 else ""
        cells = [f'<div class="head">{rows[0][column]}</div>']
        cells.extend(
            f'<div class="{align}">{html.escape(row[column]) or _NBSP}</div>' for row in rows[1:]
        )
        # scale_low=1: shrinking would break the row alignment, and an overfull box is dropped
        # whole — so a cell that does not fit must be reported, not printed wrongly.
        spare, _ = page.insert_htmlbox(
            pymupdf.Rect(x0 + 3.0, top, x1 - 3.0, bottom + _TABLE_ROW_PT),
            "".join(cells),
            css=_TABLE_CSS,
            scale_low=1,
        )
        if spare < 0:
            widest = max((row[column] for row in rows), key=len)
            raise ValueError(f"budget table cell {widest!r} is too wide for its column")
    return bottom


def _with_photo_appendix(base: bytes, identity: str, seed: int, need_bytes: int) -> bytes:
    """``base`` with appendix pages of random-noise "photographs" adding about ``need_bytes``."""
    doc = pymupdf.open(stream=base, filetype="pdf")
    try:
        _add_photo_pages(doc, random.Random(f"furano-meet/agenda-pack/noise/{seed}"), need_bytes)
        return _serialise(doc, identity)
    finally:
        doc.close()


def _add_photo_pages(doc: pymupdf.Document, noise: random.Random, need_bytes: int) -> None:
    """Append pages of noise pictures whose estimated cost in the file is ``need_bytes``.

    Noise does not compress, so each picture costs its raw RGB size plus a roughly fixed page
    overhead, and the padding can be planned up front. Pictures are 1024 × 1024 except a shorter
    last one.
    """
    row_bytes = _PHOTO_WIDTH_PX * 3
    remaining = need_bytes
    while remaining > 0:
        height = max(
            _PHOTO_MIN_HEIGHT_PX,
            min(_PHOTO_MAX_HEIGHT_PX, math.ceil((remaining - _PHOTO_PAGE_OVERHEAD) / row_bytes)),
        )
        samples = noise.randbytes(row_bytes * height)
        pixmap = pymupdf.Pixmap(pymupdf.csRGB, _PHOTO_WIDTH_PX, height, samples, False)
        png = pixmap.tobytes("png")
        page = _new_page(doc)
        number = doc.page_count
        place = furano.PLACES[number % len(furano.PLACES)]
        page.insert_htmlbox(
            pymupdf.Rect(_LEFT, _TOP, _RIGHT, _TOP + 40.0),
            f'<p class="plain">参考資料　現地写真（{place}）</p>',
            css=_CSS,
        )
        # Top-aligned at full text width; a 1024 × 1024 picture is 483 pt tall and fits.
        frame_top = _TOP + 44.0
        frame_height = (_RIGHT - _LEFT) * height / _PHOTO_WIDTH_PX
        page.insert_image(
            pymupdf.Rect(_LEFT, frame_top, _RIGHT, frame_top + frame_height), stream=png
        )
        _footer(page)
        remaining -= row_bytes * height + _PHOTO_PAGE_OVERHEAD


# --- Document ---


def _set_metadata(doc: pymupdf.Document, title: str, meeting: Meeting) -> None:
    # Fixed dates derived from the meeting: PyMuPDF would otherwise stamp the current time.
    stamp = f"D:{_submitted_on(meeting):%Y%m%d}090000+09'00'"
    doc.set_metadata(
        {
            "title": title,
            "author": furano.CITY,
            "subject": meeting.title,
            "keywords": "議案書, 富良野市, sample",
            "creator": "Furano Meet sample generator",
            "producer": "Furano Meet sample generator",
            "creationDate": stamp,
            "modDate": stamp,
        }
    )


def _identity(*inputs: object) -> str:
    """A trailer /ID derived from what the document was made from (32 hex digits).

    Padding gets its own /ID, derived from the unpadded one, as the file then differs.
    """
    return hashlib.sha256(repr(inputs).encode()).hexdigest()[:32].upper()


def _serialise(doc: pymupdf.Document, identity: str) -> bytes:
    """Subset fonts and save with a trailer /ID of our own, so the bytes depend only on the inputs.

    A new document has no /ID, and MuPDF's own would be random; ``no_new_id`` keeps ours.
    """
    doc.subset_fonts()
    doc.xref_set_key(-1, "ID", f"[<{identity}><{identity}>]")
    data: bytes = doc.tobytes(garbage=3, deflate=True, no_new_id=True)
    return data
