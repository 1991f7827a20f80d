"""The documents on this device: publish one (encrypt, sign, upload), list them, search them;
the clerk's desk: withdraw one, and see who received which version (受領確認)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from furano_meet.errors import Fault, FuranoError
from furano_meet.store.records import DocumentState
from furano_meet.sync.delivery import DeliveryReport, DeviceReceipt, MemberDelivery
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import DocumentPublished, SyncEvent, UploadProgress

from .common import (
    load_account,
    online_engine,
    open_store,
    running,
    use_ca_file,
    wait_until_certified,
)
from .syncing import TransferProgress


class NotAMember(FuranoError):
    """The meeting named is not one this profile's user belongs to (or does not exist)."""

    code = "forbidden"
    fault = Fault.USER


class FileUnreadable(FuranoError):
    """The file given to publish cannot be read."""

    code = "file_unreadable"
    fault = Fault.USER


async def publish(args: argparse.Namespace) -> int:
    """(Clerk) Encrypt, sign and upload a PDF; creates the meeting key if the meeting has none."""
    path = Path(args.file)
    try:
        pdf = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise FileUnreadable(
            f"Cannot read {path}: {exc.strerror or exc}.", "Check the file's name and path."
        ) from exc
    with open_store(args) as store:
        use_ca_file(args, store)
        account = load_account(store)
        await wait_until_certified(store, account, args.timeout)
        engine = SyncEngine(store)
        async with running(engine):
            await engine.wait_online(args.timeout)
            meeting = await asyncio.to_thread(store.meeting, args.meeting_id)
            if meeting is None:
                raise NotAMember(
                    f"This profile's user is not a member of a meeting {args.meeting_id!r}.",
                    "Check the meeting id; the relay's administrator sets the members.",
                )
            if not meeting.has_key:
                print(f"Creating the meeting key for {args.meeting_id} …", flush=True)
                await engine.create_meeting_key(args.meeting_id)
            title = args.title or path.stem
            published: list[DocumentPublished] = []
            progress = TransferProgress()

            def observe(event: SyncEvent) -> None:
                if isinstance(event, DocumentPublished):
                    published.append(event)
                elif isinstance(event, UploadProgress):
                    progress(event)

            engine.subscribe(observe)
            print(f"Encrypting and uploading {path.name} ({len(pdf) / 1e6:.1f} MB) …", flush=True)
            info = await engine.publish_document(
                args.meeting_id,
                pdf,
                title=title,
                agenda_item=args.agenda_item,
                agenda_position=args.position,
                document_id=args.document_id,
                version=args.version,
                file_name=path.name,
            )
            await engine.events_delivered()
    print(f"Published {info.document_id} v{info.version} ({title}) to {args.meeting_id}.")
    if any("repaired" in e.warnings for e in published if e.document_id == info.document_id):
        print(
            f"Note: {path.name} was damaged and has been repaired; no page was lost, but check"
            " the original before the meeting.",
            file=sys.stderr,
        )
    return 0


def documents(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        for meeting in store.meetings():
            print(f"{meeting.meeting_id}  {meeting.title}")
            for doc in store.documents(meeting.meeting_id):
                state = "" if doc.state is DocumentState.COMPLETE else f" ({doc.state.value})"
                print(f"    {doc.doc_id} v{doc.version}  {doc.title}  {doc.page_count} p{state}")
    return 0


def search(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        for hit in store.search(args.query, limit=args.limit):
            snippet = "".join(f"【{text}】" if marked else text for text, marked in hit.fragments())
            print(f"{hit.doc_id} v{hit.version} p.{hit.page_no + 1}: {snippet}")
    return 0


async def withdraw(args: argparse.Namespace) -> int:
    """(Clerk) Withdraw every version of a document: members' devices stop offering it."""
    async with online_engine(args) as engine:
        await engine.withdraw_document(args.meeting_id, args.document_id)
    print(f"Withdrew {args.document_id} from {args.meeting_id}.")
    return 0


async def receipts(args: argparse.Namespace) -> int:
    """(Clerk/chair) Who received which version of each document, as the clerk's desk shows it."""
    async with online_engine(args) as engine:
        report = await engine.delivery(args.meeting_id)
    print("\n".join(delivery_lines(report)))
    return 0


def delivery_lines(report: DeliveryReport) -> list[str]:
    """The report as text: one block per document, one line per member of the roster."""
    lines = []
    if report.roster_version is None:
        lines.append("No signed roster yet: members are the relay's list.")
    if not report.documents:
        lines.append(f"No documents published in {report.meeting_id}.")
    for doc in report.documents:
        lines.append(f"{doc.document_id} v{doc.version}  {doc.title}")
        for member in doc.members:
            lines.append(f"    {_member_line(doc.version, member)}")
            lines += [f"        {_device_line(receipt)}" for receipt in member.devices]
    if report.dropped:
        lines.append(
            f"{report.dropped} receipt(s) did not check out and are not counted"
            " (the relay may be misbehaving: tell the IT department)."
        )
    return lines


def _device_line(receipt: DeviceReceipt) -> str:
    """One device's newest receipt, by the name its certificate carries (else its id)."""
    name = repr(receipt.device_name) if receipt.device_name else f"device {receipt.device_id}"
    signed = "signed" if receipt.verified else "unsigned"
    return f"on {name}: v{receipt.version} ({signed})"


def _member_line(latest: int, member: MemberDelivery) -> str:
    if member.latest_verified:
        state = f"has v{latest} (confirmed by the device)"
    elif member.has_latest:
        state = f"has v{latest} (unsigned: an older app, the relay's word only)"
    elif member.has_older is not None:
        state = f"has only v{member.has_older}, not v{latest} yet"
    else:
        state = "nothing yet"
    return f"{member.display_name} ({member.user_id}): {state}"
