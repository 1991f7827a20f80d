"""A council sized for a benchmark: the demo organisation plus as many member devices as needed.

The relay's database is written here, in the benchmark process, *before* the relay process
starts, through the relay's own :class:`~server.store.Store` admin API (``add_user``,
``issue_enrolment_code``, ``enrol``, ``set_members``, ``put_envelopes``).  Enrolling hundreds of
devices through the protocol would measure SQLite's ``fsync`` rather than anything the benchmarks
are about, so this connection turns ``synchronous`` off for the setup only; the relay opens its
own connection with its normal settings.

Every device gets a meeting-key envelope, as in a meeting that is under way: otherwise each join
would announce ``key_needed`` to every online device, which is a setup cost, not a page turn.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from furano_meet.protocol import messages as m
from server import demo
from server.config import RelayConfig
from server.store import Store

MEETING_ID = demo.MEETING_ID
CLERK_USER = "jimukyoku"
"""The demo clerk: a moderator, so the first page turn makes it the presenter."""


@dataclass(frozen=True, slots=True)
class Device:
    user_id: str
    device_id: str
    token: str


@dataclass(frozen=True, slots=True)
class Council:
    data_dir: Path
    clerk: Device
    members: tuple[Device, ...]


def seed_council(data_dir: Path, members: int, *, join_meeting: bool = True) -> Council:
    """Create the demo council plus ``members`` users with one enrolled device each.

    With ``join_meeting`` the users are members of the demo meeting (which allows at most 1000
    members in a ``meeting_joined`` reply); without, they only exist (idle connections).
    """
    store = Store(RelayConfig(data_dir=data_dir).database_path)
    store.open()
    try:
        store.db.execute("PRAGMA synchronous = OFF")  # setup only; see the module docstring
        demo.seed(store)
        user_ids = [f"bench{i:04d}" for i in range(members)]
        for user_id in user_ids:
            store.add_user(user_id, demo.ORG_ID, f"委員 {user_id}", "member")
        if join_meeting:
            demo_members = [p[0] for p in demo.PEOPLE if p[2] != "admin"]
            store.set_members(MEETING_ID, demo_members + user_ids)
        clerk = _enrol(store, CLERK_USER)
        devices = tuple(_enrol(store, user_id) for user_id in user_ids)
        if join_meeting:
            store.put_envelopes(
                MEETING_ID,
                [
                    m.KeyEnvelope(device_id=d.device_id, epoch=1, envelope=os.urandom(80))
                    for d in (clerk, *devices)
                ],
                clerk.device_id,
            )
    finally:
        store.close()
    return Council(data_dir, clerk, devices)


def _enrol(store: Store, user_id: str) -> Device:
    code = store.issue_enrolment_code(user_id)
    identity, token = store.enrol(code, f"bench device of {user_id}", os.urandom(64))
    return Device(identity.user_id, identity.device_id, token)
