from __future__ import annotations

import pytest

from furano_meet.crypto import suites
from furano_meet.crypto.errors import UnknownSuite
from furano_meet.crypto.suites import CURRENT, REGISTRY, SuiteKind, require_suite


def test_current_suites_are_registered_with_their_kind() -> None:
    for kind, suite_id in CURRENT.items():
        assert require_suite(suite_id, kind).kind is kind
    assert set(CURRENT) == set(SuiteKind)


def test_ids_are_short_ascii_and_stable() -> None:
    # Changing one of these breaks every stored envelope, signature and blob.
    assert suites.SIGNATURE_ED25519_MLDSA65 == "ed25519+mldsa65/1"
    assert suites.ENVELOPE_HPKE_MLKEM768X25519 == "hpke-mlkem768x25519-sha256-aes256gcm/1"
    assert suites.DOCUMENT_AES256GCM_STREAM == "aes256gcm-stream/1"
    assert suites.SECRET_BOX_AES256GCM == "aes256gcm/1"
    for suite_id in REGISTRY:
        assert suite_id.isascii() and len(suite_id) <= 64


def test_unknown_suite_is_refused_clearly() -> None:
    with pytest.raises(UnknownSuite) as info:
        require_suite("ed448+slhdsa/1", SuiteKind.SIGNATURE)
    assert "ed448+slhdsa/1" in str(info.value)
    assert "ed25519+mldsa65/1" in str(info.value)  # says what it does know


def test_a_suite_of_the_wrong_kind_is_unknown() -> None:
    with pytest.raises(UnknownSuite):
        require_suite(suites.SIGNATURE_ED25519_MLDSA65, SuiteKind.ENVELOPE)


def test_ids_match_exactly() -> None:
    with pytest.raises(UnknownSuite):
        require_suite("ED25519+MLDSA65/1", SuiteKind.SIGNATURE)
    with pytest.raises(UnknownSuite):
        require_suite("ed25519+mldsa65", SuiteKind.SIGNATURE)
