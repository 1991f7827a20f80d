"""Full-text search over every cached page, inside the encrypted database.

Theory of operation
-------------------
Japanese has no spaces, so word tokenisers do not work; substring search does. Page text is kept
in ``page_text_rows`` (one row per page, linked to its document so deleting the document deletes
its pages) and indexed twice:

* ``page_text`` - an FTS5 table with ``tokenize='trigram'`` over that content table. A query of
  three or more characters is sent as one FTS5 *phrase* (double quotes doubled, so ``"``, ``*``,
  ``AND``, ``-`` are just text) and ranked by bm25 when it is selective — the matches are counted
  first, and a phrase on more than :data:`RANK_AT_MOST` pages (について, であります) is listed in
  page order instead, because bm25 over every match is what made those queries slow; the
  snippet comes from FTS5 with the match marked.
* ``page_grams`` - a contentless FTS5 table holding, per page, the set of distinct 1- and
  2-character substrings (hex-encoded, so the ``ascii`` tokenizer sees them as whole words).
  Trigrams cannot answer one- and two-character queries, and those are common in Japanese
  ("市", "予算"). The query is run as ``body LIKE '%...%' ESCAPE '\\'`` (with ``%``, ``_`` and ``\\``
  escaped), which is the authoritative test; the gram index only narrows the rows LIKE has to look
  at. Without it a rare two-character query scans every page (~140 ms for 10,000 pages here);
  with it any query takes well under a millisecond. Grams are ASCII-lower-cased exactly as LIKE
  compares, so the gram filter never drops a row LIKE would match.

Both the index and the query are NFKC-normalised, so full-width "ＡＢＣ" and half-width "ｶﾅ" find
"ABC" and "カナ". The two private-use characters used as match markers are stripped from indexed
text so a marker in a snippet is always ours.

Both FTS tables have FTS5 ``secure-delete`` on: deleting a page removes its tokens from the index
immediately instead of leaving them in an old segment until the next merge. That matters for
:meth:`LocalStore.shred_meeting`.

Page numbers are 0-based, as PyMuPDF's ``Page.number``.
"""

from __future__ import annotations

import operator
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .database import Database
from .errors import UnknownDocument

__all__ = [
    "MARK_CLOSE",
    "MARK_OPEN",
    "MIN_MATCH_CHARS",
    "RANK_AT_MOST",
    "SearchHit",
    "index_pages",
    "like_pattern",
    "normalise",
    "phrase_query",
    "search",
]

MARK_OPEN = "\ue000"
"""Starts a highlighted match in :attr:`SearchHit.snippet` (a private-use character)."""
MARK_CLOSE = "\ue001"
"""Ends a highlighted match in :attr:`SearchHit.snippet`."""
MIN_MATCH_CHARS = 3
RANK_AT_MOST = 2_000
"""A phrase found on more pages than this is listed in page order, not ranked: bm25 costs about
2 µs per matching page (≈ 20 ms for a phrase on 9,400 of 10,000 pages), and ranking pages that
nearly all contain the phrase says little."""
_ELLIPSIS = "…"
_SNIPPET_TOKENS = 32  # FTS5 counts trigram tokens, i.e. roughly characters
_SNIPPET_CONTEXT = 16  # characters either side of a LIKE match
_STRIP_MARKS = str.maketrans("", "", MARK_OPEN + MARK_CLOSE)


@dataclass(frozen=True)
class SearchHit:
    """One page that contains the query."""

    meeting_id: str
    doc_id: str
    version: int
    title: str
    page_no: int
    snippet: str
    """Text around the match, the match between :data:`MARK_OPEN` and :data:`MARK_CLOSE`."""

    def fragments(self) -> list[tuple[str, bool]]:
        """The snippet as ``(text, is_match)`` pieces, ready for a rich-text label."""
        pieces: list[tuple[str, bool]] = []
        rest = self.snippet
        while rest:
            start = rest.find(MARK_OPEN)
            if start < 0:
                pieces.append((rest, False))
                break
            end = rest.find(MARK_CLOSE, start)
            end = len(rest) if end < 0 else end
            if start:
                pieces.append((rest[:start], False))
            pieces.append((rest[start + 1 : end], True))
            rest = rest[end + 1 :]
        return [(text, hit) for text, hit in pieces if text]


def normalise(text: str) -> str:
    """NFKC (full-width/half-width folding), removal of our marker characters, and lone
    surrogates (which PDF text extraction can produce and UTF-8 cannot hold) turned into "?"."""
    folded = unicodedata.normalize("NFKC", text).translate(_STRIP_MARKS)
    return folded.encode("utf-8", "replace").decode("utf-8")


def phrase_query(query: str) -> str:
    """An FTS5 MATCH expression that treats ``query`` as one literal phrase."""
    return '"' + query.replace('"', '""') + '"'


def like_pattern(query: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching ``query`` anywhere, literally."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _ascii_lower(text: str) -> str:
    """Lower-case A-Z only, exactly as SQLite's LIKE compares (bytes.lower() runs in C and UTF-8
    multi-byte sequences contain no ASCII bytes, so nothing else changes and lengths are kept)."""
    return text.encode("utf-8").lower().decode("utf-8")


def _grams(text: str) -> str:
    """The distinct 1- and 2-character substrings of ``text`` as hex words for ``page_grams``."""
    folded = _ascii_lower(text)
    grams = set(folded)
    grams.update(map(operator.add, folded, folded[1:]))
    return " ".join([gram.encode("utf-8").hex() for gram in grams if not gram.isspace()])


def _gram_query(query: str) -> str:
    return '"' + _ascii_lower(query).encode("utf-8").hex() + '"'


def page_texts(db: Database, doc_id: str, version: int) -> dict[int, str]:
    """The indexed (normalised) text of each page of a document version."""
    rows = db.query(
        "SELECT page_no, body FROM page_text_rows WHERE doc_id = ? AND version = ?",
        (doc_id, version),
    )
    return {int(r[0]): str(r[1]) for r in rows}


def index_pages(db: Database, doc_id: str, version: int, pages: Iterable[tuple[int, str]]) -> int:
    """Index (or re-index) pages of a document version; return how many were written.

    A page already indexed is replaced. The document must be known to the store.
    """
    count = 0
    with db.atomic():
        known = db.query_one(
            "SELECT 1 FROM documents WHERE doc_id = ? AND version = ?", (doc_id, version)
        )
        if known is None:
            raise UnknownDocument(doc_id, version, "announce it before indexing its pages")
        for page_no, text in pages:
            if page_no < 0:
                raise ValueError(f"page numbers are 0-based; got {page_no}")
            body = normalise(text)
            db.execute(
                "DELETE FROM page_text_rows WHERE doc_id = ? AND version = ? AND page_no = ?",
                (doc_id, version, page_no),
            )
            row_id = db.insert(
                "INSERT INTO page_text_rows (doc_id, version, page_no, body) VALUES (?, ?, ?, ?)",
                (doc_id, version, page_no, body),
            )
            db.execute(
                "INSERT INTO page_grams (rowid, grams) VALUES (?, ?)", (row_id, _grams(body))
            )
            count += 1
    return count


_MATCH_SQL = """
SELECT d.meeting_id, r.doc_id, r.version, d.title, r.page_no,
       snippet(page_text, 3, ?, ?, ?, ?)
FROM page_text
JOIN page_text_rows AS r ON r.row_id = page_text.rowid
JOIN documents AS d ON d.doc_id = r.doc_id AND d.version = r.version
WHERE page_text MATCH ? {meeting}
ORDER BY {order}
LIMIT ?
"""

_MATCH_COUNT_SQL = "SELECT count(*) FROM page_text WHERE page_text MATCH ?"

_LIKE_SQL = """
SELECT d.meeting_id, r.doc_id, r.version, d.title, r.page_no, r.body
FROM page_grams
JOIN page_text_rows AS r ON r.row_id = page_grams.rowid
JOIN documents AS d ON d.doc_id = r.doc_id AND d.version = r.version
WHERE page_grams MATCH ? AND r.body LIKE ? ESCAPE '\\' {meeting}
ORDER BY page_grams.rowid
LIMIT ?
"""


def search(
    db: Database,
    query: str,
    limit: int = 50,
    meeting_id: str | None = None,
    *,
    rank_at_most: int = RANK_AT_MOST,
) -> list[SearchHit]:
    """Pages containing ``query`` (after NFKC), in page order — except that a 3+-character
    query found on at most ``rank_at_most`` pages is ranked by bm25, best first."""
    if limit <= 0:
        return []
    text = normalise(query).strip()
    if not text:
        return []
    meeting = "AND d.meeting_id = ?" if meeting_id is not None else ""
    extra: tuple[str, ...] = (meeting_id,) if meeting_id is not None else ()
    if len(text) >= MIN_MATCH_CHARS:
        phrase = phrase_query(text)
        # Counting the matches is cheap (~1 ms); bm25 over every one of them is not.
        (matches,) = db.query(_MATCH_COUNT_SQL, (phrase,))[0]
        order = "page_text.rank" if int(matches) <= rank_at_most else "page_text.rowid"
        rows = db.query(
            _MATCH_SQL.format(meeting=meeting, order=order),
            (MARK_OPEN, MARK_CLOSE, _ELLIPSIS, _SNIPPET_TOKENS, phrase, *extra, limit),
        )
        return [SearchHit(r[0], r[1], int(r[2]), r[3], int(r[4]), r[5]) for r in rows]
    rows = db.query(
        _LIKE_SQL.format(meeting=meeting),
        (_gram_query(text), like_pattern(text), *extra, limit),
    )
    return [
        SearchHit(r[0], r[1], int(r[2]), r[3], int(r[4]), like_snippet(r[5], text)) for r in rows
    ]


def like_snippet(body: str, query: str, context: int = _SNIPPET_CONTEXT) -> str:
    """Cut ``body`` around the first match of ``query`` (ASCII case-insensitive, like LIKE)."""
    start = _ascii_lower(body).find(_ascii_lower(query))
    if start < 0:
        return body[: 2 * context]
    end = start + len(query)
    left = max(0, start - context)
    right = min(len(body), end + context)
    return (
        (_ELLIPSIS if left else "")
        + body[left:start]
        + MARK_OPEN
        + body[start:end]
        + MARK_CLOSE
        + body[end:right]
        + (_ELLIPSIS if right < len(body) else "")
    )
