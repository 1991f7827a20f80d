"""Shared fixtures: one organisation with a few enrolled devices (keys are made once per run).

Key generation is cheap (a few ms for ML-DSA-65) but there is no reason to repeat it in every
test; the keys are immutable, so sharing them across tests cannot couple the tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest

from furano_meet.crypto import (
    ContentKey,
    DeviceCertificate,
    DeviceKeys,
    DocumentDecryptor,
    DocumentEncryptor,
    OrgRootKey,
    issue_device_certificate,
    verify_device_certificate,
)
from furano_meet.crypto.stream import encode_header

ORG_ID = "furano-city"


@dataclass
class Device:
    """An enrolled device as its owner sees it: private keys plus its verified certificate."""

    keys: DeviceKeys
    cert: DeviceCertificate
    cert_bytes: bytes

    @property
    def device_id(self) -> str:
        return self.cert.device_id


@dataclass
class Org:
    """An organisation root and a registry of enrolled devices by name."""

    root: OrgRootKey
    devices: dict[str, Device] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return self.root.fingerprint()

    def enrol(self, user_id: str, device_id: str, role: str) -> Device:
        keys = DeviceKeys.generate()
        cert_bytes = issue_device_certificate(
            self.root,
            org_id=ORG_ID,
            user_id=user_id,
            device_id=device_id,
            role=role,
            public_bundle=keys.public_bundle(),
            issued_at=1_760_000_000,
        )
        device = Device(keys, verify_device_certificate(cert_bytes, self.fingerprint), cert_bytes)
        self.devices[device_id] = device
        return device


@pytest.fixture(scope="session")
def org() -> Org:
    """Furano city: a clerk with a tablet, a second clerk, and councillors with devices."""
    org = Org(OrgRootKey.generate())
    org.enrol("clerk-sato", "sato-tablet", "clerk")
    org.enrol("clerk-ito", "ito-tablet", "clerk")
    org.enrol("cllr-suzuki", "suzuki-tablet", "member")
    org.enrol("cllr-suzuki", "suzuki-laptop", "member")
    org.enrol("cllr-tanaka", "tanaka-tablet", "member")
    return org


@pytest.fixture(scope="session")
def other_org() -> Org:
    """A second organisation — or a relay pretending to be the first one."""
    org = Org(OrgRootKey.generate())
    org.enrol("clerk-sato", "sato-tablet", "clerk")
    return org


# --- document blobs (shared by test_stream, test_decryptor and test_manifest) --------------

CHUNK = 1024  # small chunks so a few KiB give many records
TAG = 16
PLAINTEXT = os.urandom(5 * CHUNK + 300)  # 6 records: 5 full, last with 300 bytes


def encrypt(
    plaintext: bytes | Iterable[bytes | bytearray],
    doc_id: str = "budget-2025",
    version: int = 1,
    chunk_size: int = CHUNK,
    key: ContentKey | None = None,
) -> tuple[DocumentEncryptor, bytes]:
    enc = DocumentEncryptor(doc_id, version, chunk_size=chunk_size)
    if key is not None:  # only to model an insider who re-uses a key they unwrapped
        enc._content_key = key
    return enc, b"".join(enc.encrypt(plaintext))


def decrypt(
    blob: bytes, key: ContentKey, doc_id: str = "budget-2025", version: int = 1, piece: int = 700
) -> bytes:
    dec = DocumentDecryptor(key, doc_id, version)
    out: list[bytes] = []
    for i in range(0, len(blob), piece):
        out += dec.feed(blob[i : i + piece])
    out += dec.finish()
    return b"".join(out)


def split(blob: bytes, chunk_size: int = CHUNK) -> tuple[bytes, list[bytes]]:
    """(header, records) — every record is full size except the last."""
    header_len = len(encode_header(chunk_size))
    body = blob[header_len:]
    size = chunk_size + TAG
    records = [body[i : i + size] for i in range(0, len(body), size)]
    if len(records[-1]) == size:  # exact multiple: the empty last record is the final 16 bytes
        records.append(b"")
    return blob[:header_len], records


@pytest.fixture(scope="module")
def doc() -> tuple[DocumentEncryptor, bytes]:
    return encrypt(PLAINTEXT)
