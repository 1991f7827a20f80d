"""The preferences file and the app lock's PIN record: Qt-free, on disk, no secrets kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from furano_meet import preferences
from furano_meet.pin import FIRST_PAUSE, FREE_ATTEMPTS, MAX_PAUSE, Attempts, PinRecord, valid_pin
from furano_meet.preferences import Preferences
from furano_meet.store.layout import ProfilePaths
from tests.test_layers import imports_without


def test_preferences_round_trip_beside_the_profile_folder(tmp_path: Path) -> None:
    path = preferences.preferences_path(tmp_path, "giin1")
    assert path == preferences.beside(ProfilePaths.for_profile(tmp_path, "giin1").root)
    assert not path.is_relative_to(ProfilePaths.for_profile(tmp_path, "giin1").root)
    assert preferences.load(path) == Preferences()  # nothing saved yet: the defaults
    chosen = Preferences(language="en", large_text=True, high_contrast=True, lock_minutes=10)
    preferences.save(path, chosen)
    assert preferences.load(path) == chosen
    assert [p.name for p in path.parent.iterdir()] == ["giin1.json"]  # no temporary left


def test_damaged_or_strange_preferences_fall_back_calmly(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text("{not json", encoding="utf-8")
    assert preferences.load(path) == Preferences()
    path.write_text(
        json.dumps({"language": "fr", "lock_minutes": 7, "large_text": True, "future": 1}),
        encoding="utf-8",
    )
    assert preferences.load(path) == Preferences(large_text=True)  # one field at a time
    with pytest.raises(TypeError):
        Preferences().with_(colour="red")
    assert Preferences().with_(lock_minutes=3).lock_minutes == 0


def test_a_pin_is_kept_as_a_salted_slow_hash() -> None:
    assert valid_pin("2468") and valid_pin("12345678")
    assert not any(valid_pin(p) for p in ("123", "123456789", "12a4", "２４６８", ""))
    with pytest.raises(ValueError):
        PinRecord.make("12")
    record = PinRecord.make("2468")
    again = PinRecord.from_json(record.to_json())
    assert again == record and "2468" not in record.to_json()
    assert again.matches("2468") and not again.matches("2469") and not again.matches("")
    assert PinRecord.make("2468").salt != record.salt  # salted: the same PIN, another hash


def test_wrong_pins_are_paced_after_a_few() -> None:
    now = [100.0]
    attempts = Attempts(lambda: now[0])
    for _ in range(FREE_ATTEMPTS - 1):
        attempts.failed()
        assert attempts.wait_left() == 0
    attempts.failed()
    assert attempts.wait_left() == FIRST_PAUSE
    now[0] += FIRST_PAUSE
    assert attempts.wait_left() == 0
    attempts.failed()
    assert attempts.wait_left() == 2 * FIRST_PAUSE  # longer each time
    for _ in range(10):
        attempts.failed()
    assert attempts.wait_left() == MAX_PAUSE
    attempts.succeeded()
    assert attempts.wait_left() == 0 and attempts.wrong == 0


def test_preferences_and_the_pin_need_no_qt() -> None:
    done = imports_without(
        {"PySide6", "qasync", "shiboken6"}, ["furano_meet.preferences", "furano_meet.pin"]
    )
    assert done.returncode == 0, done.stderr
