"""``furano-meet``: the client core from a terminal — enrol, sync, list, search.

For IT staff checking a deployment and for trying the demo before the desktop app exists.  It
uses exactly the code the app uses (store, sync engine), so what works here works there.

The local store's key normally lives in the OS keychain.  Where there is none (a server, CI),
the command says why and asks for a passphrase; ``FURANO_MEET_PASSPHRASE`` supplies it
non-interactively.

This module imports only the standard library and :mod:`furano_meet.errors`: ``--help`` works on
a bare ``pip install .`` (the relay's install), and a missing ``client`` extra becomes a one-line
hint instead of a ``ModuleNotFoundError``. The commands themselves live in
:mod:`furano_meet.commands`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from typing import Any

from furano_meet.errors import Fault, FuranoError, print_error

PASSPHRASE_ENV = "FURANO_MEET_PASSPHRASE"
CLIENT_MODULES = frozenset({"sqlcipher3", "pymupdf", "fitz", "keyring", "platformdirs"})
"""Top-level modules of the ``client`` extra (see pyproject.toml)."""


class ClientExtraMissing(FuranoError):
    """``furano-meet`` was installed without the ``client`` extra (the relay's install)."""

    code = "client_extra_missing"
    fault = Fault.ENVIRONMENT

    def __init__(self, module: str) -> None:
        super().__init__(
            f"furano-meet needs the client libraries ({module} is not installed).",
            "Install them with: pip install 'furano-meet[client]' "
            "(from a source checkout: pip install '.[client]').",
        )


def _add_trust_commands(sub: Any, tls: argparse.ArgumentParser) -> None:
    """Invitations, rosters and the recovery code (issues #8, #10): signed on a device, never
    made by the relay."""
    p = sub.add_parser(
        "invite", help="(administrator) sign an invitation for a user's new device", parents=[tls]
    )
    p.add_argument("user_id")
    p.add_argument("--role", required=True, choices=["admin", "clerk", "chair", "member"])
    p.add_argument("--expires-hours", type=float, default=72.0, help="valid for (default 72)")
    p = sub.add_parser("roster", help="(clerk) sign who the meeting's members are", parents=[tls])
    p.add_argument("meeting_id")
    p.add_argument("user_ids", nargs="+", metavar="USER")
    p.add_argument(
        "--note-editor",
        action="append",
        default=[],
        choices=["admin", "clerk", "chair", "member"],
        help="a role that may edit or delete other members' shared notes (repeatable)",
    )
    export = p.add_mutually_exclusive_group()
    export.add_argument(
        "--no-export",
        dest="export_allowed",
        action="store_false",
        default=None,
        help="forbid members to save annotated copies (e.g. a closed session)",
    )
    export.add_argument(
        "--allow-export",
        dest="export_allowed",
        action="store_true",
        help="allow annotated copies again (default: keep the previous roster's rule)",
    )
    p.add_argument(
        "--committee",
        default=None,
        help="the committee (会議体) the meeting belongs to, signed, e.g. 総務文教委員会"
        " (default: keep the previous roster's; '' removes it)",
    )
    p.add_argument("--timeout", type=float, default=60.0)
    p = sub.add_parser(
        "recovery-code",
        help="make the recovery code that keeps your private notes across a lost device",
        parents=[tls],
    )
    p.add_argument(
        "--replace", action="store_true", help="make a new code; the old one stops working"
    )
    p.add_argument("--timeout", type=float, default=60.0)
    p = sub.add_parser(
        "restore-notes", help="on a new device: restore private notes with the code", parents=[tls]
    )
    p.add_argument("code", help="the recovery code (8 groups of 5 characters)")
    p.add_argument("--timeout", type=float, default=60.0)


def _agenda_position(text: str) -> int:
    """``--position``: a non-negative whole number, refused by argparse otherwise."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a position (0, 1, 2, …)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="furano-meet",
        description="Furano Meet's client core from a terminal: enrol, sync, publish, search.",
        epilog=f"Without an OS keychain the key of the local store comes from a passphrase; "
        f"{PASSPHRASE_ENV} supplies it non-interactively.",
    )
    parser.add_argument("--data", help="data folder (default: the platform's user data folder)")
    parser.add_argument("--profile", default="default", help="profile name (one per person)")
    sub = parser.add_subparsers(dest="command", required=True)
    tls = argparse.ArgumentParser(add_help=False)
    tls.add_argument(
        "--ca-file",
        help="(wss:// relays) trust only this CA certificate (PEM) instead of the system's "
        "trust store; remembered in the profile",
    )
    p = sub.add_parser("enrol", help="enrol this device with a one-time invitation", parents=[tls])
    p.add_argument("relay", nargs="?", default="", help="relay address, e.g. wss://relay.example")
    p.add_argument(
        "invitation", help="CODE/ROOT-FINGERPRINT/ORG (or the invitation link) from the office"
    )
    p.add_argument(
        "--device-name",
        "--name",
        dest="device_name",
        default=None,
        help="what the administrator and the clerk's desk will call this device, e.g. "
        "'会議室タブレット 12' (at most 40 characters; default: this computer's host name)",
    )
    p = sub.add_parser("sync", help="sync with the relay (Ctrl+C to stop)", parents=[tls])
    p.add_argument("--once", action="store_true", help="stop once up to date")
    p.add_argument("--until-documents", type=int, default=0, help="stop after N documents")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument(
        "--certify",
        action="store_true",
        help="(administrator's profile) certify devices enrolled with an invitation made here",
    )
    sub.add_parser("init-root", help="make this profile the holder of the organisation root key")
    sub.add_parser("whoami", help="this device's identity, key fingerprint and certificate")
    p = sub.add_parser("wipe", help="wipe this profile: database, keychain entry, cached files")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    sub.add_parser(
        "pending", help="(administrator) devices waiting for a certificate", parents=[tls]
    )
    sub.add_parser(
        "devices", help="(administrator) the organisation's certified devices", parents=[tls]
    )
    p = sub.add_parser(
        "certify", help="(administrator) certify a device after comparing keys", parents=[tls]
    )
    p.add_argument("device_id")
    p.add_argument("fingerprint", help="the fingerprint `whoami` shows on that device")
    p = sub.add_parser(
        "publish",
        help="(clerk) encrypt, sign and publish a PDF; creates the meeting key",
        parents=[tls],
    )
    p.add_argument("meeting_id")
    p.add_argument("file", help="the PDF to publish")
    p.add_argument("--title", default="", help="the title members see (default: file name)")
    p.add_argument("--agenda-item", default="", help="e.g. 議案第12号")
    p.add_argument(
        "--position",
        type=_agenda_position,
        default=None,
        help="the item's place in the agenda (1, 2, …; signed, so the relay cannot reorder it)",
    )
    p.add_argument("--document-id", default=None, help="to publish a new version of one")
    p.add_argument("--version", type=int, default=1, help="1, or the next version (差し替え)")
    p.add_argument("--timeout", type=float, default=120.0)
    p = sub.add_parser(
        "withdraw", help="(clerk) withdraw every version of a document", parents=[tls]
    )
    p.add_argument("meeting_id")
    p.add_argument("document_id")
    p.add_argument("--timeout", type=float, default=120.0)
    p = sub.add_parser(
        "receipts", help="(clerk/chair) who received which version (受領確認)", parents=[tls]
    )
    p.add_argument("meeting_id")
    p.add_argument("--timeout", type=float, default=120.0)
    sub.add_parser("documents", help="list meetings and cached documents")
    p = sub.add_parser("search", help="full-text search over cached documents")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20)
    sub.add_parser(
        "recover",
        help="recover a damaged cache: keep what can be read, say what to ask the administrator",
    )
    _add_trust_commands(sub, tls)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        try:
            from furano_meet import commands as c
        except ModuleNotFoundError as exc:
            top = (exc.name or "").split(".")[0]
            if top not in CLIENT_MODULES:
                raise
            raise ClientExtraMissing(top) from exc
        match args.command:
            case "enrol":
                return asyncio.run(c.enrol_device(args))
            case "sync":
                with contextlib.suppress(KeyboardInterrupt):
                    return asyncio.run(c.sync(args))
                return 0
            case "publish":
                return asyncio.run(c.publish(args))
            case "withdraw":
                return asyncio.run(c.withdraw(args))
            case "receipts":
                return asyncio.run(c.receipts(args))
            case "documents":
                return c.documents(args)
            case "init-root":
                return c.init_root(args)
            case "whoami":
                return asyncio.run(c.whoami(args))
            case "wipe":
                return c.wipe(args)
            case "pending":
                return asyncio.run(c.pending(args))
            case "devices":
                return asyncio.run(c.devices(args))
            case "certify":
                return asyncio.run(c.certify_device(args))
            case "recover":
                return c.recover(args)
            case "invite":
                return asyncio.run(c.invite_user(args))
            case "roster":
                return asyncio.run(c.roster(args))
            case "recovery-code":
                return asyncio.run(c.recovery_code(args))
            case "restore-notes":
                return asyncio.run(c.restore_notes(args))
            case _:
                return c.search(args)
    except FuranoError as exc:  # the one place: message and next step, never a traceback
        return print_error(exc, sys.stderr)
    except TimeoutError:
        print("Timed out waiting for the relay.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
