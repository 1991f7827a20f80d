"""``furano-relay`` admin commands as an administrator mistypes them: every mistake is named,
nothing prints a traceback or a raw SQLite message, and a mistyped ``--data`` creates nothing."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.crypto import OrgRootKey
from server.cli import bind_failure, main
from tests.e2e.relay_process import ROOT


def relay(data: Path, *args: str) -> int:
    return main(["--data", str(data), *args])


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A relay with organisation furano, user giin1 and meeting r8-4."""
    path = tmp_path / "relay"
    assert relay(path, "create-org", "furano", "富良野市") == 0
    assert relay(path, "add-user", "furano", "giin1", "委員 北野") == 0
    assert relay(path, "create-meeting", "furano", "r8-4", "総務文教委員会") == 0
    return path


def failure(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run ``args``; it must fail with a message and without SQLite's or Python's own words."""
    assert main(list(args)) == 1
    err = capsys.readouterr().err
    for raw in ("Traceback", "constraint failed", "IntegrityError", "sqlite3"):
        assert raw not in err
    return err


def test_commands_other_than_create_org_refuse_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "relay-dta"
    err = failure(capsys, "--data", str(typo), "add-user", "furano", "giin1", "北野")
    assert f"There is no relay database in {typo}" in err
    assert "create-org" in err
    assert not typo.exists()


def test_duplicates_and_missing_names_are_named(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data", str(data)]
    assert "organisation 'furano' already exists" in failure(
        capsys, *d, "create-org", "furano", "x"
    )
    assert "user 'giin1' already exists" in failure(capsys, *d, "add-user", "furano", "giin1", "x")
    assert "no organisation 'sapporo'" in failure(capsys, *d, "add-user", "sapporo", "g2", "x")
    assert "meeting 'r8-4' already exists" in failure(
        capsys, *d, "create-meeting", "furano", "r8-4", "x"
    )
    assert "no organisation 'sapporo'" in failure(capsys, *d, "create-meeting", "sapporo", "m", "x")
    assert "no user 'giin9'" in failure(capsys, *d, "set-members", "r8-4", "giin1", "giin9")
    assert "no meeting 'r9-1'" in failure(capsys, *d, "set-members", "r9-1", "giin1")
    assert "no user 'giin9'" in failure(capsys, *d, "enrolment-code", "giin9")
    assert "no device 'dev-1'" in failure(capsys, *d, "revoke-device", "dev-1")
    fingerprint = OrgRootKey.generate().fingerprint()
    assert "no organisation 'sapporo'" in failure(
        capsys, *d, "set-root-fingerprint", "sapporo", fingerprint
    )


def test_dates_and_fingerprints_are_checked(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--data", str(data)]
    err = failure(capsys, *d, "create-meeting", "furano", "m2", "x", "--expires-at", "tomorrow")
    assert "--expires-at 'tomorrow' is not a date" in err
    assert "2027-03-31" in err
    for good in ("2027-03-31", "2027-03-31T17:00:00+09:00"):
        assert (
            relay(data, "create-meeting", "furano", f"m-{good[-5:]}", "x", "--expires-at", good)
            == 0
        )
    err = failure(capsys, *d, "set-root-fingerprint", "furano", "AAAA-BBBB")
    assert "'AAAA-BBBB' is not a root key fingerprint" in err


def test_data_may_follow_the_subcommand(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add-user", "furano", "giin2", "委員 東山", "--data", str(data)]) == 0
    assert main(["enrolment-code", "giin2", "--data", str(data)]) == 0
    assert len(capsys.readouterr().out.strip()) == 19  # XXXX-XXXX-XXXX-XXXX


def test_a_directory_the_relay_cannot_write_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    err = failure(capsys, "--data", str(blocker / "relay"), "create-org", "furano", "富良野市")
    assert f"in {blocker / 'relay'}" in err
    assert "may read and write it" in err


@pytest.fixture
def read_only(data: Path, tmp_path: Path) -> Iterator[Path]:
    """The relay's data directory, made read-only: by permissions, or for root (who ignores
    them) by copying it onto a small tmpfs mounted read-only."""
    if os.name != "posix":
        pytest.skip("POSIX permissions and mounts")
    if os.geteuid() != 0:
        data.chmod(0o555)
        try:
            yield data
        finally:
            data.chmod(0o755)
        return
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        shutil.copytree(data, disk / "relay")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        yield disk / "relay"
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_read_only_data_directory_is_named(
    read_only: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = failure(capsys, "--data", str(read_only), "add-user", "furano", "giin2", "x")
    assert f"data directory {read_only} is read-only or not writable by this user" in err
    assert "service user" in err


def test_a_port_in_use_is_reported_as_a_bind_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "server", "serve", "--data", str(tmp_path), "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}: another program" in done.stderr
    assert "read-only" not in done.stderr and "Traceback" not in done.stderr


def test_a_low_port_without_privilege_says_how_to_bind_it() -> None:
    """The wording asyncio gives a non-root ``--port 443`` (this machine's tests may run as
    root, where the real bind succeeds)."""
    refused = OSError(
        errno.EACCES,
        "error while attempting to bind on address ('0.0.0.0', 443): permission denied",
    )
    found = bind_failure(refused, "0.0.0.0", 443)
    assert found is not None and found.code == "bind_failed"
    assert "CAP_NET_BIND_SERVICE" in found.next_step and "reverse proxy" in found.next_step
    assert bind_failure(OSError(errno.EACCES, "Permission denied: 'relay'"), "h", 443) is None


def test_the_relay_demo_without_the_client_extra_is_a_hint(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['sqlcipher3'] = None\n"
        "from server.cli import main\n"
        f"sys.exit(main(['--data', {str(tmp_path)!r}, 'demo']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "pip install 'furano-meet[client]'" in done.stderr
    assert "Traceback" not in done.stderr
