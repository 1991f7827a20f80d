"""Signed rosters: who is a member of a meeting, decided on the clerk's device, not the relay.

Theory of operation
-------------------
Clients seal every meeting key to the devices that may read the meeting. Before this module
the list came from the relay (``meeting_joined``, ``key_needed``), so a relay together with
any certified device of the organisation — a councillor of another committee — could get a
closed session's keys. Now membership is a roster signed by a clerk's or admin's device::

    b"FMRO" [body, hybrid signature]      (see :mod:`.authority`)
    body = {"type": "furano-meet/roster", "format": 1, "meeting_id", "version",
            "members" (sorted user ids), "note_editors" (sorted roles),
            "signer_device_id", "signed_at"[, "export": false]}

* **Members are users, not devices.** A device qualifies (:func:`qualifies`) when its
  root-signed certificate binds it to a user on the roster, in the roster's organisation. So
  a councillor's new tablet needs a certificate, not a new roster.
* **Versions only grow** (1..2^31-1). A device keeps the newest roster it accepted per
  meeting and refuses an older one (:class:`~.authority.StaleObject` — the relay replaying
  the roster from before a member was removed) or a different one with the same version
  (:class:`~.authority.Equivocation`).
* **note_editors** is the meeting's policy for *shared* notes: the roles (e.g. ``chair``,
  ``clerk``) whose members may edit or delete another member's shared note. Private notes are
  only ever their author's (:mod:`.signed_ops`).
* **export** is the meeting's rule for members' own copies (issue #9): ``false`` forbids
  saving an annotated copy (「書き込み入りで保存」), e.g. for a closed session (秘密会). The
  field is written only when export is forbidden; a roster without it — every roster signed
  before this field existed — allows export. Being inside the signed body, the relay can
  neither strip nor flip it (the signature fails), nor bring back an older roster that allowed
  it (:class:`~.authority.StaleObject`). It can only withhold a new roster, as it can any
  message: the device then keeps the rule of the newest roster it holds. Older builds refuse a
  roster carrying the field (an unexpected field) and keep their previous roster; the clerk's
  device seals keys from its own roster, so membership is unaffected for them.
* **committee** (会議体, issue #9, optional) is the name of the body that meets, e.g.
  「総務文教委員会」: the relay's meeting record has only a title, so without it an app can
  only guess the committee from the title. Written only when the clerk sets one (1..200
  characters); inside the signed body, so the relay can neither change nor strip it. Like
  ``export``, older builds refuse a roster carrying it and keep the one they hold.
* :func:`roster_hash` (over the canonical body, not the signature: ML-DSA signatures are
  randomised, the roster is not) is what an epoch record (:mod:`.epochs`) commits to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import canonical_json, framing
from .authority import (
    ALL_ROLES,
    KEY_AUTHORITY_ROLES,
    SignedKind,
    TrustAnchor,
    require_bounded,
    require_meeting,
    require_monotonic,
    sha256_hex,
)
from .certificates import DeviceCertificate
from .errors import MalformedData, UsageError
from .framing import Buffer
from .keys import DeviceKeys

PURPOSE = "furano-meet meeting roster"
_HASH_MAGIC = b"FMrh"
MAX_MEMBERS = 10_000
_EXPORT = "export"
_COMMITTEE = "committee"
MAX_COMMITTEE = 200

KIND = SignedKind(
    magic=b"FMRO",
    purpose=PURPOSE,
    type="furano-meet/roster",
    what="roster",
    fields=frozenset({"meeting_id", "version", "members", "note_editors"}),
    signer_roles=KEY_AUTHORITY_ROLES,
    action="sign meeting rosters",
    optional=frozenset({_EXPORT, _COMMITTEE}),
)


@dataclass(frozen=True)
class Roster:
    """A verified roster. Only :func:`verify_roster` should make these."""

    meeting_id: str
    version: int
    members: frozenset[str]
    note_editors: frozenset[str]
    #: Whether members may save an annotated copy (absent from the body: yes).
    export_allowed: bool
    signer: DeviceCertificate = field(repr=False)
    signed_at: int
    #: The canonical body as signed: what :attr:`hash` covers and equality compares.
    body: bytes = field(repr=False)
    #: The signed roster exactly as received.
    encoded: bytes = field(repr=False, compare=False)
    #: The committee (会議体) the meeting belongs to, as the clerk signed it; ``None``: not set.
    committee: str | None = None

    @property
    def org_id(self) -> str:
        """The organisation the roster belongs to: its signer's."""
        return self.signer.org_id

    @property
    def hash(self) -> str:
        """What epoch records commit to (see :func:`roster_hash`)."""
        return roster_hash(self.body)


def roster_hash(body: Buffer) -> str:
    """Domain-separated SHA-256 of a roster's canonical body."""
    return sha256_hex(framing.text(PURPOSE), body, magic=_HASH_MAGIC)


def _id_list(values: frozenset[str] | set[str] | list[str] | tuple[str, ...]) -> list[str]:
    items = sorted(set(values))
    if any(not isinstance(v, str) or not v for v in items):
        raise UsageError("roster entries must be non-empty strings")
    return items


def sign_roster(
    *,
    meeting_id: str,
    version: int,
    members: frozenset[str] | set[str] | list[str] | tuple[str, ...],
    note_editors: frozenset[str] | set[str] | list[str] | tuple[str, ...],
    device_keys: DeviceKeys,
    signer: DeviceCertificate,
    signed_at: int | None = None,
    export_allowed: bool = True,
    committee: str | None = None,
) -> bytes:
    """Sign a roster on the clerk's (or admin's) device. ``export_allowed=False`` forbids
    members' annotated copies, ``committee`` names the 会議体 (each written only then: see the
    module docstring)."""
    require_bounded(version, "roster version")
    editors = _id_list(note_editors)
    if not set(editors) <= ALL_ROLES:
        raise UsageError(f"unknown roles in note_editors: {sorted(set(editors) - ALL_ROLES)}")
    content: dict[str, Any] = {
        "meeting_id": meeting_id,
        "version": version,
        "members": _id_list(members),
        "note_editors": editors,
    }
    if not export_allowed:
        content[_EXPORT] = False
    if committee is not None:
        if not 1 <= len(committee) <= MAX_COMMITTEE or committee != committee.strip():
            raise UsageError(f"a committee name has 1..{MAX_COMMITTEE} characters, no edge spaces")
        content[_COMMITTEE] = committee
    if len(content["members"]) > MAX_MEMBERS:
        raise UsageError(f"a roster holds at most {MAX_MEMBERS} members")
    return KIND.sign(content, device_keys, signer, signed_at)


def _get_list(obj: dict[str, Any], key: str, limit: int) -> frozenset[str]:
    value = obj[key]
    if (
        not isinstance(value, list)
        or len(value) > limit
        or any(not isinstance(v, str) or not v for v in value)
        or value != sorted(set(value))
    ):
        raise MalformedData(f"roster field {key!r} must be a sorted list of distinct ids")
    return frozenset(value)


def _get_export(obj: dict[str, Any]) -> bool:
    """The signed export rule: absent means allowed, and only ``false`` is ever written (one
    encoding per rule, so two rosters saying the same never differ by this field)."""
    if _EXPORT not in obj:
        return True
    if obj[_EXPORT] is not False:
        raise MalformedData(f"roster field {_EXPORT!r} is written only as false (to forbid)")
    return False


def _get_committee(obj: dict[str, Any]) -> str | None:
    """The signed committee name, if the clerk set one."""
    if _COMMITTEE not in obj:
        return None
    value = obj[_COMMITTEE]
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_COMMITTEE or value != value.strip():
        raise MalformedData(
            f"roster field {_COMMITTEE!r} must be a name of 1..{MAX_COMMITTEE} characters"
        )
    return value


def verify_roster(
    roster: Buffer,
    signer_cert: DeviceCertificate | Buffer,
    anchor: TrustAnchor,
    *,
    expected_meeting_id: str | None = None,
) -> Roster:
    """Verify a roster against its signer's certificate (a clerk or admin) and the anchor."""
    verified = KIND.verify(roster, signer_cert, anchor)
    obj, what = verified.fields, KIND.what
    editors = _get_list(obj, "note_editors", len(ALL_ROLES))
    if not editors <= ALL_ROLES:
        raise MalformedData(f"roster names unknown roles {sorted(editors - ALL_ROLES)}")
    result = Roster(
        meeting_id=canonical_json.get_str(obj, "meeting_id", what),
        version=require_bounded(canonical_json.get_int(obj, "version", what), "roster version"),
        members=_get_list(obj, "members", MAX_MEMBERS),
        note_editors=editors,
        export_allowed=_get_export(obj),
        signer=verified.signer,
        signed_at=canonical_json.get_int(obj, "signed_at", what),
        body=verified.body,
        encoded=bytes(roster),
        committee=_get_committee(obj),
    )
    require_meeting(result.meeting_id, expected_meeting_id, KIND.what)
    return result


def require_newer_roster(new: Roster, seen: Roster | None) -> bool:
    """Check ``new`` may replace ``seen`` (the newest roster accepted for the meeting).

    Returns True for a newer version, False for ``seen`` itself re-delivered; raises
    :class:`WrongContext` (another meeting), :class:`StaleObject` (older version) or
    :class:`Equivocation` (a different roster with the same version).
    """
    return require_monotonic(
        "roster version",
        (new.meeting_id, new.version, new.body),
        None if seen is None else (seen.meeting_id, seen.version, seen.body),
    )


def qualifies(device_cert: DeviceCertificate, roster: Roster) -> bool:
    """Whether a device may receive the meeting's keys: its certificate (already verified
    against the anchor) binds it to a user on ``roster``, in the roster's organisation and
    under the same root."""
    return (
        device_cert.org_id == roster.org_id
        and device_cert.root_fingerprint == roster.signer.root_fingerprint
        and device_cert.user_id in roster.members
    )
