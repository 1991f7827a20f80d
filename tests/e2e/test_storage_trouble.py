"""A full or read-only data directory: clear errors, nothing half-published, others still served.

These tests put the relay's data directory on a small tmpfs, so the disk really fills up and
really turns read-only. Mounting needs root (CI containers here run as root); elsewhere they
skip with that reason, and the space-reserve test below still covers the refusal path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from server import demo
from server.relay import Relay
from tests.conftest import Connect, relay_config


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the reserve test covers refusals")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Fill the disk until only ``leave`` bytes are free."""
    junk = disk / "junk"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with contextlib.suppress(OSError), junk.open("wb") as f:
        f.write(b"\0" * max(0, free - leave))
    return junk


def op(i: int) -> m.NewOp:
    return m.NewOp(
        op_id=f"op-{i}",
        document_id="d",
        version=1,
        page=0,
        visibility="shared",
        kind="add",
        payload=b"x" * 2000,
    )


async def enrolled(relay: Relay, user: str) -> RelayConnection:
    code = await relay.store.run(relay.store.issue_enrolment_code, user)
    conn = await RelayConnection.connect(relay.url)
    await conn.enrol(code, "device", b"pk")
    await conn.request(m.JoinMeeting(meeting_id=demo.MEETING_ID))
    return conn


async def test_a_full_disk_refuses_writes_and_recovers(small_disk: Path) -> None:
    async with Relay(relay_config(small_disk)) as relay:
        await relay.store.run(demo.seed, relay.store)
        clerk = await enrolled(relay, "jimukyoku")
        member = await enrolled(relay, "giin1")
        data = os.urandom(3_000_000)
        sha = hashlib.sha256(data).hexdigest()
        ready = await clerk.request(
            m.BeginUpload(
                meeting_id=demo.MEETING_ID,
                document_id="d",
                version=1,
                size=len(data),
                sha256=sha,
                manifest=b"m",
            )
        )
        assert isinstance(ready, m.UploadReady)
        junk = fill(small_disk, leave=200_000)
        with pytest.raises(RelayError) as refused:
            await clerk.upload(
                meeting_id=demo.MEETING_ID, document_id="d", version=1, data=data, manifest=b"m"
            )
        assert refused.value.code == "storage_unavailable" and "full" in refused.value.message
        with pytest.raises(RelayError) as op_refused:
            for i in range(200):
                await member.request(m.AppendOps(meeting_id=demo.MEETING_ID, ops=(op(i),)))
        assert op_refused.value.code == "storage_unavailable"
        # Page turns need no disk: the meeting goes on.
        await clerk.send(
            m.PresentPage(meeting_id=demo.MEETING_ID, document_id="d", version=1, page=2)
        )
        assert (await member.expect(m.PresenterChanged)).state.page == 2
        joined = await member.request(m.JoinMeeting(meeting_id=demo.MEETING_ID))
        assert (
            isinstance(joined, m.MeetingJoined) and joined.documents == ()
        )  # nothing half-published
        junk.unlink()
        info = await clerk.upload(
            meeting_id=demo.MEETING_ID, document_id="d", version=1, data=data, manifest=b"m"
        )
        assert relay.blobs.path(info.sha256).read_bytes() == data
        appended = await member.request(m.AppendOps(meeting_id=demo.MEETING_ID, ops=(op(999),)))
        assert isinstance(appended, m.OpsAppended)
        await clerk.close()
        await member.close()


async def test_a_blob_volume_turning_read_only_refuses_uploads(
    small_disk: Path, tmp_path: Path
) -> None:
    """Mount a read-only filesystem over ``uploads/`` while the relay runs."""
    async with Relay(relay_config(tmp_path / "data")) as relay:
        await relay.store.run(demo.seed, relay.store)
        clerk = await enrolled(relay, "jimukyoku")
        uploads = relay.blobs.uploads
        subprocess.run(["mount", "--bind", str(small_disk), str(uploads)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(uploads)], check=True)
        try:
            with pytest.raises(RelayError) as refused:
                await clerk.upload(
                    meeting_id=demo.MEETING_ID,
                    document_id="d",
                    version=1,
                    data=b"x" * 5000,
                    manifest=b"m",
                )
            assert refused.value.code == "storage_unavailable"
            assert "read-only" in refused.value.message
            listed = await clerk.request(m.ListMeetings())  # the relay keeps serving
            assert isinstance(listed, m.MeetingsListed)
        finally:
            subprocess.run(["umount", str(uploads)], check=True)
        await clerk.upload(
            meeting_id=demo.MEETING_ID, document_id="d", version=1, data=b"x" * 5000, manifest=b"m"
        )
        await clerk.close()


def test_starting_on_a_read_only_directory_explains_itself(small_disk: Path) -> None:
    from tests.e2e.relay_process import ROOT

    data = small_disk / "relay"
    cli_args = [sys.executable, "-m", "server", "--data", str(data)]
    subprocess.run([*cli_args, "create-org", "furano", "富良野市"], cwd=ROOT, check=True)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        done = subprocess.run(
            [*cli_args, "serve", "--port", "0"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert done.returncode == 1
    assert "read-only" in done.stderr or "not writable" in done.stderr
    assert "Traceback" not in done.stderr


async def test_the_space_reserve_refuses_uploads_up_front(
    connect_as: Connect, relay: Relay
) -> None:
    relay.blobs.min_free_bytes = 1 << 62  # "the disk is nearly full"
    clerk = await connect_as("jimukyoku")
    with pytest.raises(RelayError) as refused:
        await clerk.upload(
            meeting_id=demo.MEETING_ID, document_id="d", version=1, data=b"x" * 1000, manifest=b"m"
        )
    assert refused.value.code == "storage_unavailable"
    relay.blobs.min_free_bytes = 0
    await clerk.upload(
        meeting_id=demo.MEETING_ID, document_id="d", version=1, data=b"x" * 1000, manifest=b"m"
    )
