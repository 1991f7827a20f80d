"""Running the relay as a service: SIGTERM, /healthz, relay.toml, backup and restore — for real.

The relay runs as a separate process (``python -m server``) wherever the operating system is
part of the story (signals, the command line, another process reading the database).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from furano_meet.net import RelayConnection
from furano_meet.protocol import decode, encode
from furano_meet.protocol import messages as m
from server.demo import MEETING_ID
from server.relay import Relay
from tests.conftest import Connect, relay_config
from tests.e2e.relay_process import ROOT, RelayProcess, cli, seeded

MiB = 1024 * 1024


def note(op_id: str) -> m.NewOp:
    return m.NewOp(
        op_id=op_id,
        document_id="d",
        version=1,
        page=0,
        visibility="shared",
        kind="add",
        payload=b"ink",
    )


async def said(ws: ClientConnection, message: m.Msg) -> m.Msg:
    await ws.send(encode(message))
    reply = decode(await ws.recv())
    assert reply.rid == message.rid, reply
    return reply


def enrolment_code(data: Path, user: str) -> str:
    return cli(data, "enrolment-code", user).strip().split("/")[0]


def http_get(url: str) -> tuple[int, str, dict[str, object]]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own relay
        return response.status, response.headers["Content-Type"], json.loads(response.read())


async def test_sigterm_finishes_the_request_in_hand_tells_clients_and_exits_cleanly(
    tmp_path: Path,
) -> None:
    data = seeded(tmp_path / "relay")
    relay = RelayProcess(data).start()
    assert relay.proc is not None and relay.proc.stdout is not None
    code = enrolment_code(data, "giin1")
    async with connect(relay.url, ping_interval=None) as ws:
        await said(ws, m.Hello(rid=1, major=1, minor=2))
        enrolled = await said(ws, m.Enrol(rid=2, code=code, device_name="t", public_keys=b"k"))
        assert isinstance(enrolled, m.Enrolled)
        await said(ws, m.JoinMeeting(rid=3, meeting_id=MEETING_ID))
        acked = await said(ws, m.AppendOps(rid=4, meeting_id=MEETING_ID, ops=(note("before"),)))
        assert isinstance(acked, m.OpsAppended)

        health_url = relay.url.replace("ws://", "http://") + "/healthz"
        status, content_type, health = await asyncio.to_thread(http_get, health_url)
        assert (status, content_type, health["status"]) == (200, "application/json", "ok")
        assert health["connections"] == 1

        await ws.send(encode(m.AppendOps(rid=5, meeting_id=MEETING_ID, ops=(note("racing"),))))
        relay.proc.send_signal(signal.SIGTERM)
        answered = False
        try:
            async with asyncio.timeout(20):
                while True:
                    answered |= decode(await ws.recv()).rid == 5
        except ConnectionClosed:
            pass
        assert ws.close_code == 1001 and "restarting" in (ws.close_reason or "")
    assert relay.proc.wait(timeout=20) == 0
    output = relay.proc.stdout.read()
    assert "relay stopped cleanly" in output and "Traceback" not in output
    relay.kill()

    again = RelayProcess(data).start()
    try:
        member = await RelayConnection.connect(again.url)
        await member.authenticate(enrolled.device_id, enrolled.token)
        await member.request(m.JoinMeeting(meeting_id=MEETING_ID))
        fetched = await member.request(m.FetchOps(meeting_id=MEETING_ID, since=0))
        assert isinstance(fetched, m.OpsFetched)
        logged = {op.op_id for op in fetched.ops}
        assert "before" in logged
        assert ("racing" in logged) == answered  # acknowledged ⇔ kept; never half-done
        await member.close()
    finally:
        again.kill()


async def test_relay_toml_sets_the_limits_and_a_typo_is_refused_with_a_suggestion(
    tmp_path: Path,
) -> None:
    data = seeded(tmp_path / "relay")
    config = tmp_path / "relay.toml"
    config.write_text("max_conections_per_address = 3\n", encoding="utf-8")
    started = subprocess.run(
        [sys.executable, "-m", "server", "--data", str(data), "serve", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode == 1
    assert "did you mean 'max_connections_per_address'?" in started.stderr
    assert "Traceback" not in started.stderr

    config.write_text("login_timeout = 0.5\nhost = '127.0.0.1'\n", encoding="utf-8")
    relay = RelayProcess(data, "--config", str(config)).start()
    try:
        async with connect(relay.url, ping_interval=None) as idle:
            await said(idle, m.Hello(rid=1, major=1, minor=2))
            failed = decode(await idle.recv())
            assert isinstance(failed, m.Failed) and failed.code == "not_authenticated"
            try:
                async with asyncio.timeout(20):
                    await idle.recv()
            except ConnectionClosed:
                pass
            assert idle.close_reason == "login timeout"  # the file's 0.5 s, not the default
    finally:
        relay.kill()


async def test_a_backup_taken_during_an_upload_restores_into_a_relay_that_serves_it(
    tmp_path: Path, connect_as: Connect, relay: Relay
) -> None:
    clerk = await connect_as("jimukyoku")
    member = await connect_as("giin1")
    assert isinstance(member.identity, m.Enrolled)
    agenda = os.urandom(1 * MiB)
    await clerk.upload(
        meeting_id=MEETING_ID, document_id="agenda", version=1, data=agenda, manifest=b"m"
    )
    uploading = asyncio.create_task(
        clerk.upload(
            meeting_id=MEETING_ID,
            document_id="minutes",
            version=1,
            data=os.urandom(16 * MiB),
            manifest=b"m",
            chunk_size=64 * 1024,
        )
    )
    async with asyncio.timeout(20):  # the upload is under way: its claim exists
        while not relay.state.uploading:
            await asyncio.sleep(0.01)
    dest = tmp_path / "backup"
    printed = await asyncio.to_thread(cli, relay.config.data_dir, "backup", str(dest))
    assert "Backed up" in printed
    await uploading
    assert not (tmp_path / "backup.partial").exists()

    restored_dir = tmp_path / "restored"
    await asyncio.to_thread(cli, restored_dir, "restore", str(dest))
    config = relay_config(tmp_path, data_dir=restored_dir)
    async with Relay(config) as restored:
        again = await RelayConnection.connect(restored.url)
        await again.authenticate(member.identity.device_id, member.identity.token)
        downloaded = await again.download(meeting_id=MEETING_ID, document_id="agenda", version=1)
        assert hashlib.sha256(downloaded).digest() == hashlib.sha256(agenda).digest()
        documents = await restored.store.run(restored.store.documents, MEETING_ID)
        for document in documents:  # whatever the snapshot holds, its file came with it
            assert restored.blobs.exists(document.sha256)
        await again.close()


def test_backup_and_restore_never_overwrite_anything(tmp_path: Path) -> None:
    data = seeded(tmp_path / "relay")
    cli(data, "backup", str(tmp_path / "backup"))
    for args in (("backup", str(tmp_path / "backup")), ("restore", str(tmp_path / "backup"))):
        done = subprocess.run(
            [sys.executable, "-m", "server", "--data", str(data), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        assert "not empty" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "server", "--data", str(tmp_path / "new"), "restore", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and "not a complete relay backup" in done.stderr
    assert not (tmp_path / "new").exists()
