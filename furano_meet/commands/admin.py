"""The administrator's and clerk's commands: the organisation root, invitations, certifying
devices, and the meeting's signed roster."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from furano_meet.sync.account import create_org_root
from furano_meet.sync.admin import certified_devices, certify, invite, pending_devices
from furano_meet.sync.policy import ExportRule

from .common import load_account, online_engine, open_store, use_ca_file


async def invite_user(args: argparse.Namespace) -> int:
    """Sign an invitation on this (administrator's) device; print what the invitee pastes."""
    expires = int(time.time() + args.expires_hours * 3600)
    with open_store(args) as store:
        use_ca_file(args, store)
        made = await invite(load_account(store), store, args.user_id, args.role, expires_at=expires)
    until = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(made.link())
    print(made.text())
    print(
        f"Invitation for {args.user_id} ({args.role}), valid until {until}. Hand it to that "
        f"person only; on the new device: furano-meet enrol {made.relay_url} {made.text()}",
        file=sys.stderr,
    )
    return 0


def init_root(args: argparse.Namespace) -> int:
    """Make this profile the administrator's: it holds the organisation root key from now on."""
    with open_store(args) as store:
        if store.get_setting("org_root_key"):
            print("This profile already holds an organisation root key.", file=sys.stderr)
            return 1
        fingerprint = create_org_root(store)
    print(fingerprint)
    print(
        "Record it on the relay (furano-relay set-root-fingerprint ORG "
        f"{fingerprint}); it is printed with every enrolment code.",
        file=sys.stderr,
    )
    return 0


async def pending(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        use_ca_file(args, store)
        account = load_account(store)
        for device in await pending_devices(account, store):
            claimed = (
                f"claims {device.claimed_user_id} ({device.claimed_role})"
                if device.claimed_user_id
                else "no invitation"
            )
            print(
                f"{device.device_id}  relay: {device.user_id:<10} {device.role:<7} "
                f"{claimed}  {device.fingerprint}"
            )
            if device.device_name:  # shown only when the device's signed claim checks out
                print(f"    named {device.device_name!r} (signed by the device)")
            if device.problem:
                print(f"    not certified automatically: {device.problem}")
    return 0


async def certify_device(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        use_ca_file(args, store)
        done = await certify(load_account(store), store, args.device_id, args.fingerprint)
    named = f" named {done.device_name!r}" if done.device_name else ""
    print(f"Certified {done.device_id}{named} of {done.user_id} ({done.role}).")
    return 0


async def devices(args: argparse.Namespace) -> int:
    """(Administrator) The organisation's certified devices, by the name each certificate
    carries (verified here; a device certified before names shows none)."""
    with open_store(args) as store:
        use_ca_file(args, store)
        account = load_account(store)
    for device in await certified_devices(account):
        name = repr(device.device_name) if device.device_name else "(no name)"
        print(
            f"{device.device_id}  {name}  {device.user_id:<10} {device.role:<7} "
            f"{device.fingerprint}"
        )
    return 0


# -- roster (issue #8): membership is signed on the clerk's device, not set on the relay --------


async def roster(args: argparse.Namespace) -> int:
    """(Clerk/admin) Sign the meeting's roster: only these users' devices get its keys."""
    async with online_engine(args) as engine:
        version = await engine.set_roster(
            args.meeting_id,
            args.user_ids,
            note_editors=args.note_editor,
            export_allowed=args.export_allowed,
            committee=args.committee,
        )
        rule = await engine.export_rule(args.meeting_id)
        committee = await engine.committee(args.meeting_id)
    print(f"Roster {version} of {args.meeting_id} signed: {', '.join(sorted(set(args.user_ids)))}.")
    if committee is not None:
        print(f"Committee: {committee}")
    print(
        "Members may save annotated copies."
        if rule is not ExportRule.FORBIDDEN
        else "Members may not save annotated copies (export forbidden)."
    )
    print(
        "Removed someone? Rotate the meeting key so what follows is closed to them.",
        file=sys.stderr,
    )
    return 0
