"""A council for the trust-layer tests: every role, a second device, an outsider, and a relay.

The relay's "organisation" has its own root and enrols devices with the genuine names: it is
what a relay that wants to plant keys or mint invitations can sign with. Keys are made once per
run; the objects are immutable, so sharing them cannot couple the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from furano_meet.crypto import MeetingKey
from furano_meet.crypto.authority import TrustAnchor
from furano_meet.crypto.keys import OrgRootKey
from furano_meet.crypto.roster import Roster, sign_roster, verify_roster

from ..conftest import ORG_ID, Device, Org

MEETING = "m-somu-2026-04"
MEMBERS = frozenset({"clerk-sato", "iincho", "giin1", "giin2"})


@dataclass(eq=False)
class Council:
    org: Org
    relay: Org
    anchor: TrustAnchor

    def __repr__(self) -> str:  # short: Hypothesis prints it with every failing example
        return f"Council(root={self.org.fingerprint})"

    def __getitem__(self, device_id: str) -> Device:
        return self.org.devices[device_id]

    def roster(self, version: int = 1, members: frozenset[str] = MEMBERS) -> Roster:
        """A genuine roster of the meeting, signed by the clerk and verified."""
        clerk = self["sato-tablet"]
        signed = sign_roster(
            meeting_id=MEETING,
            version=version,
            members=members,
            note_editors={"chair", "clerk"},
            device_keys=clerk.keys,
            signer=clerk.cert,
            signed_at=1_760_000_100,
        )
        return verify_roster(signed, clerk.cert_bytes, self.anchor)


def _enrol_council(org: Org) -> Org:
    org.enrol("admin-kato", "kato-pc", "admin")
    org.enrol("clerk-sato", "sato-tablet", "clerk")
    org.enrol("iincho", "iincho-tablet", "chair")
    org.enrol("giin1", "giin1-tablet", "member")
    org.enrol("giin1", "giin1-laptop", "member")
    org.enrol("giin2", "giin2-tablet", "member")
    org.enrol("giin9", "giin9-tablet", "member")  # of the organisation, not of this meeting
    return org


@pytest.fixture(scope="session")
def council() -> Council:
    org = _enrol_council(Org(OrgRootKey.generate()))
    relay = _enrol_council(Org(OrgRootKey.generate()))
    return Council(org, relay, TrustAnchor(ORG_ID, org.fingerprint))


@pytest.fixture
def meeting_key() -> MeetingKey:
    return MeetingKey.generate(MEETING, epoch=1)
