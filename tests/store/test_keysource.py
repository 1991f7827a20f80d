"""Key sources: which keychains are trusted, the key description file, scrypt and the key check;
the passphrase rules, and moving old stores to the current scrypt parameters crash-safely."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend

from bench.client_fixtures import MemoryKeyring
from furano_meet.store import LocalStore, keysource, migrations, rekey
from furano_meet.store.database import Database
from furano_meet.store.errors import (
    DatabaseCorrupt,
    Fault,
    KeySourceDamaged,
    PassphraseRequired,
    SchemaTooNew,
    StoreBug,
    WrongPassphrase,
)
from furano_meet.store.keysource import (
    KEYRING_SERVICE,
    Keychain,
    KeySource,
    KeySourceRecord,
    ScryptParams,
    current_scrypt,
    derive_key,
    key_check,
    key_from_passphrase,
    new_passphrase_record,
    passphrase_record,
    read_record,
    write_record,
)
from furano_meet.store.layout import ProfilePaths
from furano_meet.store.passphrase import PassphraseTooWeak, check_strength
from tests.conftest import keyring_backend

from .conftest import PROFILE, profile_dir, snapshot

FAST = ScryptParams(n=2**14)
"""Cheaper than production, for tests that are not about the cost (the floor validate() allows)."""
STRONG = "富良野の冬は長いけれど春が好き"


def _chainer_of(*chained: KeyringBackend) -> ChainerBackend:
    """A chainer whose chain we choose (keyring builds it from installed backends otherwise)."""

    class Chain(ChainerBackend):
        backends = list(chained)

    return keyring_backend(Chain)


def test_memory_backend_is_a_usable_keychain(memory_keyring: MemoryKeyring) -> None:
    chain = Keychain.detect()
    assert chain.available
    chain.store_key("p", b"\x01" * 32)
    assert memory_keyring.secrets[(KEYRING_SERVICE, "p")] == "01" * 32
    assert chain.get_key("p") == b"\x01" * 32
    assert chain.delete_key("p")
    assert chain.get_key("p") is None
    assert not chain.delete_key("p")


@pytest.mark.parametrize(
    "backend",
    [
        keyring_backend(keyring.backends.fail.Keyring),
        keyring_backend(keyring.backends.null.Keyring),
    ],
)
def test_fail_and_null_backends_are_refused(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    chain = Keychain.detect()
    assert not chain.available
    assert "no system keychain" in chain.reason
    with pytest.raises(PassphraseRequired) as caught:
        chain.store_key("p", b"\x01" * 32)
    assert caught.value.reason == chain.reason


def test_plaintext_file_backend_is_refused() -> None:
    # keyrings.alt is deliberately not installed; a class living in its module stands in for it.
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    chain = Keychain.detect()
    assert not chain.available
    assert "without real protection" in chain.reason
    assert "keyrings.alt.file" in chain.reason
    with pytest.raises(PassphraseRequired):
        chain.store_key("p", b"\x01" * 32)
    assert backend.secrets == {}


def test_chainer_of_only_insecure_backends_is_refused() -> None:
    keyring.set_keyring(_chainer_of(keyring_backend(keyring.backends.null.Keyring)))
    assert not Keychain.detect().available
    keyring.set_keyring(_chainer_of())
    assert not Keychain.detect().available


def test_chainer_with_a_real_backend_uses_that_backend_directly() -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    plaintext, secure = PlaintextKeyring(), MemoryKeyring()
    keyring.set_keyring(_chainer_of(plaintext, secure))
    chain = Keychain.detect()
    assert chain.available
    chain.store_key("p", b"\x02" * 32)
    assert plaintext.secrets == {}
    assert secure.secrets[(KEYRING_SERVICE, "p")] == "02" * 32


def test_record_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "keysource.json"
    key, record = new_passphrase_record("correct horse", FAST)
    write_record(path, record)
    assert path.stat().st_mode & 0o777 == 0o600
    again = read_record(path)
    assert again == record
    assert again is not None and again.source is KeySource.PASSPHRASE
    assert key.hex() not in path.read_text()
    assert key_from_passphrase(again, "correct horse") == key

    keychain_record = KeySourceRecord(source=KeySource.KEYCHAIN, check=key_check(b"k" * 32))
    write_record(path, keychain_record)
    assert read_record(path) == keychain_record
    assert read_record(tmp_path / "absent.json") is None


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"format": 99}',
        '{"format": 1, "source": "keychain"}',
        '{"format": 1, "source": "passphrase", "key_check": "' + "00" * 32 + '"}',
        '{"format": 1, "source": "passphrase", "key_check": "'
        + "00" * 32
        + '", "kdf": {"name": "scrypt", "salt": "00", "n": 1024, "r": 8, "p": 1}}',
    ],
)
def test_damaged_record_is_a_typed_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "keysource.json"
    path.write_text(text)
    with pytest.raises(KeySourceDamaged) as caught:
        read_record(path)
    assert caught.value.code == "keysource_damaged"
    assert path.read_text() == text


def test_scrypt_parameters_are_at_least_the_required_strength() -> None:
    params = ScryptParams()
    # what new stores get and old ones move to is the full default: the app tests' lower value
    # (tests/app/conftest.py) never outlives them
    assert keysource.CURRENT_SCRYPT == current_scrypt() == params
    assert params.n >= 2**17 and params.r >= 8 and params.p >= 1
    assert 128 * params.n * params.r * params.p >= 128 * 2**20  # bytes of memory per guess
    assert ScryptParams(n=2**15).weaker_than(params) and not params.weaker_than(params)
    assert not ScryptParams(n=2**18).weaker_than(params)
    with pytest.raises(ValueError):
        ScryptParams(n=2**10).validate()
    with pytest.raises(ValueError):
        ScryptParams(n=3 * 2**14).validate()


def test_passphrase_width_does_not_matter_but_content_does() -> None:
    salt = b"s" * 16
    assert derive_key("ｐａｓｓ１２３", salt, FAST) == derive_key("pass123", salt, FAST)
    assert derive_key("pass124", salt, FAST) != derive_key("pass123", salt, FAST)
    # Composed and decomposed kana (が and か + combining ゛) are the same passphrase.
    assert derive_key("がんばろう", salt, FAST) == derive_key("か\u3099んばろう", salt, FAST)
    assert derive_key("ｶﾞﾝﾊﾞﾛｳ", salt, FAST) == derive_key("ガンバロウ", salt, FAST)


def test_wrong_and_missing_passphrase() -> None:
    _key, record = new_passphrase_record(STRONG, FAST)
    with pytest.raises(WrongPassphrase):
        key_from_passphrase(record, "富良野の冬は短いけれど春が好き")
    with pytest.raises(PassphraseRequired) as caught:
        key_from_passphrase(record, None)
    assert not caught.value.new_store
    with pytest.raises(PassphraseRequired):
        new_passphrase_record("")


# -- the passphrase rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passphrase", "why"),
    [
        ("ふらの市議会だより", "it has 9 characters"),  # 27 bytes: characters are what count
        ("shortpass", "fewer than 10"),
        ("ああああああああああああ", "one character repeated"),
        ("abcabcabcabc", "one short pattern repeated"),
        ("ふらふらふらふらふらふら", "one short pattern repeated"),
        ("20260401-0930", "only digits"),
        ("1234567890", "only digits"),
        ("Password2026!", "well-known password"),
        ("ｐａｓｓｗｏｒｄ１２３４", "well-known password"),  # full width: NFKC first
        ("furano-2026-!!", "well-known password"),
        ("富良野市議会 2026", "well-known password"),
        ("qwertyuiop", "well-known password"),
    ],
)
def test_weak_passphrases_are_refused_with_the_reason(passphrase: str, why: str) -> None:
    with pytest.raises(PassphraseTooWeak) as caught:
        new_passphrase_record(passphrase, FAST)
    error = caught.value
    assert error.code == "passphrase_too_weak" and error.fault is Fault.USER
    assert why in error.message
    assert "at least 10 characters" in error.next_step


@pytest.mark.parametrize(
    "passphrase",
    [
        STRONG,
        "ふらの市議会だよりを",  # exactly 10 characters
        "correct horse battery staple",
        "議会2026春の定例会です",
        "furano meet on the train",  # a name inside a sentence is fine
    ],
)
def test_sensible_passphrases_in_any_script_are_accepted(passphrase: str) -> None:
    check_strength(passphrase)


def test_a_weak_passphrase_creates_nothing(data_dir: Path, fail_keyring: None) -> None:
    with pytest.raises(PassphraseTooWeak):
        LocalStore.open(data_dir, PROFILE, passphrase="password")
    assert snapshot(data_dir) == {}


# -- moving old stores to the current parameters -------------------------------------------------


def _old_store(data_dir: Path, passphrase: str, params: ScryptParams) -> ProfilePaths:
    """A store as an older release made it: its key description names ``params``."""
    paths = ProfilePaths.for_profile(data_dir, PROFILE)
    paths.root.mkdir(parents=True)
    key, record = passphrase_record(passphrase, params)
    write_record(paths.keysource, record)
    # Made directly under the recorded key: LocalStore.open refuses a missing database once
    # keysource.json exists (it is damage, not a new store).
    db = Database.open(paths.database, key)
    try:
        db.configure()
        migrations.migrate(db)
        db.execute("INSERT INTO settings (key, value) VALUES ('議事録', '非公開')")
    finally:
        db.close()
    return paths


def _old_key(paths: ProfilePaths, passphrase: str) -> bytes:
    record = read_record(paths.keysource)
    assert record is not None and record.salt is not None and record.scrypt is not None
    return derive_key(passphrase, record.salt, record.scrypt)


def _secret(paths: ProfilePaths, key: bytes) -> object:
    db = Database.open(paths.database, key)
    try:
        return db.query_value("SELECT value FROM settings WHERE key = '議事録'")
    finally:
        db.close()


def test_an_old_store_moves_to_the_production_parameters_at_its_next_unlock(
    data_dir: Path, fail_keyring: None
) -> None:
    """The real production parameters, through LocalStore.open as the app calls it. The old
    store's passphrase is one today's rules refuse; it keeps opening all the same."""
    paths = _old_store(data_dir, "ふらの2025", ScryptParams(n=2**15))  # the old default
    old_key = _old_key(paths, "ふらの2025")

    with LocalStore.open(data_dir, PROFILE, passphrase="ふらの２０２５") as store:  # IME width
        assert store.get_setting("議事録") == "非公開"
        store.set_setting("after", "upgrade")
    record = read_record(paths.keysource)
    assert record is not None and record.scrypt == ScryptParams()
    assert record.scrypt.n >= 2**17 and record.scrypt.r == 8 and record.scrypt.p == 1
    assert not paths.keysource_pending.exists()
    with pytest.raises(DatabaseCorrupt):  # the cheap old key opens nothing any more
        Database.open(paths.database, old_key)

    before = paths.keysource.read_bytes()
    with LocalStore.open(data_dir, PROFILE, passphrase="ふらの2025") as store:
        assert store.settings()["after"] == "upgrade"
    assert paths.keysource.read_bytes() == before  # once only
    with pytest.raises(WrongPassphrase):
        LocalStore.open(data_dir, PROFILE, passphrase="ふらの2024")


def test_a_newer_schema_is_left_untouched_by_the_upgrade(
    data_dir: Path, fail_keyring: None
) -> None:
    paths = _old_store(data_dir, STRONG, FAST)
    db = Database.open(paths.database, _old_key(paths, STRONG))
    db.execute("UPDATE schema_version SET major = major + 1")
    db.close()
    before = snapshot(paths.root)
    with pytest.raises(SchemaTooNew):
        LocalStore.open(data_dir, PROFILE, passphrase=STRONG)
    assert snapshot(paths.root) == before


UPGRADED = ScryptParams(n=2**15)
"""The target of the crash tests' upgrades: above FAST, still cheap."""

_CRASHING_CHILD = """
import os, sys
from furano_meet.store import keysource, rekey
from furano_meet.store.database import Database
from furano_meet.store.keysource import KeySource, ScryptParams, derive_key, read_record
from furano_meet.store.layout import ProfilePaths

step, data, profile, passphrase, new = sys.argv[1:]
# a changed passphrase gets the current cost: the crash tests' cheap one (test_change_passphrase
# proves the production cost)
keysource.CURRENT_SCRYPT = ScryptParams(n=int(os.environ["TARGET_N"]))
paths = ProfilePaths.for_profile(data, profile)
record = read_record(paths.keysource)
def power_cut(*args, **kwargs):
    os._exit(7)  # no cleanup, no close, no flush: what a crash looks like
setattr(rekey, step, power_cut)
if new:  # a passphrase change on the open store
    db = Database.open(paths.database, derive_key(passphrase, record.salt, record.scrypt))
    db.configure()
    rekey.change_passphrase(paths, db, KeySource.PASSPHRASE, passphrase, new)
else:  # an upgrade at unlock
    rekey.unlock(paths, record, passphrase, target=ScryptParams(n=int(os.environ["TARGET_N"])))
sys.exit(0)
"""


def _crash(paths: ProfilePaths, step: str, passphrase: str, new: str = "") -> KeySourceRecord:
    """Run an upgrade (or a change to ``new``) in a child that loses power at ``step``; returns
    the pending key description it left behind."""
    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_CHILD, step, str(paths.root.parent.parent)]
        + [paths.profile_id, passphrase, new],
        env={**os.environ, "TARGET_N": str(UPGRADED.n)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 7, done.stderr  # it really died between two steps
    pending = read_record(paths.keysource_pending)
    assert pending is not None
    return pending


def _data_files(paths: ProfilePaths) -> dict[str, bytes]:
    """The profile's files except SQLite's shared-memory WAL index, which any reader rebuilds."""
    return {k: v for k, v in snapshot(paths.root).items() if not k.endswith("-shm")}


def _record(paths: ProfilePaths) -> KeySourceRecord:
    record = read_record(paths.keysource)
    assert record is not None
    return record


@pytest.mark.parametrize("step", ["_rekey_database", "_commit"])
def test_a_crash_during_the_upgrade_loses_nothing(
    data_dir: Path, fail_keyring: None, step: str
) -> None:
    paths = _old_store(data_dir, STRONG, FAST)
    pending = _crash(paths, step, STRONG)

    key = rekey.unlock(paths, _record(paths), STRONG, target=UPGRADED)
    assert _secret(paths, key) == "非公開"
    record = _record(paths)
    assert record.scrypt == UPGRADED and not paths.keysource_pending.exists()
    if step == "_commit":  # the database was already under the new key: finished
        assert record == pending
    else:  # it was not: the unused description was dropped and the upgrade made afresh
        assert record.salt != pending.salt


@pytest.mark.parametrize("step", ["_rekey_database", "_write_back", "_commit"])
def test_the_store_opens_after_a_crash_at_any_step_of_the_upgrade(
    data_dir: Path, fail_keyring: None, step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through LocalStore.open, start-up check included. The crash left a WAL, so the full check
    runs, and ``PRAGMA cipher_integrity_check`` reads the file's pages, not the WAL's: a file
    still under the old key behind a WAL under the new one failed it on every page, and a sound
    cache was reported damaged (the rekey's pages are now copied into the file before step 3)."""
    monkeypatch.setattr(keysource, "CURRENT_SCRYPT", UPGRADED)
    paths = _old_store(data_dir, STRONG, FAST)
    _crash(paths, step, STRONG)
    with LocalStore.open(data_dir, PROFILE, passphrase=STRONG) as store:
        assert store.get_setting("議事録") == "非公開"
    assert _record(paths).scrypt == UPGRADED and not paths.keysource_pending.exists()


def test_an_upgrade_waits_while_another_connection_has_the_store_open(
    data_dir: Path, fail_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program with the store open (a second app, the command line) keeps the old key.
    Re-encrypting under it left that program reading pages it cannot decrypt, and left the new
    pages in a WAL its open connection kept anyone from copying into the file: the start-up
    check then reported every page damaged, and the app never showed its meeting list. The
    upgrade now waits for an unlock with the store to itself; the store opens as it is."""
    monkeypatch.setattr(keysource, "CURRENT_SCRYPT", UPGRADED)
    paths = _old_store(data_dir, STRONG, FAST)
    other = Database.open(paths.database, _old_key(paths, STRONG))
    try:
        other.configure()
        with LocalStore.open(data_dir, PROFILE, passphrase=STRONG) as store:
            assert store.get_setting("議事録") == "非公開"
            store.set_setting("while", "shared")
        assert _record(paths).scrypt == FAST and not paths.keysource_pending.exists()
        assert other.query_value("SELECT value FROM settings WHERE key = '議事録'") == "非公開"
    finally:
        other.close()
    with LocalStore.open(data_dir, PROFILE, passphrase=STRONG) as store:  # alone now
        assert store.settings() == {"議事録": "非公開", "while": "shared"}
    assert _record(paths).scrypt == UPGRADED and not paths.keysource_pending.exists()


def test_a_crash_after_a_changed_passphrase_was_applied(data_dir: Path, fail_keyring: None) -> None:
    new = "ラベンダー畑の向こうに十勝岳"
    paths = _old_store(data_dir, STRONG, FAST)
    pending = _crash(paths, "_write_back", STRONG, new)
    before = _data_files(paths)
    assert before["cache.db-wal"]  # the crash left the re-encrypted pages in the WAL
    with pytest.raises(WrongPassphrase):  # the database is under the new passphrase already
        rekey.unlock(paths, _record(paths), STRONG, target=FAST)
    assert _data_files(paths) == before
    key = rekey.unlock(paths, _record(paths), new, target=FAST)
    assert _secret(paths, key) == "非公開"
    assert _record(paths) == pending and not paths.keysource_pending.exists()


def test_a_crash_before_a_changed_passphrase_was_applied(
    data_dir: Path, fail_keyring: None
) -> None:
    new = "ラベンダー畑の向こうに十勝岳"
    paths = _old_store(data_dir, STRONG, FAST)
    old_record = _record(paths)
    _crash(paths, "_rekey_database", STRONG, new)
    with pytest.raises(WrongPassphrase):  # the change never reached the database
        rekey.unlock(paths, _record(paths), new, target=FAST)
    key = rekey.unlock(paths, _record(paths), STRONG, target=FAST)
    assert _secret(paths, key) == "非公開"
    assert _record(paths) == old_record and not paths.keysource_pending.exists()


def test_change_passphrase(data_dir: Path, fail_keyring: None) -> None:
    new = "ラベンダー畑の向こうに十勝岳"
    with LocalStore.open(data_dir, PROFILE, passphrase=STRONG) as store:
        store.set_setting("議事録", "非公開")
        before = snapshot(profile_dir(data_dir))
        made = read_record(profile_dir(data_dir) / "keysource.json")
        assert made is not None and made.scrypt == ScryptParams()  # a new store: full cost
        with pytest.raises(PassphraseTooWeak):
            store.change_passphrase(STRONG, "furano2026")
        with pytest.raises(WrongPassphrase):
            store.change_passphrase("ラベンダー畑の向こうに旭岳", new)
        assert (profile_dir(data_dir) / "keysource.json").read_bytes() == before["keysource.json"]
        store.change_passphrase(STRONG, new)
        store.set_setting("after", "change")  # the open store carries on under the new key
    with pytest.raises(WrongPassphrase):
        LocalStore.open(data_dir, PROFILE, passphrase=STRONG)
    with LocalStore.open(data_dir, PROFILE, passphrase=new) as store:
        assert store.settings() == {"議事録": "非公開", "after": "change"}
    changed = read_record(profile_dir(data_dir) / "keysource.json")
    assert changed is not None and changed.scrypt == ScryptParams()  # the production cost
    keyring.set_keyring(MemoryKeyring())
    with LocalStore.open(data_dir, "other") as keychain_store, pytest.raises(StoreBug):
        keychain_store.change_passphrase(STRONG, new)
