"""``furano-relay``: run the relay, or administer its organisation, users, devices and meetings.

Admin commands write to the same database as a running relay; the relay notices within half a
second (a revoked device is disconnected, a removed member leaves the room).  Secrets are printed
once — enrolment codes here, device tokens only to the enrolling device — and never logged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sqlite3
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from furano_meet.errors import FuranoError, print_error
from furano_meet.protocol import messages as m

from .config import RelayConfig
from .relay import run_relay
from .store import Store, storage_failure

DEFAULT_DATA = Path("relay-data")


def _store(args: argparse.Namespace) -> Store:
    store = Store(Path(args.data) / "relay.sqlite3")
    store.open()
    return store


def _serve(args: argparse.Namespace) -> int:
    config = RelayConfig(
        data_dir=Path(args.data),
        host=args.host,
        port=args.port,
        tls_cert=Path(args.tls_cert) if args.tls_cert else None,
        tls_key=Path(args.tls_key) if args.tls_key else None,
    )
    if (config.tls_cert is None) != (config.tls_key is None):
        print("Give both --tls-cert and --tls-key, or neither.", file=sys.stderr)
        return 2
    if config.tls_cert is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            "WARNING: serving without TLS on a non-loopback address; devices will send their "
            "tokens in the clear. Use --tls-cert/--tls-key (or a TLS-terminating proxy).",
            file=sys.stderr,
        )
    try:
        asyncio.run(run_relay(config, ready=lambda r: print(f"Relay ready at {r.url}", flush=True)))
    except KeyboardInterrupt:
        pass
    except (OSError, sqlite3.Error) as exc:
        reason = storage_failure(exc)
        if reason is None and not isinstance(exc, sqlite3.Error):
            reason = f"Cannot start the relay: {exc}"
        print(reason or f"Cannot open the relay database: {exc}", file=sys.stderr)
        return 1
    return 0


def _admin(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        match args.command:
            case "create-org":
                store.create_org(args.org_id, args.name)
            case "add-user":
                store.add_user(args.user_id, args.org_id, args.display_name, args.role)
            case "enrolment-code":
                code = store.issue_enrolment_code(args.user_id, timedelta(hours=args.ttl_hours))
                org = store.org_of_user(args.user_id)
                fingerprint = store.root_fingerprint(org)
                # The fingerprint travels with the code (on paper), so the app can detect a
                # relay that substitutes keys: see docs/security.md.
                print(f"{code}/{fingerprint}" if fingerprint else code)
            case "set-root-fingerprint":
                store.set_root_fingerprint(args.org_id, args.fingerprint)
            case "revoke-device":
                store.revoke_device(args.device_id)
            case "list-devices":
                for row in store.list_devices(args.user):
                    print("\t".join(row))
            case "create-meeting":
                store.create_meeting(
                    args.meeting_id, args.org_id, args.title, args.starts_at, args.expires_at
                )
            case "set-members":
                store.set_members(args.meeting_id, args.user_ids)
            case _:  # pragma: no cover - argparse restricts the choices
                return 2
    except FuranoError:
        raise  # main() presents it
    except Exception as exc:  # sqlite3.IntegrityError for duplicates, for instance
        print(f"Could not {args.command}: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    with contextlib.suppress(KeyboardInterrupt):
        data = Path("data/demo") if args.data == str(DEFAULT_DATA) else Path(args.data)
        asyncio.run(run_demo(data, args.port))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="furano-relay", description=__doc__)
    parser.add_argument(
        "--data", default=str(DEFAULT_DATA), help="data directory (default: %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the relay")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--tls-cert", help="PEM certificate chain: serve wss://")
    serve.add_argument("--tls-key", help="PEM private key for --tls-cert")

    demo = sub.add_parser("demo", help="seed a demo council meeting and run the relay")
    demo.add_argument("--port", type=int, default=8765)

    p = sub.add_parser("create-org", help="create an organisation")
    p.add_argument("org_id")
    p.add_argument("name")
    p = sub.add_parser("add-user", help="add a user to an organisation")
    p.add_argument("org_id")
    p.add_argument("user_id")
    p.add_argument("display_name")
    p.add_argument("--role", choices=m.ROLES, default="member")
    p = sub.add_parser(
        "enrolment-code",
        help="(legacy: devices enrolled this way are never auto-certified) issue a one-time "
        "device enrolment code; use `furano-meet invite` on the administrator's device instead",
    )
    p.add_argument("user_id")
    p.add_argument("--ttl-hours", type=float, default=72.0)
    p = sub.add_parser(
        "set-root-fingerprint",
        help="record the organisation root key's fingerprint (printed with enrolment codes)",
    )
    p.add_argument("org_id")
    p.add_argument("fingerprint")
    p = sub.add_parser("revoke-device", help="revoke a device (it is disconnected at once)")
    p.add_argument("device_id")
    p = sub.add_parser("list-devices", help="list devices")
    p.add_argument("--user")
    p = sub.add_parser("create-meeting", help="create a meeting")
    p.add_argument("org_id")
    p.add_argument("meeting_id")
    p.add_argument("title")
    p.add_argument("--starts-at", default="")
    p.add_argument(
        "--expires-at", default="", help="閲覧期限: ISO date after which clients shred it"
    )
    p = sub.add_parser("set-members", help="replace a meeting's member list")
    p.add_argument("meeting_id")
    p.add_argument("user_ids", nargs="+")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "demo":
            return _demo(args)
        return _admin(args)
    except FuranoError as exc:  # the one place: message and next step, never a traceback
        return print_error(exc, sys.stderr)
