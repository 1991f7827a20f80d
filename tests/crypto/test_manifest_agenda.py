"""The clerk-signed agenda position: optional, signed, invisible in manifests that lack it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from furano_meet.crypto import framing
from furano_meet.crypto.errors import BadSignature, MalformedData, UsageError
from furano_meet.crypto.manifest import (
    DocumentManifest,
    build_manifest,
    sign_manifest,
    verify_manifest,
)
from furano_meet.crypto.meeting_keys import MeetingKey
from furano_meet.crypto.stream import DocumentEncryptor

from .conftest import Org

CLERK = "sato-tablet"


def _manifest(doc: tuple[DocumentEncryptor, bytes], position: int | None) -> DocumentManifest:
    return build_manifest(
        doc[0],
        MeetingKey.generate("plenary", epoch=1),
        title="補正予算説明資料",
        agenda_item="議案第3号",
        page_count=6,
        publisher_device_id=CLERK,
        created_at=1_760_000_000,
        agenda_position=position,
    )


def test_a_position_is_signed_and_read_back(org: Org, doc: tuple[DocumentEncryptor, bytes]) -> None:
    manifest = _manifest(doc, 3)
    signed = sign_manifest(manifest, org.devices[CLERK].keys)
    verified = verify_manifest(signed, org.devices[CLERK].cert)
    assert (verified.agenda_item, verified.agenda_position) == ("議案第3号", 3)
    body, signature = framing.decode(signed, b"FMMF", 2, "m")
    moved = replace(manifest, agenda_position=1).to_json_bytes()
    with pytest.raises(BadSignature):  # a relay (or anyone) moving the item is caught
        verify_manifest(framing.encode(b"FMMF", moved, signature), org.devices[CLERK].cert)
    dropped = replace(manifest, agenda_position=None).to_json_bytes()
    with pytest.raises(BadSignature):  # ... and so is one dropping the position
        verify_manifest(framing.encode(b"FMMF", dropped, signature), org.devices[CLERK].cert)
    assert json.loads(body)["agenda_position"] == 3


def test_a_manifest_without_a_position_is_what_older_builds_wrote(
    org: Org, doc: tuple[DocumentEncryptor, bytes]
) -> None:
    manifest = _manifest(doc, None)
    raw = manifest.to_json_bytes()
    assert "agenda_position" not in json.loads(raw)  # same keys (and bytes) as before
    signed = sign_manifest(manifest, org.devices[CLERK].keys)
    assert verify_manifest(signed, org.devices[CLERK].cert).agenda_position is None


@pytest.mark.parametrize("bad", [-1, "1", True, None, 1.5])
def test_a_malformed_position_is_refused(doc: tuple[DocumentEncryptor, bytes], bad: object) -> None:
    obj = json.loads(_manifest(doc, 2).to_json_bytes())
    obj["agenda_position"] = bad
    raw = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with pytest.raises(MalformedData):
        DocumentManifest.from_json_bytes(raw.encode())


def test_the_clerk_cannot_sign_a_negative_position(doc: tuple[DocumentEncryptor, bytes]) -> None:
    with pytest.raises(UsageError):
        _manifest(doc, -2)
