"""Issue #9: the clerk forbids saving annotated copies, and no relay can change that.

The rule travels in the clerk-signed roster (``export``, :mod:`furano_meet.crypto.roster`).
A relay that strips the field, flips it, or replays the roster from before the ban is caught
by the member's device, which keeps the rule of the newest roster it verified.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest

from furano_meet.cli import main as cli_main
from furano_meet.crypto import canonical_json, framing
from furano_meet.crypto import roster as rosters
from furano_meet.protocol import messages as m
from furano_meet.sync.events import RosterAccepted
from furano_meet.sync.policy import ExportRule
from server.demo import MEETING_ID
from server.relay import Relay
from tests.e2e.council import Council, Device, clerk_on_the_command_line, wait_until
from tests.e2e.hostile import TO_CLIENT, HostileRelay

REFUSED_ROSTER = "refusing a roster"


@pytest.fixture(autouse=True)
def sync_warnings(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="furano.sync")
    return caplog


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if REFUSED_ROSTER in r.getMessage()]


def without_export(signed: bytes) -> bytes:
    """The relay's edit: the same signature over a body whose ``export`` field is gone."""
    fields = {k: v for k, v in rosters.KIND.peek(signed).items() if k != "export"}
    signature = rosters.KIND.split(signed)[1]
    return framing.encode(rosters.KIND.magic, canonical_json.dumps(fields), signature)


async def accepted(member: Device, version: int) -> None:
    await member.wait_for(RosterAccepted, lambda e: e.version == version)


async def test_export_is_allowed_until_the_clerk_forbids_it_and_allowed_again_after(
    council: Council,
) -> None:
    clerk = await council.device("jimukyoku")
    assert await clerk.engine.set_roster(MEETING_ID, ["jimukyoku", "giin1"]) == 1
    member = await council.device("giin1")
    await accepted(member, 1)
    assert await member.engine.export_rule(MEETING_ID) is ExportRule.ALLOWED

    assert await clerk.engine.set_export_allowed(MEETING_ID, False) == 2
    await accepted(member, 2)
    assert await member.engine.export_rule(MEETING_ID) is ExportRule.FORBIDDEN
    assert await clerk.engine.export_rule(MEETING_ID) is ExportRule.FORBIDDEN
    # changing the members keeps the ban (None: as the held roster says) ...
    assert await clerk.engine.set_roster(MEETING_ID, ["jimukyoku", "giin1", "giin2"]) == 3
    await accepted(member, 3)
    assert await member.engine.export_rule(MEETING_ID) is ExportRule.FORBIDDEN
    # ... and the rule survives a restart (the stored roster is verified again)
    member = await council.restart(member)
    assert await member.engine.export_rule(MEETING_ID) is ExportRule.FORBIDDEN
    assert await clerk.engine.set_export_allowed(MEETING_ID, True) == 4
    await accepted(member, 4)
    assert await member.engine.export_rule(MEETING_ID) is ExportRule.ALLOWED


async def test_a_relay_cannot_strip_flip_or_roll_back_the_ban(
    hostile: HostileRelay, hostile_council: Council, sync_warnings: pytest.LogCaptureFixture
) -> None:
    clerk = await hostile_council.device("jimukyoku")
    await clerk.engine.set_roster(MEETING_ID, ["jimukyoku", "giin1"])
    member = await hostile_council.device("giin1")
    await accepted(member, 1)
    allowing = hostile.seen(TO_CLIENT, m.RosterChanged)[-1]

    # The relay strips the ban from the roster on its way to the member: refused.
    rule = hostile.replace(
        TO_CLIENT,
        m.RosterChanged,
        lambda msg: dataclasses.replace(msg, roster=without_export(msg.roster)),
        device=member.engine.account.device_id,
    )
    await clerk.engine.set_export_allowed(MEETING_ID, False)
    await wait_until(lambda: bool(refusals(sync_warnings)))
    assert (await member.engine.export_rule(MEETING_ID)) is ExportRule.ALLOWED  # held: v1
    assert member.store.roster(MEETING_ID) is not None
    rule.remove()

    # The genuine roster gets through: the ban holds.
    banned = hostile.seen(TO_CLIENT, m.RosterChanged)[-1]
    await hostile.replay(TO_CLIENT, member.engine.account.device_id, banned)
    await accepted(member, 2)
    assert await member.engine.export_rule(MEETING_ID) is ExportRule.FORBIDDEN

    # Replaying the roster from before the ban, or the ban with ``export`` flipped: refused.
    before = len(refusals(sync_warnings))
    flipped_body = rosters.KIND.split(banned.roster)[0].replace(b'"export":false', b'"export":true')
    assert flipped_body != rosters.KIND.split(banned.roster)[0]
    flipped = framing.encode(rosters.KIND.magic, flipped_body, rosters.KIND.split(banned.roster)[1])
    for planted in (allowing, dataclasses.replace(banned, roster=flipped)):
        await hostile.replay(TO_CLIENT, member.engine.account.device_id, planted)
    await wait_until(lambda: len(refusals(sync_warnings)) >= before + 2)
    assert "stale" in " ".join(refusals(sync_warnings)[before:])
    assert await member.engine.export_rule(MEETING_ID) is ExportRule.FORBIDDEN


async def test_the_clerk_forbids_export_from_the_command_line(
    council: Council, relay: Relay
) -> None:
    """``furano-meet roster MEETING USER... --no-export``: the relay holds the signed ban; a
    later roster without the flag keeps it, ``--allow-export`` lifts it."""
    args = await clerk_on_the_command_line(council, relay)
    members = ["jimukyoku", "giin1"]

    async def relay_says() -> tuple[int, object]:
        signed, _ = await relay.store.run(relay.store.roster, MEETING_ID)
        fields = rosters.KIND.peek(signed)
        return fields["version"], fields.get("export", True)

    for flags, expected in (
        (["--no-export"], (1, False)),
        ([], (2, False)),
        (["--allow-export"], (3, True)),
    ):
        assert await asyncio.to_thread(cli_main, [*args, *members, *flags]) == 0
        assert await relay_says() == expected
