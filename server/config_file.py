"""``relay.toml``: every :class:`~server.config.RelayConfig` setting, from a file an operator edits.

The file is flat: each key is a field of :class:`~server.config.RelayConfig` with a value of
that field's type (sizes in bytes, durations in seconds)::

    host = "0.0.0.0"
    port = 8443
    max_document = 1073741824      # 1 GiB
    max_connections_per_address = 200
    trusted_proxies = ["127.0.0.1"]

A misspelt key is refused with the nearest known one ("did you mean …"), and a value of the
wrong type names the key and the type expected: a typo must not silently leave a limit at its
default.  The data directory is not set here but with ``--data`` (one place for it, shared with
the admin commands).  Options given on the command line win over the file.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from furano_meet.errors import Fault, FuranoError

from .config import RelayConfig


class ConfigError(FuranoError):
    """The relay's configuration file cannot be used as written."""

    code = "relay_config_invalid"
    fault = Fault.USER

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}", next_step="Correct the file and start again.")


_NOT_IN_FILE = {"data_dir": "give the data directory with --data, not in the file"}


def _fields() -> dict[str, Any]:
    hints = typing.get_type_hints(RelayConfig)
    return {f.name: hints[f.name] for f in dataclasses.fields(RelayConfig)}


def _convert(path: Path, key: str, hint: Any, value: Any) -> Any:
    """``value`` as the field's type, or a :class:`ConfigError` naming the key."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if option is type(None):
            continue
        if option is Path and isinstance(value, str):
            return Path(value)
        if option is float and type(value) in (int, float):
            return float(value)
        if option is int and type(value) is int:
            return value
        if option in (str, bool) and type(value) is option:
            return value
        is_tuple = typing.get_origin(option) is tuple and isinstance(value, list)
        if is_tuple and all(isinstance(item, str) for item in value):
            return tuple(value)
    wanted = " or ".join(_type_name(o) for o in options if o is not type(None))
    raise ConfigError(str(path), f"{key} must be {wanted}, not {value!r}")


def _type_name(hint: Any) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    if hint is Path:
        return "a path (a string)"
    if typing.get_origin(hint) is tuple:
        return "a list of strings"
    return names.get(hint, str(hint))


def load_config(path: Path | None, data_dir: Path, **overrides: Any) -> RelayConfig:
    """The settings in ``path`` (if any) with ``overrides`` on top; an override of ``None``
    leaves the file's value (or the default)."""
    settings = {} if path is None else _read(path)
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return RelayConfig(data_dir=data_dir, **settings)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            raw = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(str(path), "no such file") from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"is not valid TOML ({exc})") from None
    fields = _fields()
    settings: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _NOT_IN_FILE:
            raise ConfigError(str(path), f"{key}: {_NOT_IN_FILE[key]}")
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(str(path), f"unknown setting {key!r}{hint}")
        settings[key] = _convert(path, key, fields[key], value)
    return settings
