"""The relay serves wss:// with a real certificate; plain clients and wrong CAs are refused."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from server import demo
from server.relay import Relay
from tests.conftest import relay_config


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.furano.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_wss_with_a_trusted_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    async with Relay(relay_config(tmp_path, tls_cert=cert, tls_key=key)) as relay:
        await relay.store.run(demo.seed, relay.store)
        assert relay.url.startswith("wss://127.0.0.1:")
        trusted = ssl.create_default_context(cafile=str(cert))
        code = await relay.store.run(relay.store.issue_enrolment_code, "giin1")
        conn = await RelayConnection.connect(relay.url, ssl_context=trusted)
        await conn.enrol(code, "tablet", b"pk")
        joined = await conn.request(m.JoinMeeting(meeting_id=demo.MEETING_ID))
        assert isinstance(joined, m.MeetingJoined)
        await conn.close()

        with pytest.raises(RelayError) as untrusted:
            await RelayConnection.connect(relay.url, ssl_context=ssl.create_default_context())
        assert untrusted.value.code == "unreachable"
        with pytest.raises(RelayError):
            await RelayConnection.connect(relay.url.replace("wss://", "ws://"), open_timeout=3)


async def test_the_serve_command_speaks_wss_with_the_given_certificate(tmp_path: Path) -> None:
    from tests.e2e.relay_process import RelayProcess, seeded

    cert, key = self_signed(tmp_path)
    relay = RelayProcess(
        seeded(tmp_path / "relay"), "--tls-cert", str(cert), "--tls-key", str(key)
    ).start()
    try:
        assert relay.url.startswith("wss://")
        trusted = ssl.create_default_context(cafile=str(cert))
        conn = await RelayConnection.connect(relay.url, ssl_context=trusted)
        assert conn.welcome is not None and conn.welcome.major == 1
        await conn.close()
    finally:
        relay.kill()
