"""What one connection or device may hold in flight, and guesses at enrolment codes — no sockets."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.protocol import messages as m
from furano_meet.protocol.session import Phase
from server.demo import MEETING_ID
from server.handlers import documents, session, uploads
from server.state import Client
from server.store import plausible_code

from .handler_world import World, ask, close_world, mailbox, open_world, publish, refused

DATA = b"ciphertext " * 300


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(
        tmp_path,
        max_downloads_per_connection=3,
        max_downloads_per_device=5,
        max_uploads_per_connection=2,
        max_uploads_per_device=3,
        enrol_attempts_per_connection=3,
        enrol_attempts_per_address=5,
        min_free_bytes=0,
        max_document=2**50,
    )
    yield w
    close_world(w)


def second_connection(world: World, first: Client) -> Client:
    """Another connection of the same device."""
    other = world.anonymous()
    other.session.phase = Phase.READY
    world.state.admit(other, first.who)
    return other


def download(rid: int) -> m.BeginDownload:
    return m.BeginDownload(rid=rid, meeting_id=MEETING_ID, document_id="gian-12", version=1)


async def test_downloads_in_flight_are_capped_per_connection_and_per_device(world: World) -> None:
    await publish(world, world.connect("jimukyoku"), DATA)
    member = world.connect("giin1")
    for rid in range(1, 4):
        await ask(world, documents.begin_download, member, download(rid))
    assert await refused(world, documents.begin_download, member, download(4)) == "rate_limited"
    assert len(mailbox(member).streams) == 3  # the refused one holds nothing
    other = second_connection(world, member)
    for rid in range(5, 7):
        await ask(world, documents.begin_download, other, download(rid))
    assert await refused(world, documents.begin_download, other, download(7)) == "rate_limited"
    mailbox(member).close_streams()  # finished or cancelled: room again
    await ask(world, documents.begin_download, other, download(8))
    assert len(mailbox(other).streams) == 3


def begin(document_id: str, size: int) -> m.BeginUpload:
    return m.BeginUpload(
        rid=1,
        meeting_id=MEETING_ID,
        document_id=document_id,
        version=1,
        size=size,
        sha256=hashlib.sha256(document_id.encode()).hexdigest(),
        manifest=b"m",
    )


async def test_uploads_in_flight_are_capped_per_connection(world: World) -> None:
    clerk = world.connect("jimukyoku")
    for name in ("a", "b"):
        await ask(world, uploads.begin_upload, clerk, begin(name, 100))
        mailbox(clerk).only(m.UploadReady)
    assert await refused(world, uploads.begin_upload, clerk, begin("c", 100)) == "rate_limited"
    await ask(world, uploads.begin_upload, clerk, begin("a", 100))  # resuming is not one more
    assert isinstance(mailbox(clerk).only(m.UploadReady), m.UploadReady)


async def test_an_upload_the_disk_cannot_hold_besides_the_others_is_refused_up_front(
    world: World,
) -> None:
    free = shutil.disk_usage(world.state.blobs.uploads).free
    clerk = world.connect("jimukyoku")
    await ask(world, uploads.begin_upload, clerk, begin("first", free * 6 // 10))
    mailbox(clerk).only(m.UploadReady)
    with pytest.raises(OSError, match="not enough free space"):  # the pump: storage_unavailable
        await ask(world, uploads.begin_upload, clerk, begin("second", free * 6 // 10))
    assert len(world.state.uploading) == 1  # the refused upload holds no claim and no file
    assert len(list(world.state.blobs.uploads.glob("*.part"))) == 1


async def test_wrong_enrolment_codes_close_the_connection_then_the_address_waits(
    world: World,
) -> None:
    def attempt(client: Client, code: str) -> m.Enrol:
        return m.Enrol(rid=9, code=code, device_name="guess", public_keys=b"k")

    guesser = world.anonymous()
    guesser.address = "192.0.2.7"
    await ask(world, session.hello, guesser, m.Hello(rid=1, major=1, minor=2))
    for code in ("WRONG-WRONG", "ABCD-EFGH-JKMN-PQRS", "too short"):
        wrong = attempt(guesser, code)
        assert await refused(world, session.enrol, guesser, wrong) == "enrolment_code_invalid"
    failed = mailbox(guesser).take()[-1]
    assert isinstance(failed, m.Failed) and failed.fatal  # the third: told, then closed
    assert mailbox(guesser).closed == (1008, "too many wrong enrolment codes")

    again = world.anonymous()
    again.address = "192.0.2.7"
    await ask(world, session.hello, again, m.Hello(rid=1, major=1, minor=2))
    for _ in range(2):
        await refused(world, session.enrol, again, attempt(again, "ZZZZ-ZZZZ-ZZZZ-ZZZZ"))
    good = world.store.issue_enrolment_code("giin1")
    code = await refused(world, session.enrol, again, attempt(again, good))
    assert code == "rate_limited"  # five wrong from this address: even a good code waits

    elsewhere = world.anonymous()
    elsewhere.address = "198.51.100.1"
    await ask(world, session.hello, elsewhere, m.Hello(rid=1, major=1, minor=2))
    await ask(world, session.enrol, elsewhere, attempt(elsewhere, good))
    assert elsewhere.identity is not None and elsewhere.identity.user_id == "giin1"


def test_only_codes_of_the_issued_shape_reach_the_database() -> None:
    assert plausible_code("abcd-efgh-jkmn-pqrs")  # typed in lower case, with hyphens
    assert plausible_code("ABCD EFGH JKMN PQR2")
    for bad in ("ABCD-EFGH", "ABCD-EFGH-JKMN-PQRS-TVWX", "ABCD-EFGH-JKMN-PQR0", "ＡＢＣＤ" * 4):
        assert not plausible_code(bad), bad
