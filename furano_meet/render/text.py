"""Words for the highlighter: whole words in spaced text, single characters in Japanese.

PyMuPDF's ``"words"`` split a line at spaces only, and Japanese has none: a whole line of
「令和8年度の予算の執行状況について」 came back as one word, so the highlighter marked the whole
line whatever the drag crossed. Here a page's characters (``get_text("rawdict")``) are cut at
whitespace into runs; a run holding CJK (kana, kanji, full-width forms) is returned one
character per :class:`~.types.Word`, any other run as one word, as before.

A character that continues the text of the word before it without a space has ``joined`` set,
so a highlight's text and its quads put it back together: every character after the first of
a run, and in vertical writing (縦書き) the first character (or Latin run, as the 8 of 令和8年)
of a line that goes on straight below the word before it — MuPDF gives each character of a
vertical column a line of its own. Pure functions of the extracted dictionary: run on the render thread, tested without it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from furano_meet.pagespace import Rect

from .types import Word

__all__ = ["CJK", "words_of"]

CJK = re.compile("[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
"""Japanese punctuation, kana, kanji and full-width forms: text written without spaces."""
_COLUMN_SLACK = 0.25
"""How far (a share of the character's width) a vertical column may stray and still go on."""

Char = Mapping[str, Any]


def words_of(rawdict: Mapping[str, Any]) -> tuple[Word, ...]:
    """The highlighter's words of a page, from ``page.get_text("rawdict")``, in its order."""
    words: list[Word] = []
    for block_no, block in enumerate(rawdict.get("blocks", ())):
        for line_no, line in enumerate(block.get("lines", ())):
            vertical = line.get("wmode") == 1 or tuple(line.get("dir", (1, 0))) == (0, 1)
            run: list[Char] = []
            for span in line.get("spans", ()):
                for char in span.get("chars", ()):
                    if char["c"].isspace():
                        words += _run(run, block_no, line_no, vertical, words)
                        run = []
                    else:
                        run.append(char)
            words += _run(run, block_no, line_no, vertical, words)
    return tuple(words)


def _run(
    run: Sequence[Char], block: int, line: int, vertical: bool, before: Sequence[Word]
) -> list[Word]:
    if not run:
        return []
    text = "".join(char["c"] for char in run)
    rects = [_rect(char["bbox"]) for char in run]
    previous = before[-1] if before else None
    first_joined = (
        vertical
        and previous is not None
        and previous.block == block
        and _goes_on_below(previous.rect, rects[0])
    )
    if not CJK.search(text):
        whole = rects[0]
        for rect in rects[1:]:
            whole = whole.union(rect)
        return [Word(whole, text, block, line, joined=first_joined)]
    return [
        Word(rect, char["c"], block, line, joined=i > 0 or first_joined)
        for i, (rect, char) in enumerate(zip(rects, run, strict=True))
    ]


def _goes_on_below(above: Rect, rect: Rect) -> bool:
    slack = _COLUMN_SLACK * max(rect.width, 1.0)
    return abs(rect.y0 - above.y1) <= slack and abs(rect.x0 - above.x0) <= slack


def _rect(bbox: Sequence[float]) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in bbox)
    return Rect(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
