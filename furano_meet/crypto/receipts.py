"""Signed receipts: a member's device says "I verified and hold this version" (受領確認).

Theory of operation
-------------------
The clerk's office asks the relay who received which version (``list_receipts``). Before
protocol 1.5 a receipt was the relay's word: a hostile relay could report "councillor X has the
new version" when X's tablet never got it. Now the receiving device signs its receipt with its
own device key, after it has verified the document against the clerk's signed manifest::

    b"FMRC" [body, hybrid signature]      (see :mod:`.authority`)
    body = {"type": "furano-meet/receipt", "format": 1, "meeting_id", "document_id", "version",
            "ciphertext_sha256", "signer_device_id", "signed_at"}

* The purpose string ``furano-meet document receipt`` separates the signature's domain from
  every other signed object, so no annotation op or roster can pass as a receipt.
* ``ciphertext_sha256`` is the SHA-256 of the encrypted blob *as the clerk's signed manifest
  names it*, which the device checked while downloading. The clerk compares it with the
  manifest of the version it published: a receipt for other bytes is not a receipt of this
  version.
* Any certified device may sign a receipt (``signer_roles=None``); *whose* receipt it is
  comes from the signer's root-signed certificate (user and device), never from the relay's
  row. A verifier therefore checks the certificate's user against the user the row names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import canonical_json
from .authority import SignedKind, TrustAnchor, get_hex64, require_bounded, require_meeting
from .certificates import DeviceCertificate
from .errors import WrongContext
from .framing import Buffer
from .keys import DeviceKeys

PURPOSE = "furano-meet document receipt"
MAX_VERSION = 1_000_000  # the protocol's Version bound

KIND = SignedKind(
    magic=b"FMRC",
    purpose=PURPOSE,
    type="furano-meet/receipt",
    what="receipt",
    fields=frozenset({"meeting_id", "document_id", "version", "ciphertext_sha256"}),
    signer_roles=None,
    action="confirm receipts",
)


@dataclass(frozen=True)
class SignedReceipt:
    """A verified receipt. Only :func:`verify_receipt` should make these."""

    meeting_id: str
    document_id: str
    version: int
    ciphertext_sha256: str
    signer: DeviceCertificate = field(repr=False)
    """Who received it: the certificate's user and device."""
    signed_at: int


def sign_receipt(
    *,
    meeting_id: str,
    document_id: str,
    version: int,
    ciphertext_sha256: str,
    device_keys: DeviceKeys,
    signer: DeviceCertificate,
    signed_at: int | None = None,
) -> bytes:
    """Sign the receipt of a verified document version on the receiving device."""
    require_bounded(version, "document version", high=MAX_VERSION)
    content = {
        "meeting_id": meeting_id,
        "document_id": document_id,
        "version": version,
        "ciphertext_sha256": ciphertext_sha256,
    }
    return KIND.sign(content, device_keys, signer, signed_at)


def verify_receipt(
    receipt: Buffer,
    signer_cert: DeviceCertificate | Buffer,
    anchor: TrustAnchor,
    *,
    meeting_id: str,
    document_id: str,
    version: int,
) -> SignedReceipt:
    """Verify a receipt against its signer's certificate and the anchor, for the document
    version the relay's row names; raises a ``CryptoError`` (:class:`WrongContext` for a
    genuine receipt of another meeting, document or version — a replay)."""
    verified = KIND.verify(receipt, signer_cert, anchor)
    obj, what = verified.fields, KIND.what
    result = SignedReceipt(
        meeting_id=canonical_json.get_str(obj, "meeting_id", what),
        document_id=canonical_json.get_str(obj, "document_id", what),
        version=require_bounded(
            canonical_json.get_int(obj, "version", what), "document version", high=MAX_VERSION
        ),
        ciphertext_sha256=get_hex64(obj, "ciphertext_sha256", what),
        signer=verified.signer,
        signed_at=canonical_json.get_int(obj, "signed_at", what),
    )
    require_meeting(result.meeting_id, meeting_id, what)
    if (result.document_id, result.version) != (document_id, version):
        raise WrongContext(
            f"receipt is for {result.document_id!r} v{result.version},"
            f" expected {document_id!r} v{version}"
        )
    return result
