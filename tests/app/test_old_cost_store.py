"""The real app opening a store made at a lower scrypt cost, as after an update that raised it:
the meeting list shows, and the store ends at the current cost (docs/app.md, "Start-up").

The demo council and the councillor's device run in this process at the app tests' cheap cost
(``cheap_scrypt``, n=2^14); ``python -m furano_meet.app`` runs at the production cost, so to it
the store is an old one, to be moved at unlock (``furano_meet/store/rekey.py``). On purpose
*without* ``@pytest.mark.production_scrypt``: the cheap store is the point.

First this process keeps the store open, as a second program using the profile would. The move
re-encrypted the database under that program's feet, and the new pages stayed in a WAL its
connection kept from being copied into the file: the start-up check reads the file, found every
page "damaged", and the app showed that in a dialog instead of its meeting list (it never
printed a probe line). Now the move waits while another connection is open; alone, the app
makes it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pytestqt.qtbot import QtBot

from furano_meet.app.council import demo_council, enrolled_store
from furano_meet.demo import DEMO_PASSPHRASE
from furano_meet.store import LocalStore
from furano_meet.store.keysource import ScryptParams, read_record
from furano_meet.store.layout import ProfilePaths
from furano_meet.sync.account import Account
from tests.app.app_process import ProbedApp, app_processes
from tests.app.conftest import CHEAP_SCRYPT, quiet_pymupdf_garbage

PRODUCTION = ScryptParams()


def scrypt_of(paths: ProfilePaths) -> ScryptParams | None:
    record = read_record(paths.keysource)
    assert record is not None and not paths.keysource_pending.exists()
    return record.scrypt


async def shows_its_list(app: ProbedApp) -> None:
    await app.seen("meetings 1")
    assert await app.quit() == 0
    assert [line for _, line in app.lines if "notice" in line] == []  # nothing went wrong


async def test_an_app_opening_a_store_made_at_a_lower_cost_shows_its_list_and_moves_it(
    tmp_path: Path, qtbot: QtBot
) -> None:
    quiet_pymupdf_garbage()
    devices = tmp_path / "devices"
    paths = ProfilePaths.for_profile(devices, "giin1")
    async with demo_council(tmp_path / "demo") as council:
        other_program = await enrolled_store(council, devices, "giin1")
        assert scrypt_of(paths) == CHEAP_SCRYPT
        try:
            async with app_processes(devices, "giin1") as (app,):
                await shows_its_list(app)
            assert scrypt_of(paths) == CHEAP_SCRYPT  # not moved under another program's feet
            assert Account.load(other_program) is not None  # which still reads its store
        finally:
            await asyncio.to_thread(other_program.close)

        async with app_processes(devices, "giin1") as (app,):  # the store to itself
            await shows_its_list(app)
        assert scrypt_of(paths) == PRODUCTION

    def reopened() -> bool:
        with LocalStore.open(devices, "giin1", passphrase=DEMO_PASSPHRASE) as store:
            return Account.load(store) is not None

    assert await asyncio.to_thread(reopened)  # sound under the new key (start-up check included)
