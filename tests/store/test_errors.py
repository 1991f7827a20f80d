"""The error tree: stable codes, whose fault, readable text, and OS error classification."""

from __future__ import annotations

import errno

import pytest

from furano_meet.store import errors
from furano_meet.store.errors import Fault, StoreError, from_os_error


def _all_error_classes() -> list[type[StoreError]]:
    found: list[type[StoreError]] = []
    pending: list[type[StoreError]] = [StoreError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_codes_are_unique_and_stable() -> None:
    classes = _all_error_classes()
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), codes
    # The GUI's translation catalogue keys on these; changing one is a breaking change.
    assert {
        errors.PassphraseRequired.code,
        errors.WrongPassphrase.code,
        errors.DatabaseCorrupt.code,
        errors.StorageFull.code,
        errors.ReadOnlyLocation.code,
        errors.SchemaTooNew.code,
    } == {
        "passphrase_required",
        "wrong_passphrase",
        "database_corrupt",
        "disk_full",
        "read_only",
        "schema_too_new",
    }


def test_every_exported_error_is_a_store_error() -> None:
    for name in errors.__all__:
        value = getattr(errors, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, StoreError), name


def test_environment_errors_say_what_to_do_next() -> None:
    samples: list[StoreError] = [
        errors.PassphraseRequired("no keychain", new_store=True),
        errors.WrongPassphrase(),
        errors.KeyMismatch("p"),
        errors.KeyUnavailable("locked"),
        errors.KeySourceMissing("/x/keysource.json"),
        errors.DatabaseCorrupt("HMAC failed"),
        errors.StorageFull("ENOSPC"),
        errors.ReadOnlyLocation("/x"),
        errors.SchemaTooNew("2.0", "1"),
    ]
    for error in samples:
        assert error.fault in (Fault.ENVIRONMENT, Fault.USER)
        assert error.message and error.next_step
        assert str(error) == f"{error.message} {error.next_step}"
        assert "Traceback" not in str(error)


def test_schema_too_new_names_both_versions() -> None:
    error = errors.SchemaTooNew("2.3", "1")
    assert "2.3" in error.message and "1.x" in error.message
    assert "Update" in error.next_step


def test_passphrase_required_keeps_reason_and_asks_differently_for_new_stores() -> None:
    new = errors.PassphraseRequired("There is no keychain.", new_store=True)
    old = errors.PassphraseRequired("Made with a passphrase.", new_store=False)
    assert new.reason == "There is no keychain." and new.new_store
    assert "Choose" in new.next_step and "Enter" in old.next_step


def test_bugs_are_marked_as_bugs() -> None:
    assert errors.ResumeOffsetMismatch("d", 1, 5, 3).fault is Fault.OURS
    assert errors.StoreClosed().fault is Fault.OURS
    assert errors.BlobHashMismatch("d", 1, "aa", "bb").fault is Fault.THEIRS


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (errno.ENOSPC, errors.StorageFull),
        (errno.EFBIG, errors.StorageFull),
        (errno.EROFS, errors.ReadOnlyLocation),
        (errno.EACCES, errors.ReadOnlyLocation),
        (errno.EIO, errors.StoreIOError),
    ],
)
def test_os_errors_are_classified(number: int, expected: type[StoreError]) -> None:
    error = from_os_error(OSError(number, "boom", "/tmp/file"), "/tmp")
    assert type(error) is expected
    assert "/tmp/file" in error.message
