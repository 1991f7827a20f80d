"""Shared fixtures: one organisation with a few enrolled devices (keys are made once per run).

Key generation is cheap (a few ms for ML-DSA-65) but there is no reason to repeat it in every
test; the keys are immutable, so sharing them across tests cannot couple the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from furano_meet.crypto import (
    DeviceCertificate,
    DeviceKeys,
    OrgRootKey,
    issue_device_certificate,
    verify_device_certificate,
)

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
