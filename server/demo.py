"""The demo council's seed: an organisation, its people and a committee meeting.

The one demo is :mod:`furano_meet.demo` (``python3 dev.py run``, also ``furano-relay demo``): it
seeds the relay with this, embeds the administrator's and the clerk's devices and prints
invitations that carry the root fingerprint. The seed lives on the relay's side because tests
and benchmarks use it without the client stack. The relay never needs a document's plaintext, so
documents are published by a clerk's client, not seeded here.
"""

from __future__ import annotations

import sqlite3

from furano_meet.protocol import messages as m

from .store import Store

ORG_ID = "furano"
MEETING_ID = "r8-4-somu"
MEETING_TITLE = "令和8年第4回富良野市議会定例会 総務文教委員会"
PEOPLE: tuple[tuple[str, str, m.Role], ...] = (
    ("admin", "情報政策課 システム管理者", "admin"),
    ("jimukyoku", "議会事務局 書記", "clerk"),
    ("iincho", "総務文教委員長", "chair"),
    ("giin1", "委員 北野", "member"),
    ("giin2", "委員 東山", "member"),
    ("giin3", "委員 中央", "member"),
)


def seed(store: Store) -> bool:
    """Create the demo organisation once; returns False when it already exists."""
    try:
        store.create_org(ORG_ID, "富良野市")
    except sqlite3.IntegrityError:
        return False
    for user_id, name, role in PEOPLE:
        store.add_user(user_id, ORG_ID, name, role)
    store.create_meeting(
        MEETING_ID, ORG_ID, MEETING_TITLE, starts_at="2026-12-08T10:00:00+09:00", expires_at=""
    )
    store.set_members(MEETING_ID, [p[0] for p in PEOPLE if p[2] != "admin"])
    return True


def codes(store: Store) -> list[tuple[str, str, str]]:
    """A fresh one-time code for every demo person (tests that enrol everyone at once)."""
    return [(uid, name, store.issue_enrolment_code(uid)) for uid, name, _ in PEOPLE]
