"""End-to-end encryption for Furano Meet (Qt-free; depends only on ``cryptography``).

Theory of operation
-------------------
The relay stores and forwards only ciphertext, public keys and signed metadata. Trust comes
from one thing the relay cannot touch: the **root fingerprint** printed in each enrolment code.

1. **Organisation root.** An admin device creates an :class:`OrgRootKey` (hybrid Ed25519 +
   ML-DSA-65). Its fingerprint goes into every enrolment code.
2. **Devices.** At enrolment each device creates :class:`DeviceKeys`: an HPKE key pair
   (ML-KEM-768 + X25519) to receive keys and a hybrid signing key pair. The admin certifies
   the public bundle (:func:`issue_device_certificate`); every client checks certificates with
   :func:`verify_device_certificate` against the root fingerprint, so a relay that substitutes
   keys is detected (:class:`KeySubstitution` / :class:`BadSignature`).
3. **Meetings.** Each meeting has a random 32-byte :class:`MeetingKey` per epoch, sealed to
   every member device with HPKE (:func:`seal_meeting_key`); the envelope is bound to the
   meeting, the recipient device and the epoch.
4. **Documents.** Each document version is encrypted in 256 KiB AES-256-GCM chunks under a
   fresh single-use content key (:class:`DocumentEncryptor` / :class:`DocumentDecryptor`,
   :mod:`.stream` / :mod:`.decryptor`). The content key is wrapped under the meeting key inside a
   :class:`DocumentManifest` (:mod:`.manifest`) that the clerk's device signs
   (:func:`sign_manifest` / :func:`verify_manifest`) and may seal under the meeting key so the
   relay cannot read titles (:func:`seal_manifest`).
5. **Annotations.** Each op is encrypted with the meeting key (shared) or the author's
   :class:`PrivateAnnotationKey` (private; held only by the author's devices).

Every signature, envelope, key and blob names its suite (:mod:`.suites`), and every failure is
a :class:`CryptoError` with a stable ``code`` (:mod:`.errors`). ``docs/security.md`` explains
the threat model in plain words.
"""

from __future__ import annotations

from .annotations import (
    PrivateAnnotationKey,
    Visibility,
    decrypt_annotation,
    encrypt_annotation,
    open_annotation_key,
    read_annotation_header,
    seal_annotation_key,
)
from .certificates import DeviceCertificate, issue_device_certificate, verify_device_certificate
from .decryptor import DocumentDecryptor
from .envelopes import EnvelopeContext, RecipientKey, RecipientPublicKey
from .errors import (
    BadSignature,
    CryptoError,
    Fault,
    KeySubstitution,
    MalformedData,
    TamperedData,
    TruncatedData,
    UnauthorisedSigner,
    UnknownSuite,
    UsageError,
    WrongContext,
)
from .keys import (
    DeviceKeys,
    DevicePublicBundle,
    OrgRootKey,
    fingerprint,
    normalise_fingerprint,
    trusted_root_key,
)
from .manifest import (
    PUBLISHER_ROLES,
    DocumentManifest,
    build_manifest,
    open_manifest,
    read_manifest_unverified,
    read_sealed_manifest_header,
    seal_manifest,
    sign_manifest,
    unwrap_content_key,
    verify_manifest,
)
from .meeting_keys import MeetingKey, open_meeting_key, seal_meeting_key
from .signing import SigningKey, VerifyKey
from .stream import DEFAULT_CHUNK_SIZE, ContentKey, DocumentEncryptor, EncryptionResult, blob_size
from .suites import CURRENT, REGISTRY, SuiteKind, require_suite

__all__ = [
    "CURRENT",
    "DEFAULT_CHUNK_SIZE",
    "PUBLISHER_ROLES",
    "REGISTRY",
    "BadSignature",
    "ContentKey",
    "CryptoError",
    "DeviceCertificate",
    "DeviceKeys",
    "DevicePublicBundle",
    "DocumentDecryptor",
    "DocumentEncryptor",
    "DocumentManifest",
    "EncryptionResult",
    "EnvelopeContext",
    "Fault",
    "KeySubstitution",
    "MalformedData",
    "MeetingKey",
    "OrgRootKey",
    "PrivateAnnotationKey",
    "RecipientKey",
    "RecipientPublicKey",
    "SigningKey",
    "SuiteKind",
    "TamperedData",
    "TruncatedData",
    "UnauthorisedSigner",
    "UnknownSuite",
    "UsageError",
    "VerifyKey",
    "Visibility",
    "WrongContext",
    "blob_size",
    "build_manifest",
    "decrypt_annotation",
    "encrypt_annotation",
    "fingerprint",
    "issue_device_certificate",
    "normalise_fingerprint",
    "open_annotation_key",
    "open_manifest",
    "open_meeting_key",
    "read_annotation_header",
    "read_manifest_unverified",
    "read_sealed_manifest_header",
    "require_suite",
    "seal_annotation_key",
    "seal_manifest",
    "seal_meeting_key",
    "sign_manifest",
    "trusted_root_key",
    "unwrap_content_key",
    "verify_device_certificate",
    "verify_manifest",
]
