"""``furano-relay``: run the relay, or administer its organisation, users, devices and meetings.

Admin commands write to the same database as a running relay; the relay notices within half a
second (a revoked device is disconnected, a removed member leaves the room).  Secrets are printed
once — enrolment codes here, device tokens only to the enrolling device — and never logged.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from furano_meet.errors import Fault, FuranoError, print_error
from furano_meet.protocol import messages as m

from . import admin
from .admin import RelayStorageError, open_store, storage_error
from .backup import backup, restore
from .config import RelayConfig
from .config_file import load_config
from .relay import run_relay
from .store import storage_failure

DEFAULT_DATA = Path("relay-data")
LOW_PORTS = 1024


class BindFailed(FuranoError):
    """The relay cannot listen on the address and port it was given."""

    code = "bind_failed"
    fault = Fault.ENVIRONMENT


def bind_failure(exc: OSError, host: str, port: int) -> BindFailed | None:
    """A :class:`BindFailed` when ``exc`` came from binding the listening socket, else ``None``.

    Why not by errno alone: ``EACCES`` also means an unwritable data directory, which is a
    different fix. asyncio words every bind failure "error while attempting to bind".
    """
    if "attempting to bind" not in str(exc) and exc.errno != errno.EADDRINUSE:
        return None
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return BindFailed(
            f"Cannot listen on {where}: another program (or another relay) already uses it.",
            "Stop that program, or choose another --port.",
        )
    if exc.errno in (errno.EACCES, errno.EPERM) and port < LOW_PORTS:
        return BindFailed(
            f"Cannot listen on {where}: ports below {LOW_PORTS} need a privilege this user "
            "does not have.",
            "Give the relay the CAP_NET_BIND_SERVICE capability (systemd: "
            "AmbientCapabilities=CAP_NET_BIND_SERVICE), or serve on a high port such as 8765 "
            "behind a reverse proxy that listens on 443 and terminates TLS.",
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return BindFailed(
            f"Cannot listen on {where}: this machine has no such address.",
            "Use one of this machine's addresses for --host, or 0.0.0.0 for all of them.",
        )
    return BindFailed(f"Cannot listen on {where}: {exc.strerror or exc}.", "Check --host/--port.")


def _serve(args: argparse.Namespace) -> int:
    config = _serve_config(args)
    if (config.tls_cert is None) != (config.tls_key is None):
        print("Give both --tls-cert and --tls-key, or neither.", file=sys.stderr)
        return 2
    if config.tls_cert is None and config.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            "WARNING: serving without TLS on a non-loopback address; devices will send their "
            "tokens in the clear. Use --tls-cert/--tls-key (or a TLS-terminating proxy).",
            file=sys.stderr,
        )
    try:
        asyncio.run(run_relay(config, ready=lambda r: print(f"Relay ready at {r.url}", flush=True)))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        if failure := bind_failure(exc, config.host, config.port):
            raise failure from exc
        if storage_failure(exc) is None:  # a TLS file, say: the operating system's words
            raise RelayStorageError(
                "io_error", f"Cannot start the relay: {exc}.", "Check the paths given."
            ) from exc
        raise storage_error(exc, config.data_dir) from exc
    except sqlite3.Error as exc:
        raise storage_error(exc, config.data_dir) from exc
    return 0


def _admin(args: argparse.Namespace) -> int:
    with open_store(Path(args.data), create=args.command == "create-org") as store:
        admin.run(store, args)
    return 0


def _demo(args: argparse.Namespace) -> int:
    """The one demo (``python3 dev.py run``): it needs the client core for its embedded devices."""
    try:
        from furano_meet import demo
    except ModuleNotFoundError as exc:
        print(
            f"The demo needs the client core ({exc.name} is not installed): "
            "pip install 'furano-meet[client]'",
            file=sys.stderr,
        )
        return 1
    data = "data/demo" if args.data == str(DEFAULT_DATA) else args.data
    return demo.main(["--data", data, "--port", str(args.port), *(["-v"] if args.verbose else [])])


# -- operations: the config file, backup and restore (kept together, apart from the rest) -----


def _add_operations(sub: Any, serve: argparse.ArgumentParser) -> None:
    """``serve --config``, ``backup`` and ``restore``.

    ``--host``/``--port`` default to ``None`` here so that a value in the config file is not
    overridden by a default nobody typed; what neither sets keeps ``RelayConfig``'s default."""
    serve.add_argument("--config", help="relay.toml with limits and settings (see README)")
    serve.set_defaults(host=None, port=None)
    p = sub.add_parser(
        "backup", help="copy the relay's database and documents (safe while running)"
    )
    p.add_argument("dest", help="a new folder for the backup")
    p = sub.add_parser(
        "restore", help="build the --data folder from a backup (must be new or empty)"
    )
    p.add_argument("source", help="a folder 'backup' created")


def _serve_config(args: argparse.Namespace) -> RelayConfig:
    """The relay's settings: the config file (if any), then what the command line says."""
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "tls_cert": Path(args.tls_cert) if args.tls_cert else None,
        "tls_key": Path(args.tls_key) if args.tls_key else None,
    }
    config_file = Path(args.config) if args.config else None
    return load_config(config_file, Path(args.data), **options)


def _backup(args: argparse.Namespace) -> int:
    summary = backup(Path(args.data), Path(args.dest))
    print(
        f"Backed up {summary.documents} document version(s) "
        f"({summary.blobs} file(s), {summary.blob_bytes:,} bytes) to {args.dest}."
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    summary = restore(Path(args.source), Path(args.data))
    print(
        f"Restored {summary.documents} document version(s) into {args.data}; "
        f"start the relay with --data {args.data}."
    )
    return 0


OPERATIONS: dict[str, Callable[[argparse.Namespace], int]] = {
    "backup": _backup,
    "restore": _restore,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="furano-relay", description=__doc__)
    parser.add_argument(
        "--data", default=str(DEFAULT_DATA), help="data directory (default: %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    # --data is accepted after the subcommand too; given there, it wins.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", default=argparse.SUPPRESS, help="data directory")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, parents=[common])

    serve = add("serve", "run the relay")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--tls-cert", help="PEM certificate chain: serve wss://")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")
    _add_operations(sub, serve)

    demo = add("demo", "the demo council of `python3 dev.py run` (needs furano-meet[client])")
    demo.add_argument("--port", type=int, default=8765)

    p = add("create-org", "create an organisation")
    p.add_argument("org_id")
    p.add_argument("name")
    p = add("add-user", "add a user to an organisation")
    p.add_argument("org_id")
    p.add_argument("user_id")
    p.add_argument("display_name")
    p.add_argument("--role", choices=m.ROLES, default="member")
    p = add(
        "enrolment-code",
        "(legacy: devices enrolled this way are never auto-certified) issue a one-time device "
        "enrolment code; use `furano-meet invite` on the administrator's device instead",
    )
    p.add_argument("user_id")
    p.add_argument("--ttl-hours", type=float, default=72.0)
    p = add(
        "set-root-fingerprint",
        "record the organisation root key's fingerprint (printed with enrolment codes)",
    )
    p.add_argument("org_id")
    p.add_argument("fingerprint")
    p = add("revoke-device", "revoke a device (it is disconnected at once)")
    p.add_argument("device_id")
    p = add("list-devices", "list devices")
    p.add_argument("--user")
    p = add("create-meeting", "create a meeting")
    p.add_argument("org_id")
    p.add_argument("meeting_id")
    p.add_argument("title")
    p.add_argument("--starts-at", default="", help="ISO date or date-time")
    p.add_argument(
        "--expires-at",
        default="",
        help="閲覧期限: ISO date or date-time after which clients shred it",
    )
    p = add("set-members", "replace a meeting's member list")
    p.add_argument("meeting_id")
    p.add_argument("user_ids", nargs="+")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        return _demo(args)  # the demo sets up its own (quieter) logging
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command in OPERATIONS:
            return OPERATIONS[args.command](args)
        if args.command == "serve":
            return _serve(args)
        return _admin(args)
    except FuranoError as exc:  # the one place: message and next step, never a traceback
        return print_error(exc, sys.stderr)
