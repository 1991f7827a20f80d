"""relay.toml: every RelayConfig field can be set; typos and wrong types are refused plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import RelayConfig
from server.config_file import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "relay.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_settings_map_onto_the_relay_config_and_the_command_line_wins(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'host = "0.0.0.0"\nport = 9000\nlogin_timeout = 5\nmax_document = 1073741824\n'
        'trusted_proxies = ["127.0.0.1"]\ntls_cert = "/etc/relay/cert.pem"\nping_interval = 10\n',
    )
    config = load_config(path, tmp_path / "data", port=443, host=None)
    assert config == RelayConfig(
        data_dir=tmp_path / "data",
        host="0.0.0.0",  # noqa: S104 - the file says so; None on the command line keeps it
        port=443,
        login_timeout=5.0,
        max_document=2**30,
        trusted_proxies=("127.0.0.1",),
        tls_cert=Path("/etc/relay/cert.pem"),
        ping_interval=10.0,
    )
    assert load_config(None, tmp_path, port=None) == RelayConfig(data_dir=tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("login_timout = 5\n", "unknown setting 'login_timout'; did you mean 'login_timeout'?"),
        ("colour = 'red'\n", "unknown setting 'colour'"),
        ("port = '8765'\n", "port must be an integer, not '8765'"),
        ("login_timeout = true\n", "login_timeout must be a number"),
        ("trusted_proxies = '127.0.0.1'\n", "trusted_proxies must be a list of strings"),
        ("data_dir = '/srv/relay'\n", "data_dir: give the data directory with --data"),
        ("port = \n", "is not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, text), tmp_path)
    assert message in refused.value.message
    assert refused.value.code == "relay_config_invalid" and refused.value.next_step


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml", tmp_path)
