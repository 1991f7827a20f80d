"""``wss://`` for real: the relay serves TLS, clients trust the system store or a private CA.

Every certificate here is made in the test: a private CA (as a council's IT department would run)
and server certificates it issues for 127.0.0.1/localhost, a wrong name, or an expired date.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from furano_meet.net import RelayConnection, RelayError
from furano_meet.net.tls import TlsCaFileUnusable, TlsUntrusted
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore
from furano_meet.sync.account import Account, Invitation, create_org_root, enrol
from furano_meet.sync.admin import invite
from furano_meet.sync.backoff import Backoff
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import DocumentReady, SyncEvent
from server import demo
from server.relay import Relay
from tests.conftest import relay_config
from tests.e2e.relay_process import ROOT, RelayProcess, cli, seeded
from tests.pdfs import generate_agenda_pack

NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass(frozen=True)
class PrivateCa:
    """A council's own certificate authority; ``path`` is its certificate for ``--ca-file``."""

    name: x509.Name
    key: ec.EllipticCurvePrivateKey
    path: Path

    @classmethod
    def create(cls, directory: Path, common_name: str = "Furano City IT Root CA") -> PrivateCa:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - DAY)
            .not_valid_after(NOW + 30 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{common_name.replace(' ', '-')}.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(name, key, path)

    def issue(
        self,
        directory: Path,
        *,
        dns: tuple[str, ...] = ("localhost",),
        ips: tuple[str, ...] = ("127.0.0.1",),
        not_after: datetime.datetime = NOW + 7 * DAY,
    ) -> tuple[Path, Path]:
        """A relay certificate for these names; returns (certificate, key) PEM paths."""
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns[0])]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(min(NOW - DAY, not_after - DAY))
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        directory.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = directory / "relay-cert.pem", directory / "relay-key.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_pem_key(key))
        return cert_path, key_path


@pytest.fixture
def ca(tmp_path: Path) -> PrivateCa:
    return PrivateCa.create(tmp_path / "pki")


@pytest.fixture
def no_system_trust_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default trust store is the system's, whatever the developer's shell sets."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


async def _join(conn: RelayConnection, relay: Relay) -> None:
    code = await relay.store.run(relay.store.issue_enrolment_code, "giin1")
    await conn.enrol(code, "tablet", b"pk")
    joined = await conn.request(m.JoinMeeting(meeting_id=demo.MEETING_ID))
    assert isinstance(joined, m.MeetingJoined)


async def test_wss_with_an_explicit_context(tmp_path: Path, ca: PrivateCa) -> None:
    cert, key = ca.issue(tmp_path / "relay-pki")
    async with Relay(relay_config(tmp_path, tls_cert=cert, tls_key=key)) as relay:
        await relay.store.run(demo.seed, relay.store)
        assert relay.url.startswith("wss://127.0.0.1:")
        conn = await RelayConnection.connect(
            relay.url, ssl_context=ssl.create_default_context(cafile=str(ca.path))
        )
        await _join(conn, relay)
        await conn.close()
        with pytest.raises(RelayError) as plain:  # ws:// to a TLS relay: no silent downgrade
            await RelayConnection.connect(relay.url.replace("wss://", "ws://"), open_timeout=3)
        assert plain.value.code == "unreachable"


async def test_the_default_context_checks_the_system_trust_store(
    tmp_path: Path, ca: PrivateCa, monkeypatch: pytest.MonkeyPatch, no_system_trust_override: None
) -> None:
    """No CA given: ``ssl.create_default_context()`` decides, i.e. the system's trust store.

    The private CA is not in it, so the relay is refused with a typed, plain error. Pointing
    OpenSSL's default store at the CA (``SSL_CERT_FILE``, read by the default context) and
    nothing else makes the very same call succeed: the default path is the one that verified.
    """
    cert, key = ca.issue(tmp_path / "relay-pki")
    async with Relay(relay_config(tmp_path, tls_cert=cert, tls_key=key)) as relay:
        await relay.store.run(demo.seed, relay.store)
        with pytest.raises(TlsUntrusted) as refused:
            await RelayConnection.connect(relay.url)
        error = refused.value
        assert error.code == "tls_untrusted" and error.fault.value == "environment"
        assert error.reason is TlsUntrusted.UNKNOWN_ISSUER
        assert "not issued by any certificate authority this computer trusts" in error.message
        assert "--ca-file" in error.next_step
        assert isinstance(error, RelayError)  # the sync engine treats it as "offline, retry"

        monkeypatch.setenv("SSL_CERT_FILE", str(ca.path))
        conn = await RelayConnection.connect(relay.url)
        await _join(conn, relay)
        await conn.close()


async def test_a_private_ca_file_is_trusted_and_only_it(tmp_path: Path, ca: PrivateCa) -> None:
    cert, key = ca.issue(tmp_path / "relay-pki")
    other = PrivateCa.create(tmp_path / "other", "Another Council CA")
    async with Relay(relay_config(tmp_path, tls_cert=cert, tls_key=key)) as relay:
        await relay.store.run(demo.seed, relay.store)
        conn = await RelayConnection.connect(relay.url, ca_file=ca.path)
        await _join(conn, relay)
        await conn.close()
        with pytest.raises(TlsUntrusted) as wrong_ca:
            await RelayConnection.connect(relay.url, ca_file=other.path)
        assert wrong_ca.value.reason is TlsUntrusted.UNKNOWN_ISSUER
        assert str(other.path) in wrong_ca.value.message
        assert "CA file is the one" in wrong_ca.value.next_step
        with pytest.raises(TlsCaFileUnusable) as missing:
            await RelayConnection.connect(relay.url, ca_file=tmp_path / "nope.pem")
        assert missing.value.code == "tls_ca_file_unusable" and "no such file" in str(missing.value)
        not_pem = tmp_path / "not.pem"
        not_pem.write_text("これは証明書ではありません\n", encoding="utf-8")
        with pytest.raises(TlsCaFileUnusable):
            await RelayConnection.connect(relay.url, ca_file=not_pem)


@pytest.mark.parametrize(
    ("names", "not_after", "reason", "words"),
    [
        (("relay.furano.test",), NOW + DAY, TlsUntrusted.WRONG_HOST, "different name"),
        (("localhost",), NOW - DAY, TlsUntrusted.EXPIRED, "not valid today"),
    ],
    ids=["wrong-host-name", "expired"],
)
async def test_a_certificate_that_does_not_fit_is_a_plain_typed_error(
    tmp_path: Path,
    ca: PrivateCa,
    names: tuple[str, ...],
    not_after: datetime.datetime,
    reason: str,
    words: str,
) -> None:
    ips = ("127.0.0.1",) if names == ("localhost",) else ()
    cert, key = ca.issue(tmp_path / "relay-pki", dns=names, ips=ips, not_after=not_after)
    async with Relay(relay_config(tmp_path, tls_cert=cert, tls_key=key)) as relay:
        with pytest.raises(TlsUntrusted) as caught:
            await RelayConnection.connect(relay.url, ca_file=ca.path)
    assert caught.value.code == "tls_untrusted"
    assert caught.value.reason is reason
    assert words in caught.value.message and caught.value.next_step


async def test_enrol_and_sync_over_wss_with_a_private_ca(tmp_path: Path, ca: PrivateCa) -> None:
    """A whole council over wss://: the CA given at enrolment is remembered by the profile, and
    the engine's own ``ca_file`` parameter serves a profile that has none remembered."""
    cert, key = ca.issue(tmp_path / "relay-pki")
    stores: list[LocalStore] = []
    engines: list[SyncEngine] = []
    async with Relay(relay_config(tmp_path, tls_cert=cert, tls_key=key)) as relay:
        await relay.store.run(demo.seed, relay.store)

        async def device(
            user_id: str,
            *,
            ca_file: Path | None = None,
            ssl_context: ssl.SSLContext | None = None,
            engine_ca_file: str | None = None,
        ) -> SyncEngine:
            store = LocalStore.open(tmp_path / "devices" / user_id, user_id)
            stores.append(store)
            if user_id == "admin":
                fingerprint = create_org_root(store)
                await relay.store.run(relay.store.set_root_fingerprint, "furano", fingerprint)
            root = await relay.store.run(relay.store.root_fingerprint, "furano")
            if user_id == "admin":  # the bootstrap: a relay-made code
                code = await relay.store.run(relay.store.issue_enrolment_code, user_id)
                invitation = Invitation(code, root)
            else:  # signed on the administrator's device, over wss:// too
                admin_account = Account.load(stores[0])
                assert admin_account is not None
                role = next(r for u, _, r in demo.PEOPLE if u == user_id)
                invitation = await invite(admin_account, stores[0], user_id, role)
            await enrol(
                store, relay.url, invitation, user_id, ca_file=ca_file, ssl_context=ssl_context
            )
            engine = SyncEngine(
                store,
                auto_certify=user_id == "admin",
                backoff=Backoff(base=0.05, cap=0.5),
                ca_file=engine_ca_file,
            )
            engines.append(engine)
            return engine

        admin = await device("admin", ca_file=ca.path)
        clerk = await device("jimukyoku", ca_file=ca.path)
        member = await device(
            "giin1",
            ssl_context=ssl.create_default_context(cafile=str(ca.path)),
            engine_ca_file=str(ca.path),
        )
        assert admin.account.ca_file == clerk.account.ca_file == str(ca.path.resolve())
        assert member.account.ca_file is None and member.ca_file == str(ca.path)
        ready = asyncio.Event()

        def seen(event: SyncEvent) -> None:
            if isinstance(event, DocumentReady):
                ready.set()

        member.subscribe(seen)
        tasks = [asyncio.create_task(engine.run()) for engine in engines]
        try:
            for engine in engines:
                await engine.wait_online()
            await clerk.create_meeting_key(demo.MEETING_ID)
            pdf = generate_agenda_pack(title="総務文教委員会 議案書", pages=3)
            info = await clerk.publish_document(demo.MEETING_ID, pdf, title="議案書")
            async with asyncio.timeout(60):
                await ready.wait()
            assert await member.open_document(info.document_id, 1) == pdf
        finally:
            for engine, task in zip(engines, tasks, strict=True):
                await engine.stop()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for store in stores:
                store.close()


def _furano_meet(data: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed ``furano-meet`` entry point, as IT staff would run it."""
    entry = Path(sys.executable).parent / "furano-meet"
    return subprocess.run(
        [str(entry), "--data", str(data), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cli_enrols_and_syncs_over_wss_with_ca_file(tmp_path: Path, ca: PrivateCa) -> None:
    cert, key = ca.issue(tmp_path / "relay-pki")
    data_dir = seeded(tmp_path / "relay")
    relay = RelayProcess(data_dir, "--tls-cert", str(cert), "--tls-key", str(key)).start()
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    env["FURANO_MEET_PASSPHRASE"] = "富良野市議会の春 2026"
    data = tmp_path / "cli"
    try:
        assert relay.url.startswith("wss://")
        made = _furano_meet(data, "--profile", "admin", "init-root", env=env)
        assert made.returncode == 0, made.stderr
        fingerprint = made.stdout.strip()
        cli(data_dir, "set-root-fingerprint", "furano", fingerprint)

        def invitation(user_id: str) -> str:
            return cli(data_dir, "enrolment-code", user_id).strip()

        # No CA given: the system's trust store refuses the private CA, in plain words.
        refused = _furano_meet(
            data, "--profile", "giin1", "enrol", relay.url, invitation("giin1"), env=env
        )
        assert refused.returncode == 1
        assert "not issued by any certificate authority this computer trusts" in refused.stderr
        assert "--ca-file" in refused.stderr and "Traceback" not in refused.stderr

        enrolled = _furano_meet(
            data,
            "--profile",
            "admin",
            "enrol",
            "--ca-file",
            str(ca.path),
            relay.url,
            invitation("admin"),
            env=env,
        )
        assert enrolled.returncode == 0, enrolled.stderr
        assert "Enrolled device" in enrolled.stdout
        # The next run finds the CA in the profile: no --ca-file needed any more.
        synced = _furano_meet(data, "--profile", "admin", "sync", "--once", env=env)
        assert synced.returncode == 0, synced.stderr
        assert "[online]" in synced.stdout

        # The default path of the real entry point: the trust store OpenSSL is pointed at.
        trusted = _furano_meet(
            data,
            "--profile",
            "giin2",
            "enrol",
            relay.url,
            invitation("giin2"),
            env={**env, "SSL_CERT_FILE": str(ca.path)},
        )
        assert trusted.returncode == 0, trusted.stderr

        typo = _furano_meet(
            data,
            "--profile",
            "giin3",
            "enrol",
            "--ca-file",
            str(tmp_path / "missing.pem"),
            relay.url,
            invitation("giin3"),
            env=env,
        )
        assert typo.returncode == 1 and "missing.pem cannot be used" in typo.stderr
        assert not (data / "profiles" / "giin3").exists()  # reported before anything was made
    finally:
        relay.kill()
