from __future__ import annotations

import inspect

import pytest

from furano_meet.crypto import errors
from furano_meet.crypto.errors import (
    BadSignature,
    CryptoError,
    Fault,
    TamperedData,
    TruncatedData,
    UnauthorisedSigner,
    UnknownSuite,
    UsageError,
)

ALL = [
    cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, CryptoError)
]


def test_every_error_has_its_own_stable_code() -> None:
    codes = [cls.code for cls in ALL]
    assert len(codes) == len(set(codes)), codes
    assert {cls.__name__: cls.code for cls in ALL} == {
        "CryptoError": "crypto_error",
        "MalformedData": "malformed",
        "UnknownSuite": "unknown_suite",
        "TamperedData": "tampered",
        "TruncatedData": "truncated",
        "WrongContext": "wrong_context",
        "BadSignature": "bad_signature",
        "UnauthorisedSigner": "unauthorised_signer",
        "KeySubstitution": "key_substitution",
        "UsageError": "usage_error",
    }


def test_subclasses_are_caught_by_their_family() -> None:
    with pytest.raises(TamperedData):
        raise TruncatedData("cut")
    with pytest.raises(BadSignature):
        raise UnauthorisedSigner("clerk only")


def test_only_usage_errors_are_our_fault() -> None:
    assert UsageError.fault is Fault.OURS
    assert all(cls.fault is Fault.THEIRS for cls in ALL if not issubclass(cls, UsageError))


def test_message_and_repr_are_readable() -> None:
    error = UnknownSuite("rot13/1", "signature", ("ed25519+mldsa65/1",))
    assert "rot13/1" in str(error) and "update" in str(error)
    assert error.suite_id == "rot13/1"
    assert repr(error).startswith("UnknownSuite(code='unknown_suite'")
