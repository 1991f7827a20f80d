"""The package as a whole: the public API, its independence from Qt, and the full story of
the package docstring (enrol → certify → seal meeting key → publish → read → annotate)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from furano_meet import crypto
from furano_meet.crypto import (
    CryptoError,
    DeviceKeys,
    DocumentDecryptor,
    DocumentEncryptor,
    KeySubstitution,
    MeetingKey,
    OrgRootKey,
    PrivateAnnotationKey,
    build_manifest,
    decrypt_annotation,
    encrypt_annotation,
    issue_device_certificate,
    open_annotation_key,
    open_meeting_key,
    seal_annotation_key,
    seal_meeting_key,
    sign_manifest,
    verify_device_certificate,
    verify_manifest,
)


def test_all_names_are_exported() -> None:
    for name in crypto.__all__:
        assert hasattr(crypto, name), name
    assert issubclass(KeySubstitution, CryptoError)


def test_imports_without_qt() -> None:
    code = (
        "import sys\n"
        "for name in ('PySide6', 'PyQt5', 'PyQt6', 'qasync'): sys.modules[name] = None\n"
        "import furano_meet.crypto\n"
    )
    subprocess.run([sys.executable, "-X", "dev", "-W", "error", "-c", code], check=True)


def test_the_whole_story() -> None:
    # The admin sets up the organisation; the fingerprint goes into every enrolment code.
    root = OrgRootKey.generate()
    enrolment_code = {"org": "furano-city", "root": root.fingerprint()}

    def enrol(user: str, device: str, role: str) -> tuple[DeviceKeys, bytes]:
        keys = DeviceKeys.generate()  # on the new device
        bundle = keys.public_bundle().to_bytes()  # sent through the relay to the admin
        cert = issue_device_certificate(  # on the admin device
            root,
            org_id="furano-city",
            user_id=user,
            device_id=device,
            role=role,
            public_bundle=crypto.DevicePublicBundle.from_bytes(bundle),
        )
        return keys, cert

    clerk_keys, clerk_cert_bytes = enrol("clerk-sato", "sato-tablet", "clerk")
    tablet_keys, tablet_cert_bytes = enrol("cllr-suzuki", "suzuki-tablet", "member")
    laptop_keys, laptop_cert_bytes = enrol("cllr-suzuki", "suzuki-laptop", "member")

    def verified(cert_bytes: bytes) -> crypto.DeviceCertificate:
        return verify_device_certificate(
            cert_bytes, enrolment_code["root"], expected_org_id=enrolment_code["org"]
        )

    # The clerk creates a meeting and seals its key to every member device.
    meeting_key = MeetingKey.generate("plenary-2025-06")
    envelopes = {
        cert.device_id: seal_meeting_key(meeting_key, cert)
        for cert in map(verified, (clerk_cert_bytes, tablet_cert_bytes, laptop_cert_bytes))
    }

    # The clerk publishes the agenda pack.
    pdf = b"%PDF-1.7\n" + "議事日程 第1号\n".encode() * 50_000
    encryptor = DocumentEncryptor("agenda-pack", version=1)
    blob = b"".join(encryptor.encrypt(pdf))
    manifest = build_manifest(
        encryptor,
        meeting_key,
        title="議事日程",
        agenda_item="",
        page_count=3,
        publisher_device_id="sato-tablet",
    )
    sealed_manifest = crypto.seal_manifest(sign_manifest(manifest, clerk_keys), meeting_key)

    # Councillor Suzuki's tablet: open the meeting key, verify the manifest, read the pack.
    my_key = open_meeting_key(
        envelopes["suzuki-tablet"],
        tablet_keys,
        meeting_id="plenary-2025-06",
        device_id="suzuki-tablet",
    )
    signed = crypto.open_manifest(sealed_manifest, my_key, doc_id="agenda-pack", version=1)
    checked = verify_manifest(signed, verified(clerk_cert_bytes))
    decryptor = DocumentDecryptor.for_manifest(checked, my_key)
    pages = [p for i in range(0, len(blob), 65_536) for p in decryptor.feed(blob[i : i + 65_536])]
    pages += decryptor.finish()
    assert b"".join(pages) == pdf

    # Suzuki annotates privately on the tablet and reads the note on the laptop.
    private = PrivateAnnotationKey.generate("cllr-suzuki")
    key_envelope = seal_annotation_key(private, verified(laptop_cert_bytes))
    note = encrypt_annotation(
        "予算の根拠を確認".encode(), private, meeting_id="plenary-2025-06", annotation_id="n1"
    )
    on_laptop = open_annotation_key(
        key_envelope, laptop_keys, user_id="cllr-suzuki", device_id="suzuki-laptop"
    )
    text = decrypt_annotation(note, on_laptop, meeting_id="plenary-2025-06", annotation_id="n1")
    assert text.decode() == "予算の根拠を確認"

    # The meeting expires: the keys are destroyed (best effort; the store shreds its copy).
    meeting_key.destroy()
    my_key.destroy()
    with pytest.raises(crypto.UsageError):
        DocumentDecryptor.for_manifest(checked, my_key)
