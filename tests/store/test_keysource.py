"""Key sources: which keychains are trusted, the key description file, scrypt and the key check."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backends.chainer import ChainerBackend

from furano_meet.store.errors import KeySourceDamaged, PassphraseRequired, WrongPassphrase
from furano_meet.store.keysource import (
    KEYRING_SERVICE,
    Keychain,
    KeySource,
    KeySourceRecord,
    ScryptParams,
    derive_key,
    key_check,
    key_from_passphrase,
    new_passphrase_record,
    read_record,
    write_record,
)

from .conftest import MemoryKeyring


def _chainer_of(*backends: object) -> ChainerBackend:
    """A chainer whose chain we choose (keyring builds it from installed backends otherwise)."""

    class Chain(ChainerBackend):
        pass

    Chain.backends = list(backends)  # type: ignore[misc]
    return Chain()


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
    "backend", [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring()]
)
def test_fail_and_null_backends_are_refused(backend: object) -> None:
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
    keyring.set_keyring(_chainer_of(keyring.backends.null.Keyring()))
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
    key, record = new_passphrase_record("correct horse")
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
    assert params.n >= 2**15 and params.r >= 8 and params.p >= 1
    with pytest.raises(ValueError):
        ScryptParams(n=2**10).validate()
    with pytest.raises(ValueError):
        ScryptParams(n=3 * 2**14).validate()


def test_passphrase_width_does_not_matter_but_content_does() -> None:
    salt = b"s" * 16
    params = ScryptParams()
    assert derive_key("ｐａｓｓ１２３", salt, params) == derive_key("pass123", salt, params)
    assert derive_key("pass124", salt, params) != derive_key("pass123", salt, params)


def test_wrong_and_missing_passphrase() -> None:
    _key, record = new_passphrase_record("right")
    with pytest.raises(WrongPassphrase):
        key_from_passphrase(record, "wrong")
    with pytest.raises(PassphraseRequired) as caught:
        key_from_passphrase(record, None)
    assert not caught.value.new_store
    with pytest.raises(PassphraseRequired):
        new_passphrase_record("")
