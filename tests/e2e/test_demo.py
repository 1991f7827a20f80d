"""The README's main job: the demo council comes up, and a councillor's device receives the pack."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from furano_meet.store import LocalStore
from furano_meet.sync.account import Invitation, enrol
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import DocumentReady, SyncEvent
from tests.e2e.relay_process import ROOT, free_port


def start_demo(data: Path, port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "furano_meet.demo", "--data", str(data), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    invitations: dict[str, str] = {}
    for line in proc.stdout:
        found = re.match(r"\s+(giin\d|iincho)\s.*?(\S+/\S+)\s*$", line)
        if found:
            invitations[found.group(1)] = found.group(2)
        if "Demo ready" in line:
            return proc, invitations
    raise AssertionError(f"the demo did not start (exit {proc.wait()})")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


async def test_the_demo_publishes_a_pack_a_new_device_can_read(tmp_path: Path) -> None:
    port = free_port()
    proc, invitations = start_demo(tmp_path / "demo", port)
    try:
        assert set(invitations) == {"iincho", "giin1", "giin2", "giin3"}
        store = LocalStore.open(tmp_path / "tablet", "giin1")
        await enrol(
            store, f"ws://127.0.0.1:{port}", Invitation.parse(invitations["giin1"]), "tablet"
        )
        engine = SyncEngine(store)
        ready: list[DocumentReady] = []
        arrived = asyncio.Event()

        def seen(event: SyncEvent) -> None:
            if isinstance(event, DocumentReady):
                ready.append(event)
                if len(ready) == 3:
                    arrived.set()

        engine.subscribe(seen)
        task = asyncio.create_task(engine.run())
        async with asyncio.timeout(60):
            await arrived.wait()
        assert {e.document_id for e in ready} == {"demo-1", "demo-2", "demo-3"}
        assert (await engine.open_document("demo-1", 1)).startswith(b"%PDF")
        await engine.stop()
        task.cancel()
        store.close()
    finally:
        stop(proc)
    proc, again = start_demo(tmp_path / "demo", port)  # a restart reuses what was published
    try:
        assert again["giin2"] == invitations["giin2"]  # unused: shown again, not piled up
        assert again["giin1"] != invitations["giin1"]  # used by the tablet: a fresh one
        cli = [
            sys.executable,
            "-m",
            "furano_meet.cli",
            "--data",
            str(tmp_path / "cli"),
            "--profile",
            "giin2",
        ]
        env = {**os.environ, "FURANO_MEET_PASSPHRASE": "correct horse battery staple"}

        def run(*args: str) -> str:
            done = subprocess.run(
                [*cli, *args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            return done.stdout

        assert "Enrolled device" in run("enrol", f"ws://127.0.0.1:{port}", again["giin2"])
        assert run("sync", "--until-documents", "3").count("document ready") == 3
        assert re.search(r"device key fingerprint: ([A-Z2-7]{4}-){7}[A-Z2-7]{4}", run("whoami"))
        listing = run("documents")
        assert "議案書" in listing and "demo-1 v1" in listing
        assert "【議案第1号】" in run("search", "議案第1号")
        wrong = subprocess.run(
            [*cli, "documents"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            env={**env, "FURANO_MEET_PASSPHRASE": "wrong"},
        )
        assert wrong.returncode == 1 and "passphrase" in wrong.stderr.lower()
        fingerprint = run("init-root").strip()  # this profile becomes an administrator's
        assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", fingerprint)
        again_root = subprocess.run(
            [*cli, "init-root"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert again_root.returncode == 1 and "already" in again_root.stderr
        refused = subprocess.run(
            [*cli, "wipe"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert refused.returncode == 1 and (tmp_path / "cli" / "profiles" / "giin2").exists()
        assert "wiped" in run("wipe", "--yes")
        profile = tmp_path / "cli" / "profiles" / "giin2"
        assert not profile.exists() or not any(profile.iterdir())
    finally:
        stop(proc)
