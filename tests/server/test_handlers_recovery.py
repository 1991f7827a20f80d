"""Recovery boxes on the relay, without sockets: own certified devices only, newest wins."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from furano_meet.protocol import ErrorCode, RemoteProtocolError
from furano_meet.protocol import messages as m
from server.handlers import recovery
from server.state import Client

from .handler_world import World, ask, close_world, mailbox, open_world, refused


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = open_world(tmp_path)
    yield w
    close_world(w)


def certified(world: World, user_id: str) -> Client:
    client = world.connect(user_id)
    world.store.certify_device(client.who.device_id, b"certificate")
    return client


def put(version: int, box: bytes = b"sealed", user_id: str = "giin1") -> m.PutRecoveryBox:
    return m.PutRecoveryBox(rid=version, user_id=user_id, version=version, box=box)


async def test_the_newest_box_is_kept_and_handed_to_the_users_other_devices(
    world: World,
) -> None:
    tablet, laptop = certified(world, "giin1"), certified(world, "giin1")
    await ask(world, recovery.get_box, tablet, m.GetRecoveryBox(rid=1, user_id="giin1"))
    assert mailbox(tablet).only(m.RecoveryBox).version == 0  # none yet: version 0, no bytes
    await ask(world, recovery.put_box, tablet, put(1, b"first"))
    await ask(world, recovery.put_box, laptop, put(2, b"second"))
    assert mailbox(laptop).only(m.Done).rid == 2
    await ask(world, recovery.get_box, tablet, m.GetRecoveryBox(rid=3, user_id="giin1"))
    box = mailbox(tablet).take()[-1]
    assert isinstance(box, m.RecoveryBox) and (box.version, box.box) == (2, b"second")


async def test_an_older_or_equal_version_is_refused(world: World) -> None:
    tablet = certified(world, "giin1")
    await ask(world, recovery.put_box, tablet, put(5, b"newest"))
    assert await refused(world, recovery.put_box, tablet, put(5, b"same")) is ErrorCode.CONFLICT
    assert await refused(world, recovery.put_box, tablet, put(4, b"old")) is ErrorCode.CONFLICT
    assert world.store.recovery_box("giin1") == (5, b"newest")


async def test_another_users_device_or_an_uncertified_one_is_refused(world: World) -> None:
    owner, colleague = certified(world, "giin1"), certified(world, "giin2")
    uncertified = world.connect("giin1")
    await ask(world, recovery.put_box, owner, put(1, b"mine"))
    assert await refused(world, recovery.put_box, colleague, put(2)) is ErrorCode.FORBIDDEN
    get = m.GetRecoveryBox(rid=9, user_id="giin1")
    assert await refused(world, recovery.get_box, colleague, get) is ErrorCode.FORBIDDEN
    assert await refused(world, recovery.get_box, uncertified, get) is ErrorCode.FORBIDDEN
    assert await refused(world, recovery.put_box, uncertified, put(3)) is ErrorCode.FORBIDDEN
    assert world.store.recovery_box("giin1") == (1, b"mine")


async def test_a_box_over_the_size_cap_is_refused_by_the_codec(world: World) -> None:
    tablet = certified(world, "giin1")
    await ask(world, recovery.put_box, tablet, put(1, b"x" * m.MAX_RECOVERY_BOX))
    oversize = base64.b64encode(b"x" * (m.MAX_RECOVERY_BOX + 1)).decode()
    frame = json.dumps(
        {"v": 1, "type": "put_recovery_box", "rid": 2, "user_id": "giin1", "version": 2,
         "box": oversize}
    )  # fmt: skip
    with pytest.raises(RemoteProtocolError) as too_big:
        tablet.session.receive(frame)
    assert too_big.value.code is ErrorCode.INVALID_FIELD
    assert world.store.recovery_box("giin1")[0] == 1
