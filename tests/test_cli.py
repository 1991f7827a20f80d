"""``furano-meet`` as a person meets it: hints instead of tracebacks, and plain answers about
certification, against the real relay (a separate process on 127.0.0.1) and real stores."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from furano_meet.cli import build_parser, main
from furano_meet.commands import TransferProgress
from furano_meet.crypto import OrgRootKey
from furano_meet.store import LocalStore
from furano_meet.store.records import Visibility
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import DownloadProgress
from server.demo import MEETING_ID
from tests.e2e.council import note as sticky
from tests.e2e.relay_process import ROOT, RelayProcess, cli, seeded


@dataclass
class Council:
    relay: RelayProcess
    devices: Path
    fingerprint: str

    def run(self, profile: str, *args: str) -> int:
        return main(["--data", str(self.devices), "--profile", profile, *args])

    def invitation(self, user_id: str) -> str:
        return cli(self.relay.data_dir, "enrolment-code", user_id).strip()

    def enrol(self, profile: str, invitation: str, capsys: pytest.CaptureFixture[str]) -> Device:
        assert self.run(profile, "enrol", self.relay.url, invitation) == 0
        out = capsys.readouterr().out
        device = re.search(r"Enrolled device (\S+)", out)
        fingerprint = re.search(r"fingerprint is (\S+);", out)
        assert device and fingerprint, out
        return Device(device[1], fingerprint[1])


@dataclass
class Device:
    device_id: str
    fingerprint: str


@pytest.fixture
def council(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Council]:
    """The demo council's relay with a root fingerprint recorded, and no device enrolled."""
    relay = RelayProcess(seeded(tmp_path / "relay")).start()
    try:
        devices = tmp_path / "devices"
        assert main(["--data", str(devices), "--profile", "admin", "init-root"]) == 0
        fingerprint = capsys.readouterr().out.strip()
        cli(relay.data_dir, "set-root-fingerprint", "furano", fingerprint)
        yield Council(relay, devices, fingerprint)
    finally:
        relay.kill()


def without_client_extra(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``furano-meet`` where SQLCipher is not installed (``pip install .`` alone)."""
    code = (
        "import sys; sys.modules['sqlcipher3'] = None\n"
        "from furano_meet.cli import main\n"
        f"sys.exit(main({list(argv)!r}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_help_works_without_the_client_extra() -> None:
    done = without_client_extra("--help")
    assert done.returncode == 0, done.stderr
    assert "publish" in done.stdout


def test_a_missing_client_extra_is_a_one_line_hint() -> None:
    done = without_client_extra("--profile", "x", "whoami")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "sqlcipher3 is not installed" in done.stderr
    assert "pip install 'furano-meet[client]'" in done.stderr


def test_an_uncertified_device_says_it_waits_for_the_administrator(
    council: Council, capsys: pytest.CaptureFixture[str]
) -> None:
    tablet = council.enrol("giin1", council.invitation("giin1"), capsys)
    assert council.run("giin1", "sync", "--once") == 0
    out = capsys.readouterr().out
    waiting = (
        f"waiting for the administrator to certify this device (fingerprint {tablet.fingerprint})"
    )
    assert waiting in out
    assert "Up to date." not in out
    assert council.run("giin1", "whoami") == 0
    assert f"certificate: {waiting}" in capsys.readouterr().out

    assert council.run("giin1", "sync", "--until-documents", "1", "--timeout", "2") == 1
    err = capsys.readouterr().err
    assert f"Timed out {waiting}" in err
    assert "Timed out waiting for the relay" not in err


def test_a_wrong_root_fingerprint_is_named_at_the_first_certificate(
    council: Council, capsys: pytest.CaptureFixture[str]
) -> None:
    code = council.invitation("giin1").split("/")[0]
    wrong = OrgRootKey.generate().fingerprint()
    tablet = council.enrol("giin1", f"{code}/{wrong}", capsys)
    admin = council.enrol("admin", council.invitation("admin"), capsys)
    assert council.run("admin", "certify", admin.device_id, admin.fingerprint) == 0
    assert council.run("admin", "whoami") == 0
    assert "certificate: certified by the organisation" in capsys.readouterr().out
    assert council.run("admin", "certify", tablet.device_id, tablet.fingerprint) == 0
    capsys.readouterr()

    assert council.run("giin1", "sync", "--once") == 1
    err = capsys.readouterr().err
    assert f"is not the one the invitation names ({wrong})" in err
    assert "new invitation" in err
    assert "Traceback" not in err


def test_an_administrator_enrolling_with_another_root_keeps_the_code(
    council: Council, capsys: pytest.CaptureFixture[str]
) -> None:
    code = council.invitation("admin").split("/")[0]
    wrong = OrgRootKey.generate().fingerprint()
    assert council.run("admin", "enrol", council.relay.url, f"{code}/{wrong}") == 1
    err = capsys.readouterr().err
    assert f"({council.fingerprint}) is not the one the invitation names ({wrong})" in err
    council.enrol("admin", f"{code}/{council.fingerprint}", capsys)  # the code was not spent


def test_certify_with_a_malformed_fingerprint_says_what_a_fingerprint_is(
    council: Council, capsys: pytest.CaptureFixture[str]
) -> None:
    council.enrol("admin", council.invitation("admin"), capsys)
    assert council.run("admin", "certify", "dev-0000", "AAAA-BBBB") == 1
    err = capsys.readouterr().err
    assert "a fingerprint has 32 characters" in err
    assert "Traceback" not in err


def test_publish_names_a_missing_file_and_a_meeting_it_cannot_see(
    council: Council, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    admin = council.enrol("admin", council.invitation("admin"), capsys)
    assert council.run("admin", "certify", admin.device_id, admin.fingerprint) == 0
    assert council.run("admin", "publish", MEETING_ID, str(tmp_path / "nope.pdf")) == 1
    assert "Cannot read" in capsys.readouterr().err
    (tmp_path / "pack.pdf").write_bytes(b"%PDF-1.7")
    assert council.run("admin", "publish", MEETING_ID, str(tmp_path / "pack.pdf")) == 1
    err = capsys.readouterr().err
    assert f"not a member of a meeting {MEETING_ID!r}" in err


def test_wipe_revokes_the_device_on_the_relay_when_it_can(
    council: Council, capsys: pytest.CaptureFixture[str]
) -> None:
    tablet = council.enrol("giin1", council.invitation("giin1"), capsys)
    assert council.run("giin1", "wipe", "--yes") == 0
    out = capsys.readouterr().out
    assert f"Device {tablet.device_id} was revoked on the relay" in out
    assert "new invitation" in out
    assert not (council.devices / "profiles" / "giin1" / "cache.db").exists()
    rows = [
        r.split("\t")
        for r in cli(council.relay.data_dir, "list-devices", "--user", "giin1").splitlines()
    ]
    (row,) = [r for r in rows if r[0] == tablet.device_id]
    assert row[4], "revoked_at is set"


def test_wipe_offline_tells_the_user_which_device_to_have_revoked(
    council: Council, capsys: pytest.CaptureFixture[str]
) -> None:
    tablet = council.enrol("giin1", council.invitation("giin1"), capsys)
    council.relay.kill()
    assert council.run("giin1", "wipe", "--yes") == 0
    captured = capsys.readouterr()
    assert f"furano-relay revoke-device {tablet.device_id}" in captured.out
    assert "Could not revoke this device on the relay" in captured.err
    assert "new invitation" in captured.out
    assert not (council.devices / "profiles" / "giin1" / "cache.db").exists()


def test_download_progress_prints_each_quarter_once() -> None:
    lines: list[str] = []
    progress = TransferProgress(lines.append, tty=False)
    for received in (0, 10, 30, 40, 60, 99, 100):
        progress(DownloadProgress("m", "doc", 1, received * 10_000, 1_000_000))
    shown = [line.split(":")[1].split("%")[0].strip() for line in lines]
    assert shown == ["0", "30", "60", "99", "100"]


def test_publish_waits_for_the_certificate_and_says_so(
    council: Council, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clerk = council.enrol("jimukyoku", council.invitation("jimukyoku"), capsys)
    (tmp_path / "pack.pdf").write_bytes(b"%PDF-1.7")
    args = ("publish", MEETING_ID, str(tmp_path / "pack.pdf"), "--timeout", "1")
    assert council.run("jimukyoku", *args) == 1
    captured = capsys.readouterr()
    waiting = (
        f"waiting for the administrator to certify this device (fingerprint {clerk.fingerprint})"
    )
    assert f"This device is {waiting}." in captured.out
    assert f"Timed out {waiting}." in captured.err


def test_sync_once_is_not_up_to_date_while_changes_wait_to_be_sent(
    council: Council, capsys: pytest.CaptureFixture[str]
) -> None:
    tablet = council.enrol("giin1", council.invitation("giin1"), capsys)
    admin = council.enrol("admin", council.invitation("admin"), capsys)
    assert council.run("admin", "certify", admin.device_id, admin.fingerprint) == 0
    assert council.run("admin", "certify", tablet.device_id, tablet.fingerprint) == 0
    assert council.run("giin1", "sync", "--once") == 0  # the meeting is known, no key yet
    assert "Up to date." in capsys.readouterr().out

    async def note_offline() -> None:  # written while offline: a shared note needs the key
        with LocalStore.open(council.devices, "giin1") as store:
            engine = SyncEngine(store)
            await engine.add_annotation(
                MEETING_ID, "doc-1", 1, 1, sticky("要確認"), visibility=Visibility.SHARED
            )

    asyncio.run(note_offline())
    assert council.run("giin1", "sync", "--once", "--timeout", "3") == 1
    captured = capsys.readouterr()
    assert "Sending 1 change(s)" in captured.out and "Up to date." not in captured.out
    assert "Timed out with 1 change(s) not yet sent to the relay." in captured.err


def test_publish_takes_an_agenda_position_and_refuses_a_negative_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["publish", MEETING_ID, "pack.pdf", "--agenda-item", "議案第3号", "--position", "3"]
    )
    assert (args.agenda_item, args.position) == ("議案第3号", 3)
    assert parser.parse_args(["publish", MEETING_ID, "pack.pdf"]).position is None
    for bad in ("-1", "三"):
        with pytest.raises(SystemExit) as exited:
            parser.parse_args(["publish", MEETING_ID, "pack.pdf", "--position", bad])
        assert exited.value.code == 2
        assert "is not a position" in capsys.readouterr().err
