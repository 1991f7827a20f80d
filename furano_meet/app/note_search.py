"""Searching the reader's own notes: the text of the 付箋 on a meeting's documents.

Why in memory: a note's text is encrypted in the store (private notes for this member only,
shared ones for the meeting), and the store's search index holds only the documents' own page
text. Indexing decrypted note text would put it on disk in a second place; instead the engine's
async query (:meth:`SyncEngine.annotations`, decrypted on the store's thread) gives the notes of
each document's newest version and they are matched here, in memory, never written anywhere.
A meeting holds at most a few hundred notes, so a scan per query is instant.

Matching folds width and case (NFKC, ``casefold``): 「ｺｳｴﾝ」 finds 「コウエン」 and "Budget" finds
"budget", as a reader expects of a search box.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from furano_meet.annotations import StickyNote
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.queries import AnnotationView

from .states import latest


@dataclass(frozen=True, slots=True)
class NoteHit:
    """One 付箋 whose text contains the query, with where it is and what it says."""

    note: AnnotationView
    title: str
    """The title of the document it is on."""
    text: str

    def fragments(self, query: str) -> list[tuple[str, bool]]:
        """The note's text cut into (text, matched) pieces, as a snippet shows them."""
        folded, wanted = fold(self.text), fold(query)
        pieces: list[tuple[str, bool]] = []
        start = 0
        while wanted and (found := folded.find(wanted, start)) >= 0:
            pieces += [
                (self.text[start:found], False),
                (self.text[found : found + len(wanted)], True),
            ]
            start = found + len(wanted)
        pieces.append((self.text[start:], False))
        return [(text, match) for text, match in pieces if text]


def fold(text: str) -> str:
    """Width- and case-folded text for matching. NFKC keeps the length of kana and letters
    (what the snippet's cut relies on); text it would change in length is matched as is."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return folded if len(folded) == len(text) else text.casefold()


async def find_notes(engine: SyncEngine, meeting_id: str, query: str) -> tuple[NoteHit, ...]:
    """The 付箋 on the meeting's documents (newest versions) whose text contains ``query``,
    in agenda order, then page, then position on the page."""
    wanted = fold(query.strip())
    if not wanted:
        return ()
    hits: list[NoteHit] = []
    for doc in latest(await engine.documents(meeting_id)):
        notes = await engine.annotations(doc.document_id, doc.version)
        for note in sorted(notes, key=_place):
            mark = note.body.mark
            if isinstance(mark, StickyNote) and wanted in fold(mark.text):
                hits.append(NoteHit(note, doc.title, mark.text))
    return tuple(hits)


def _place(note: AnnotationView) -> tuple[int, float, float]:
    mark = note.body.mark
    at = mark.at if isinstance(mark, StickyNote) else None
    return (note.page, at.y if at else 0.0, at.x if at else 0.0)
