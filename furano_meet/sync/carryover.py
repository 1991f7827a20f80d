"""Carrying a reader's annotations over to a replaced document version (差し替え).

When the clerk's office replaces a document, existing products drop the notes people made on
the old version. We carry them over where we can be sure they still mean the same thing: a note
moves to the new version's page whose text is *identical* to the page it was written on (after
the same normalisation the search index uses), wherever that page now is — an inserted page
shifts the rest, and the notes follow. A note on a page whose text changed, or on a page
without text (a scan), is not moved: it stays on the old version, reported as needing review,
so nobody's ink lands on a paragraph that now says something else.

Positions are in PDF page space, so a note carried to an identical page needs no adjustment.
:func:`carry_plan` finds what to carry (the store's side); :meth:`.notes.Notes.carry_over`
writes the carried notes through the outbox like any other.
"""

from __future__ import annotations

import re

from furano_meet.store import LocalStore
from furano_meet.store.records import Annotation

from .queries import stored_body

_SPACES = re.compile(r"\s+")


def _fingerprint(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def match_pages(old: dict[int, str], new: dict[int, str]) -> dict[int, int]:
    """Old page number → new page number, for pages whose text is unchanged.

    Each new page is used at most once; among identical candidates the one at the same
    position, else the nearest, wins. Pages without text never match.
    """
    by_text: dict[str, list[int]] = {}
    for page, text in new.items():
        key = _fingerprint(text)
        if key:
            by_text.setdefault(key, []).append(page)
    used: set[int] = set()
    mapping: dict[int, int] = {}
    for page in sorted(old):
        candidates = [p for p in by_text.get(_fingerprint(old[page]), []) if p not in used]
        if not candidates:
            continue
        best = min(candidates, key=lambda p: (abs(p - page), p))
        used.add(best)
        mapping[page] = best
    return mapping


def carry_plan(
    store: LocalStore, user_id: str, meeting_id: str, doc_id: str, version: int
) -> tuple[int, list[Annotation], dict[int, int], set[str]] | None:
    """(Store thread) The newest older version with notes of ``user_id``, those notes, the
    old → new page map, and the notes carried before (the app may have stopped half-way)."""
    older = [
        d.version for d in store.documents(meeting_id) if d.doc_id == doc_id and d.version < version
    ]
    for previous in sorted(older, reverse=True):
        mine = [
            a for a in store.annotations(doc_id, previous) if a.author == user_id and not a.deleted
        ]
        if mine:
            pages = match_pages(
                store.page_texts(doc_id, previous), store.page_texts(doc_id, version)
            )
            already = {
                body.carried_from
                for a in store.annotations(doc_id, version)
                if (body := stored_body(a)) is not None and body.carried_from
            }
            return previous, mine, pages, already
    return None
