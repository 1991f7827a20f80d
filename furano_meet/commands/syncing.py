"""``furano-meet sync``: run the sync engine and report what it does, with transfer progress."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable

from furano_meet.errors import Fault, FuranoError
from furano_meet.store import LocalStore
from furano_meet.sync.account import Account
from furano_meet.sync.certification import Certification, check_certification
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.events import (
    Connectivity,
    DocumentReady,
    DocumentRefused,
    DownloadProgress,
    StatusChanged,
    SyncEvent,
    UploadProgress,
)

from .common import (
    NotCertifiedYet,
    load_account,
    open_store,
    running,
    use_ca_file,
    waiting_for_certificate,
)


class ChangesNotSent(FuranoError):
    """``sync --once`` ran out of time with changes still in the outbox: not "up to date"."""

    code = "changes_not_sent"
    fault = Fault.ENVIRONMENT


class TransferProgress:
    """Prints the engine's transfer progress: one updating line on a terminal, else quarters."""

    def __init__(self, out: Callable[[str], None] = print, *, tty: bool | None = None) -> None:
        self.out = out
        self.tty = sys.stdout.isatty() if tty is None else tty
        self._shown: dict[tuple[str, int], int] = {}

    def __call__(self, event: DownloadProgress | UploadProgress) -> None:
        key = (event.document_id, event.version)
        done = event.received if isinstance(event, DownloadProgress) else event.sent
        verb = "downloading" if isinstance(event, DownloadProgress) else "uploading"
        percent = 100 * done // event.total if event.total else 0
        step = percent if self.tty else percent // 25 * 25
        if self._shown.get(key) == step:
            return
        self._shown[key] = step
        line = (
            f"{verb} {event.document_id} v{event.version}: {percent:3d}% "
            f"({done / 1e6:.1f} of {event.total / 1e6:.1f} MB)"
        )
        if self.tty:
            print(f"\r{line}", end="\n" if percent >= 100 else "", flush=True)
        else:
            self.out(line)


class SyncReport:
    """What ``furano-meet sync`` prints, and when it is done.

    The first time the engine is online it asks the relay whether this device is certified
    (and by the invitation's organisation): an uncertified device would otherwise print
    "Up to date." while nothing can ever arrive.
    """

    def __init__(self, account: Account, store: LocalStore, args: argparse.Namespace) -> None:
        self.account = account
        self.store = store
        self.once: bool = args.once
        self.expected: int = args.until_documents
        self.ready: set[str] = set()
        self.done = asyncio.Event()
        self.certification: asyncio.Task[Certification] | None = None
        self.progress = TransferProgress()
        self.last_online = ""
        self.pending = 0
        """Changes still to send, as of the last status: ``--once`` is done only at zero."""

    def state(self) -> Certification | None:
        task = self.certification
        if task is None or not task.done() or task.cancelled() or task.exception():
            return None
        return task.result()

    def failure(self) -> BaseException | None:
        task = self.certification
        if task is None or not task.done() or task.cancelled():
            return None
        return task.exception()

    def _online(self, message: str) -> None:
        if self.state() is Certification.WAITING:
            message = f"Connected; {waiting_for_certificate(self.account)}."
        print(f"[{Connectivity.ONLINE.value}] {message}", flush=True)
        if self.once and not self.expected and not self.pending:
            self.done.set()

    def _checked(self, task: asyncio.Task[Certification]) -> None:
        if task.cancelled() or task.exception() is not None:
            self.done.set()  # sync() raises it for main() to present
            return
        self._online(self.last_online)

    def __call__(self, event: SyncEvent) -> None:
        match event:
            case StatusChanged(status=status) if status.connectivity is Connectivity.ONLINE:
                self.last_online = status.message
                self.pending = status.pending_ops
                if self.certification is None:
                    self.certification = asyncio.create_task(
                        check_certification(self.account, self.store)
                    )
                    self.certification.add_done_callback(self._checked)
                elif self.certification.done():
                    self._online(status.message)
            case StatusChanged(status=status):
                print(f"[{status.connectivity.value}] {status.message}", flush=True)
            case DownloadProgress():
                self.progress(event)
            case DocumentReady():
                print(f"document ready: {event.document_id} v{event.version} {event.title}")
                self.ready.add(event.document_id)
                if self.expected and len(self.ready) >= self.expected:
                    self.done.set()
            case DocumentRefused():
                print(f"document REFUSED: {event.document_id}: {event.reason}", flush=True)
            case _:
                pass


async def sync(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        use_ca_file(args, store)
        account = load_account(store)
        engine = SyncEngine(store, auto_certify=args.certify)
        report = SyncReport(account, store, args)
        unsubscribe = engine.subscribe(report)
        async with running(engine) as task:
            try:
                if args.once or args.until_documents:
                    async with asyncio.timeout(args.timeout):
                        await report.done.wait()
                else:
                    waiting = asyncio.ensure_future(report.done.wait())
                    await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
                    waiting.cancel()
            except TimeoutError:
                if report.state() is Certification.WAITING:
                    raise NotCertifiedYet(
                        f"Timed out {waiting_for_certificate(account)}.",
                        "Ask the administrator to certify this device, then sync again.",
                    ) from None
                if report.pending:
                    raise ChangesNotSent(
                        f"Timed out with {report.pending} change(s) not yet sent to the relay.",
                        "They are kept on this device and sent at the next sync.",
                    ) from None
                raise
            finally:
                unsubscribe()  # stopping is not "offline": say nothing more
                if report.certification is not None and not report.certification.done():
                    report.certification.cancel()
                    with contextlib.suppress(asyncio.CancelledError, FuranoError):
                        await report.certification
        if failure := report.failure():
            raise failure
    return 0
