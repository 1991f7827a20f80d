"""Acknowledged writes survive ``kill -9`` of the relay; admin changes apply while it runs."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from tests.e2e.relay_process import RelayProcess, cli


def setup_council(data: Path) -> dict[str, str]:
    cli(data, "create-org", "furano", "富良野市")
    cli(data, "add-user", "furano", "clerk", "議会事務局", "--role", "clerk")
    cli(data, "add-user", "furano", "giin1", "委員", "--role", "member")
    cli(data, "create-meeting", "furano", "m1", "総務文教委員会")
    cli(data, "set-members", "m1", "clerk", "giin1")
    return {u: cli(data, "enrolment-code", u).strip() for u in ("clerk", "giin1")}


def op(i: int) -> m.NewOp:
    return m.NewOp(
        op_id=f"ink-{i}",
        document_id="d",
        version=1,
        page=0,
        visibility="shared",
        kind="add",
        payload=b"c",
    )


async def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "relay"
    codes = setup_council(data)
    relay = RelayProcess(data).start()
    try:
        clerk = await RelayConnection.connect(relay.url)
        device = await clerk.enrol(codes["clerk"], "pc", b"pk")
        blob = os.urandom(1_500_000)
        await clerk.upload(meeting_id="m1", document_id="d", version=1, data=blob, manifest=b"man")
        acked = await clerk.request(
            m.AppendOps(meeting_id="m1", ops=tuple(op(i) for i in range(100)))
        )
        assert isinstance(acked, m.OpsAppended)
        # An upload in flight when the power goes: never published, resumable.
        second = os.urandom(900_000)
        ready = await clerk.request(
            m.BeginUpload(
                meeting_id="m1",
                document_id="late",
                version=1,
                size=len(second),
                sha256=__import__("hashlib").sha256(second).hexdigest(),
                manifest=b"m",
            )
        )
        assert isinstance(ready, m.UploadReady)
        relay.kill()
        with pytest.raises(RelayError):
            await clerk.request(m.ListMeetings())
        relay = RelayProcess(data).start()
        again = await RelayConnection.connect(relay.url)
        await again.authenticate(device.device_id, device.token)
        joined = await again.request(m.JoinMeeting(meeting_id="m1"))
        assert isinstance(joined, m.MeetingJoined)
        assert [(d.document_id, d.version) for d in joined.documents] == [("d", 1)]
        assert joined.last_op_seq == acked.results[-1].seq
        assert await again.download(meeting_id="m1", document_id="d", version=1) == blob
        fetched = await again.request(m.FetchOps(meeting_id="m1", since=0, limit=1000))
        assert isinstance(fetched, m.OpsFetched) and len(fetched.ops) == 100
        replay = await again.request(m.AppendOps(meeting_id="m1", ops=(op(5),)))
        assert isinstance(replay, m.OpsAppended) and replay.results[0].duplicate
        await again.upload(
            meeting_id="m1", document_id="late", version=1, data=second, manifest=b"m"
        )
        await again.close()
        await clerk.close()
    finally:
        relay.kill()


async def test_revocation_from_the_cli_disconnects_the_device_at_once(tmp_path: Path) -> None:
    data = tmp_path / "relay"
    codes = setup_council(data)
    relay = RelayProcess(data).start()
    try:
        tablet = await RelayConnection.connect(relay.url)
        device = await tablet.enrol(codes["giin1"], "lost tablet", b"pk")
        listed = cli(data, "list-devices", "--user", "giin1")
        assert device.device_id in listed and "lost tablet" in listed
        cli(data, "revoke-device", device.device_id)
        revoked = await tablet.expect(m.DeviceRevoked, timeout=5)
        assert revoked.device_id == device.device_id
        async with asyncio.timeout(5):
            await tablet.ws.wait_closed()
        assert tablet.ws.close_code == 1008 and tablet.ws.close_reason == "device revoked"
        again = await RelayConnection.connect(relay.url)
        with pytest.raises(RelayError) as refused:
            await again.authenticate(device.device_id, device.token)
        assert refused.value.code == "device_revoked"
        await again.close()
        await tablet.close()
    finally:
        relay.kill()


async def test_removed_members_leave_the_room(tmp_path: Path) -> None:
    data = tmp_path / "relay"
    codes = setup_council(data)
    relay = RelayProcess(data).start()
    try:
        member = await RelayConnection.connect(relay.url)
        await member.enrol(codes["giin1"], "tablet", b"pk")
        await member.request(m.JoinMeeting(meeting_id="m1"))
        cli(data, "set-members", "m1", "clerk")
        removed = await member.expect(m.Failed, timeout=5)
        assert removed.code == "forbidden" and "removed" in removed.message
        assert removed.meeting_id == "m1"
        with pytest.raises(RelayError):
            await member.request(m.FetchOps(meeting_id="m1", since=0))
        await member.close()
    finally:
        relay.kill()


def test_admin_cli_reports_mistakes_clearly(tmp_path: Path) -> None:
    data = tmp_path / "relay"
    setup_council(data)
    with pytest.raises(RuntimeError, match="no user"):
        cli(data, "enrolment-code", "nobody")
    with pytest.raises(RuntimeError, match="no device"):
        cli(data, "revoke-device", "dev-unknown")


async def test_after_kill_9_the_presenter_seq_keeps_growing(tmp_path: Path) -> None:
    """The page is saved lazily; followers must never see ``seq`` go backwards after a crash."""
    data = tmp_path / "relay"
    codes = setup_council(data)
    relay = RelayProcess(data).start()
    try:
        clerk = await RelayConnection.connect(relay.url)
        device = await clerk.enrol(codes["clerk"], "pc", b"pk")
        await clerk.request(m.JoinMeeting(meeting_id="m1"))
        for page in range(30):
            await clerk.send(m.PresentPage(meeting_id="m1", document_id="d", version=1, page=page))
        seen = 0
        while seen < 30:
            seen = (await clerk.expect(m.PresenterChanged)).state.seq
        relay.kill()
        await clerk.close()
        relay = RelayProcess(data).start()
        again = await RelayConnection.connect(relay.url)
        await again.authenticate(device.device_id, device.token)
        joined = await again.request(m.JoinMeeting(meeting_id="m1"))
        assert isinstance(joined, m.MeetingJoined)
        assert joined.presenter.seq > seen
        await again.send(m.PresentPage(meeting_id="m1", document_id="d", version=1, page=1))
        assert (await again.expect(m.PresenterChanged)).state.seq > joined.presenter.seq
        await again.close()
    finally:
        relay.kill()
