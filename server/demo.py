"""The demo council: a seeded organisation, people and a committee meeting, then the relay.

``python3 dev.py run`` lands here.  The seed is written once into the demo data directory; on
every start each demo person gets a fresh one-time enrolment code (codes are single-use), printed
with the relay's address so a client can enrol straight away.  The relay never needs a document's
plaintext, so documents are published by a clerk's client, not seeded here.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from furano_meet.protocol import messages as m

from .config import RelayConfig
from .relay import Relay
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
    return [(uid, name, store.issue_enrolment_code(uid)) for uid, name, _ in PEOPLE]


async def run_demo(data_dir: Path, port: int) -> None:
    config = RelayConfig(data_dir=data_dir, port=port)
    async with Relay(config) as relay:
        created = await relay.store.run(seed, relay.store)
        issued = await relay.store.run(codes, relay.store)
        print(f"Furano Meet relay (demo) — {relay.url}")
        print(f"  data directory: {data_dir.resolve()}  ({'new' if created else 'existing'})")
        print(f"  meeting: {MEETING_TITLE} [{MEETING_ID}]")
        print("  one-time enrolment codes (legacy: never auto-certified; valid 72 h):")
        for user_id, name, code in issued:
            print(f"    {code}  {user_id:<10} {name}")
        print("Press Ctrl+C to stop.", flush=True)
        await asyncio.Future()
