"""Catch-up of signed annotation ops through the real engine and the real relay (issue #8).

Theory of operation
-------------------
:mod:`bench.signed_ops` measures the crypto objects; this measures what a device actually
does. Four engines (the clerk's and three members') write 1,000 shared notes (signed at send time, chained per
stream) to the real relay (in process, on loopback). A fifth member's engine then catches
up: :meth:`~furano_meet.sync.notes.Notes.fetch` from the start of the log — fetch pages,
verify, decrypt, decode, let through the op ledger, store in SQLCipher — timed per round
after its ledger and notes are cleared, so every round is a first catch-up:

* **signed, chained** — what the engine does (``fetch_ops`` with ``"heads"``: one signature
  per stream and page, :func:`~furano_meet.crypto.signed_ops.verify_op_chain`);
* **signed, per op** — the same with every signature fetched and verified (``"all"``);
* **unsigned (baseline)** — the same engine path with signature and chain checks left out
  (the headers are trusted as they come, :meth:`SignedKind.vouched`): what catching up costs
  without signing, everything else — relay, frames, decryption, ledger, store — the same.

Rounds alternate after a warm-up; medians are reported with the ratio to the baseline
(issue #8's target ≤ 1.5×). Run it niced and small: ``nice -n 10 python -m
bench.signed_catch_up --quick``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.client_fixtures import memory_keyring
from furano_meet.annotations import AnnotationBody, StickyNote
from furano_meet.crypto import DeviceCertificate
from furano_meet.crypto.authority import TrustAnchor
from furano_meet.crypto.signed_ops import KIND, VerifiedOp, _checked, verify_op
from furano_meet.pagespace import Point
from furano_meet.protocol import messages as m
from furano_meet.store import LocalStore
from furano_meet.store.records import Visibility
from furano_meet.sync import ledger
from furano_meet.sync.account import Account, Invitation, create_org_root, enrol
from furano_meet.sync.admin import invite
from furano_meet.sync.backoff import Backoff
from furano_meet.sync.engine import SyncEngine
from furano_meet.sync.pending_ops import PendingOp, sign_and_keep
from server import demo
from server.config import RelayConfig
from server.relay import Relay

MEETING = demo.MEETING_ID
WRITERS = ("giin1", "giin2", "iincho")
READER = "giin3"
NOTE_TEXT = "第12号議案について、委員会での修正案に反対する理由を記す。" * 5  # ~300 B


async def _until(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


class _Council:
    def __init__(self, relay: Relay, root: Path) -> None:
        self.relay, self.root = relay, root
        self.fingerprint = ""
        self.admin_store: LocalStore
        self.engines: list[tuple[SyncEngine, asyncio.Task[None], LocalStore]] = []

    async def device(self, user_id: str, *, admin: bool = False) -> tuple[SyncEngine, LocalStore]:
        store = LocalStore.open(self.root / user_id, user_id)
        if admin:
            self.fingerprint = create_org_root(store)
            await self.relay.store.run(
                self.relay.store.set_root_fingerprint, "furano", self.fingerprint
            )
        if admin:  # the administrator's own first device: a relay-made code (the bootstrap)
            code = await self.relay.store.run(self.relay.store.issue_enrolment_code, user_id)
            invitation = Invitation(code, self.fingerprint)
        else:  # everyone else: an invitation signed on the administrator's device
            account = Account.load(self.admin_store)
            assert account is not None
            role = next(r for u, _, r in demo.PEOPLE if u == user_id)
            invitation = await invite(account, self.admin_store, user_id, role)
        await enrol(store, self.relay.url, invitation, user_id)
        if admin:
            self.admin_store = store
        engine = SyncEngine(store, auto_certify=admin, backoff=Backoff(base=0.05, cap=0.5))
        task = asyncio.create_task(engine.run())
        self.engines.append((engine, task, store))
        await engine.wait_online()
        return engine, store

    async def close(self) -> None:
        for engine, task, store in self.engines:
            await engine.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            store.close()


@contextlib.contextmanager
def _unsigned() -> Iterator[None]:
    """The baseline: headers trusted as they come — no signature, no chain check."""
    real = ledger.verify_page

    def trusting(
        meeting_id: str,
        ops: tuple[m.LoggedOp, ...],
        certificates: dict[str, DeviceCertificate],
        anchor: TrustAnchor,  # noqa: ARG001 - the signature of the function it stands in for
    ) -> list[tuple[m.LoggedOp, VerifiedOp]]:
        out = []
        for op in ops:
            cert = certificates[KIND.signer_of(ledger.signed_bytes(op))]
            out.append((op, _checked(KIND.vouched(op.header, cert), op.payload, meeting_id)))
        return out

    ledger.verify_page = trusting
    try:
        yield
    finally:
        ledger.verify_page = real


def _has_key(store: LocalStore) -> bool:
    meeting = store.meeting(MEETING)
    return meeting is not None and meeting.has_key


def _sent_all(store: LocalStore) -> bool:
    return store.outbox_size() == 0


def _forget(store: LocalStore) -> None:
    """(Store thread) Clear the reader's notes, ledger and cursor: the next fetch is a first."""
    db = store._db  # noqa: SLF001 - a benchmark resets what no app would
    with store.atomic():
        for table in ("annotations", "op_heads", "note_owners", "sync_cursors"):
            db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names


async def measure(*, quick: bool = False) -> dict[str, Any]:
    ops_total, rounds = (1_000, 2) if quick else (1_000, 5)
    with tempfile.TemporaryDirectory() as tmp, memory_keyring():
        config = RelayConfig(data_dir=Path(tmp) / "relay", port=0, min_free_bytes=0)
        async with Relay(config) as relay:
            await relay.store.run(demo.seed, relay.store)
            council = _Council(relay, Path(tmp) / "devices")
            try:
                await council.device("admin", admin=True)
                clerk = await council.device("jimukyoku")
                writers = [clerk, *[await council.device(u) for u in WRITERS]]
                await clerk[0].create_meeting_key(MEETING)
                reader, reader_store = await council.device(READER)
                for _, store in [*writers, (reader, reader_store)]:
                    await _until(functools.partial(_has_key, store))
                written = time.perf_counter()
                body = AnnotationBody(StickyNote(Point(72, 72), NOTE_TEXT))
                for index in range(ops_total):
                    engine, _ = writers[index % len(writers)]
                    await engine.add_annotation(
                        MEETING, "pack", 1, index % 30, body, visibility=Visibility.SHARED
                    )
                for _, store in writers:
                    await _until(functools.partial(_sent_all, store))
                write_s = time.perf_counter() - written
                await _until(lambda: len(reader_store.annotations("pack", 1)) == ops_total)
                notes = reader._notes  # noqa: SLF001 - time the engine's own catch-up step
                conn = reader._ctx.conn  # noqa: SLF001
                assert conn is not None
                original_fetch = m.FetchOps

                async def catch_up(mode: str) -> float:
                    await reader._ctx.db(_forget, reader_store)  # noqa: SLF001
                    heads = "heads" if mode != "per_op" else "all"
                    m.FetchOps = _with_mode(original_fetch, heads)  # type: ignore[assignment,misc]
                    try:
                        started = time.perf_counter()
                        if mode == "unsigned":
                            with _unsigned():
                                await notes.fetch(conn, MEETING, from_start=True)
                        else:
                            await notes.fetch(conn, MEETING, from_start=True)
                        elapsed = time.perf_counter() - started
                    finally:
                        m.FetchOps = original_fetch  # type: ignore[misc]
                    count = len(reader_store.annotations("pack", 1))
                    assert count == ops_total, (mode, count)
                    return elapsed

                per_op_ms = await reader._ctx.db(_per_op_ms, reader_store, reader)  # noqa: SLF001
                modes = ["unsigned", "chained", "per_op"]
                times: dict[str, list[float]] = {mode: [] for mode in modes}
                for mode in modes:
                    await catch_up(mode)  # warm-up
                for index in range(rounds):
                    for mode in modes if index % 2 == 0 else list(reversed(modes)):
                        times[mode].append(await catch_up(mode))
            finally:
                await council.close()
    medians = {mode: statistics.median(t) * 1000 for mode, t in times.items()}
    return {
        "per_op_ms": per_op_ms,
        "ops": ops_total,
        "rounds": rounds,
        "write_1000_signed_ops_s": round(write_s, 2),
        "catch_up_ms": {k: round(v, 1) for k, v in medians.items()},
        "ratio_chained": round(medians["chained"] / medians["unsigned"], 2),
        "ratio_per_op": round(medians["per_op"] / medians["unsigned"], 2),
    }


def _per_op_ms(store: LocalStore, engine: SyncEngine, repeats: int = 50) -> dict[str, float]:
    """(Store thread) Sign-and-keep one op (what the outbox does before the first send: sign
    in this worker thread, counter and signed op committed together), and verify one."""
    account = engine.account
    cert = engine._keys._certificates[account.device_id]  # noqa: SLF001
    anchor = TrustAnchor(account.org_id, account.root_fingerprint)
    payload = b"\x00" * 420  # an encrypted ~300-byte note
    signs, verifies = [], []
    for n in range(repeats):
        op = PendingOp(f"b-{n}", f"b-{n}", MEETING, "pack", 1, 1, "private", "add", "")
        started = time.perf_counter()
        signed = sign_and_keep(store, op, payload, account.keys, cert)
        signs.append(time.perf_counter() - started)
        started = time.perf_counter()
        verify_op(signed, cert, anchor, payload=payload)
        verifies.append(time.perf_counter() - started)
    return {
        "sign_and_keep": round(statistics.median(signs) * 1000, 2),
        "verify": round(statistics.median(verifies) * 1000, 2),
    }


def _with_mode(cls: type[m.FetchOps], mode: str) -> Callable[..., m.FetchOps]:
    def make(**fields: Any) -> m.FetchOps:
        return cls(**{**fields, "signatures": mode})

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (smoke run)")
    args = parser.parse_args()
    print(asyncio.run(measure(quick=args.quick)))


if __name__ == "__main__":
    main()
