"""A person's display preferences for one profile: language, large text, contrast, app lock.

Why a file of its own, outside the encrypted store: the language and the text size are needed
*before* the store opens (the first-run window and the passphrase screen are already in the
chosen language and size), and none of it is secret. The PIN itself never comes here — its
salted hash lives in the encrypted store (:mod:`furano_meet.pin`); this file only says how long
the app may sit idle before it locks.

The file is ``<data dir>/preferences/<profile id>.json`` — beside the profile's folder rather
than in it, because wiping a profile removes exactly the files the store made and would refuse
to remove a folder holding a stranger. It is written atomically (a temporary file, fsync,
rename), so a crash leaves the old or the new preferences, never half of them. A missing or
unreadable file means the defaults: preferences are a comfort, never a reason not to start.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from furano_meet.store.layout import ProfilePaths, fsync_directory

log = logging.getLogger("furano.preferences")

LANGUAGES = ("system", "ja", "en")
"""``system`` follows the operating system's language (the default)."""
LOCK_MINUTES = (0, 5, 10, 30)
"""The idle times the settings offer before the app locks (0: never)."""
LARGE_TEXT_SCALE = 1.3
"""How much larger every text is in large-text mode."""


@dataclass(frozen=True, slots=True)
class Preferences:
    language: str = "system"
    large_text: bool = False
    high_contrast: bool = False
    lock_minutes: int = 0
    """Lock after this many idle minutes (only once a PIN is set); 0 never locks."""

    @property
    def text_scale(self) -> float:
        return LARGE_TEXT_SCALE if self.large_text else 1.0

    def with_(self, **changes: Any) -> Preferences:
        """A copy with ``changes`` (checked as :func:`from_json` checks a file)."""
        return checked(replace(self, **changes))


def checked(prefs: Preferences) -> Preferences:
    """Unknown values fall back to their default, one field at a time."""
    default = Preferences()
    if prefs.language not in LANGUAGES:
        prefs = replace(prefs, language=default.language)
    if prefs.lock_minutes not in LOCK_MINUTES:
        prefs = replace(prefs, lock_minutes=default.lock_minutes)
    for name in ("large_text", "high_contrast"):
        if not isinstance(getattr(prefs, name), bool):
            prefs = replace(prefs, **{name: getattr(default, name)})
    return prefs


def from_json(text: str) -> Preferences:
    """Read what :func:`to_json` wrote; unknown keys are ignored (a newer app's file)."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("preferences must be a JSON object")
    known = {f.name for f in fields(Preferences)}
    return checked(Preferences(**{k: v for k, v in data.items() if k in known}))


def to_json(prefs: Preferences) -> str:
    return json.dumps(asdict(prefs), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def preferences_path(data: Path | str | None, profile: str) -> Path:
    """Where ``profile``'s preferences live under the data folder (the default one if None)."""
    return beside(ProfilePaths.for_profile(data, profile).root)


def beside(profile_directory: Path) -> Path:
    """The preferences file of the profile whose folder is ``profile_directory``."""
    data = profile_directory.parent.parent
    return data / "preferences" / f"{profile_directory.name}.json"


def load(path: Path) -> Preferences:
    """The saved preferences, or the defaults when there are none or they cannot be read."""
    try:
        return from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Preferences()
    except (OSError, ValueError, TypeError) as exc:
        log.warning("preferences %s unreadable (%s); using the defaults", path, exc)
        return Preferences()


def save(path: Path, prefs: Preferences) -> None:
    """Write atomically: the old file stays whole until the new one is on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=path.name, suffix=".tmp", delete=False
    ) as out:
        out.write(to_json(prefs))
        out.flush()
        os.fsync(out.fileno())
    os.replace(out.name, path)
    fsync_directory(path.parent)
