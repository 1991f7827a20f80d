"""What signing annotation ops costs: per op, and for a catch-up of 1,000 ops.

Theory of operation
-------------------
Issue #8 signs every annotation op on the author's device (:mod:`furano_meet.crypto.signed_ops`)
with the device's hybrid key (Ed25519 + ML-DSA-65). This measures, on the client alone (no relay,
no store — the engine does not sign ops yet), in one run:

* **sign** — :func:`~furano_meet.crypto.signed_ops.sign_op` of one op (the payload already
  encrypted), against :func:`~furano_meet.crypto.annotations.encrypt_annotation` of it;
* **verify** — :func:`~furano_meet.crypto.signed_ops.verify_op` with the author's certificate
  already verified once (what a catch-up does: a handful of authors, many ops), and with the
  certificate bytes checked again on every op (what it must not do);
* **catch-up of 1,000 ops** — what a device does per op it fetches: *unsigned* (today) =
  decrypt the payload and parse its JSON; *signed* = verify the op, decrypt, parse, check the
  payload's annotation id and feed the :class:`~furano_meet.crypto.signed_ops.OpLedger`. The
  ops come from 4 authors, 1 add : 2 updates, shared notes of ~300 bytes. Issue #8's target for
  the whole catch-up is ≤ 1.5× the unsigned one; network, store writes and redraws (which this
  leaves out and which signing does not change, bar the bytes) only dilute the ratio, so the
  crypto-alone ratio here is an upper bound on the CPU side. The bytes are reported separately:
  each op grows by its signature.
* **catch-up through the relay** — the same 1,000 ops appended to the real relay (its own
  process, :class:`~bench.processes.ServerProcess`) by one member and fetched with ``fetch_ops``
  by another, over loopback, decoded by the protocol's own session and then processed as above.
  *Signed* ops carry their signed header inside the payload (``b"FMbn" [signed, payload]``), the
  bytes a protocol-1.3 ``signed`` field would add. This is the figure issue #8's ≤ 1.5× target
  is about; it still leaves out the store writes, which signing does not change.
* **Ed25519 alone** — the same sign/verify with the classical half only, as the reference for
  the "cheaper op suite" option in ``docs/trust.md``.

Signed and unsigned catch-ups alternate for a few rounds after a warm-up; medians are reported.
Run it niced: ``nice -n 10 python -m bench.signed_ops --quick``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from furano_meet.crypto import (
    DeviceCertificate,
    DeviceKeys,
    MeetingKey,
    OrgRootKey,
    decrypt_annotation,
    encrypt_annotation,
    framing,
    issue_device_certificate,
    verify_device_certificate,
)
from furano_meet.crypto.authority import TrustAnchor
from furano_meet.crypto.signed_ops import (
    OpHeader,
    OpKind,
    OpLedger,
    op_id_for,
    require_payload_annotation,
    sign_op,
    verify_op,
)
from furano_meet.protocol import messages as m

from . import report
from .council import MEETING_ID, seed_council
from .processes import ServerProcess
from .wire import Wire, ask, open_wire

ORG = "furano-city"
MEETING = MEETING_ID
AUTHORS = 4
NOTE_TEXT = "第12号議案について、委員会での修正案に反対する理由を記す。" * 5  # ~300 bytes of UTF-8


@dataclass(frozen=True, slots=True)
class Plan:
    ops: int
    rounds: int
    singles: int


FULL = Plan(ops=1_000, rounds=5, singles=300)
QUICK = Plan(ops=1_000, rounds=2, singles=50)


@dataclass(frozen=True, slots=True)
class Author:
    keys: DeviceKeys
    cert: DeviceCertificate
    cert_bytes: bytes


@dataclass(frozen=True, slots=True)
class LoggedOp:
    """One op as a catch-up receives it: the signed header and the encrypted payload."""

    op_id: str
    signed: bytes
    payload: bytes
    author: int


def _council(count: int) -> tuple[TrustAnchor, list[Author]]:
    root = OrgRootKey.generate()
    authors = []
    for index in range(count):
        keys = DeviceKeys.generate()
        cert_bytes = issue_device_certificate(
            root,
            org_id=ORG,
            user_id=f"giin{index}",
            device_id=f"giin{index}-tablet",
            role="member",
            public_bundle=keys.public_bundle(),
        )
        authors.append(
            Author(keys, verify_device_certificate(cert_bytes, root.fingerprint()), cert_bytes)
        )
    return TrustAnchor(ORG, root.fingerprint()), authors


def _log(count: int, authors: list[Author], key: MeetingKey) -> list[LoggedOp]:
    """``count`` ops in log order: each author adds a note, then updates it twice, and so on."""
    log: list[LoggedOp] = []
    counters = [0] * len(authors)
    for index in range(count):
        who = index % len(authors)
        round_ = index // len(authors)
        note = f"a-{who}-{round_ // 3}"
        kind: OpKind = "add" if round_ % 3 == 0 else "update"
        counters[who] += 1
        op_id = op_id_for(note, kind, counters[who])
        body = json.dumps(
            {"annotation_id": note, "content": {"text": NOTE_TEXT, "page": 3}}, ensure_ascii=False
        ).encode()
        payload = encrypt_annotation(body, key, meeting_id=MEETING, annotation_id=op_id)
        header = OpHeader(op_id, note, MEETING, "d-agenda", 1, 3, kind, "shared", counters[who])
        author = authors[who]
        log.append(
            LoggedOp(op_id, sign_op(header, payload, author.keys, author.cert), payload, who)
        )
    return log


def _unsigned_catch_up(log: list[LoggedOp], key: MeetingKey) -> None:
    """Today's per-op work: decrypt (the relay's op id is the AAD's annotation id) and parse."""
    for entry in log:
        json.loads(
            decrypt_annotation(entry.payload, key, meeting_id=MEETING, annotation_id=entry.op_id)
        )


def _signed_catch_up(
    log: list[LoggedOp], key: MeetingKey, authors: list[Author], anchor: TrustAnchor
) -> None:
    ledger = OpLedger()
    for entry in log:
        op = verify_op(entry.signed, authors[entry.author].cert, anchor, payload=entry.payload)
        plain = decrypt_annotation(
            entry.payload, key, meeting_id=MEETING, annotation_id=op.header.op_id
        )
        require_payload_annotation(op, json.loads(plain)["annotation_id"])
        ledger.accept(op)


_BUNDLE = b"FMbn"
APPEND_BATCH = 100


def _new_ops(log: list[LoggedOp], *, signed: bool, prefix: str) -> list[m.NewOp]:
    return [
        m.NewOp(
            op_id=f"{prefix}{entry.op_id}",
            document_id="d-agenda",
            version=1,
            page=3,
            visibility="shared",
            kind="add",
            payload=framing.encode(_BUNDLE, entry.signed, entry.payload)
            if signed
            else entry.payload,
        )
        for entry in log
    ]


async def _fetch_all(reader: Wire, first: int, last: int) -> list[m.LoggedOp]:
    """Every op with ``first <= seq <= last``, paging as the engine does."""
    fetched: list[m.LoggedOp] = []
    since = first - 1
    while since < last:
        reply = await ask(reader, m.FetchOps(meeting_id=MEETING, since=since, limit=500))
        assert isinstance(reply, m.OpsFetched)
        fetched += [op for op in reply.ops if op.seq <= last]
        since = reply.last_seq
    return fetched


async def _relay_rounds(
    plan: Plan, log: list[LoggedOp], key: MeetingKey, authors: list[Author], anchor: TrustAnchor
) -> dict[str, list[float]]:
    """Append both sets of ops through the real relay, then time fetch + processing of each."""
    times: dict[str, list[float]] = {"unsigned": [], "signed": []}
    by_op_id = {entry.op_id: entry for entry in log}
    with tempfile.TemporaryDirectory() as tmp:
        council = seed_council(Path(tmp), 2)
        async with ServerProcess("relay", data_dir=tmp) as server:
            writer = await open_wire(server.url, council.members[0], join=MEETING)
            ranges: dict[str, tuple[int, int]] = {}
            for name in ("unsigned", "signed"):
                ops = _new_ops(log, signed=name == "signed", prefix=f"{name}-")
                seqs: list[int] = []
                for start in range(0, len(ops), APPEND_BATCH):
                    batch = tuple(ops[start : start + APPEND_BATCH])
                    reply = await ask(writer, m.AppendOps(meeting_id=MEETING, ops=batch))
                    assert isinstance(reply, m.OpsAppended)
                    seqs += [r.seq for r in reply.results]
                ranges[name] = (min(seqs), max(seqs))
            await writer.ws.close()
            reader = await open_wire(server.url, council.members[1], join=MEETING)

            async def unsigned() -> None:
                fetched = await _fetch_all(reader, *ranges["unsigned"])
                _unsigned_catch_up(
                    [by_op_id[op.op_id.removeprefix("unsigned-")] for op in fetched], key
                )

            async def signed() -> None:
                fetched = await _fetch_all(reader, *ranges["signed"])
                bundles = [framing.decode(op.payload, _BUNDLE, 2, "bench op") for op in fetched]
                authors_of = [by_op_id[op.op_id.removeprefix("signed-")].author for op in fetched]
                received = [
                    LoggedOp("", header, payload, who)
                    for (header, payload), who in zip(bundles, authors_of, strict=True)
                ]
                _signed_catch_up(received, key, authors, anchor)

            pair = [("unsigned", unsigned), ("signed", signed)]
            for _, run in pair:  # warm-up
                await run()
            for index in range(plan.rounds):
                for name, run in pair if index % 2 == 0 else reversed(pair):
                    started = time.perf_counter()
                    await run()
                    times[name].append(time.perf_counter() - started)
            await reader.ws.close()
    return times


def _per_call_ms(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _timed_s(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _crypto_alone(
    plan: Plan, log: list[LoggedOp], key: MeetingKey, authors: list[Author], anchor: TrustAnchor
) -> tuple[list[report.Row], dict[str, Any]]:
    first, author = log[0], authors[0]
    header = OpHeader("a-x", "a-x", MEETING, "d-agenda", 1, 3, "add", "shared", 1)
    body = json.dumps({"annotation_id": "a-x", "content": {"text": NOTE_TEXT}}).encode()

    encrypt_ms = _per_call_ms(
        lambda: encrypt_annotation(body, key, meeting_id=MEETING, annotation_id="a-x"), plan.singles
    )
    sign_ms = _per_call_ms(
        lambda: sign_op(header, first.payload, author.keys, author.cert), plan.singles
    )
    verify_ms = _per_call_ms(
        lambda: verify_op(first.signed, author.cert, anchor, payload=first.payload), plan.singles
    )
    verify_cert_ms = _per_call_ms(
        lambda: verify_op(first.signed, author.cert_bytes, anchor, payload=first.payload),
        plan.singles,
    )
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_public = ed_key.public_key()
    ed_signature = ed_key.sign(first.signed)
    ed_sign_ms = _per_call_ms(lambda: ed_key.sign(first.signed), plan.singles)
    ed_verify_ms = _per_call_ms(lambda: ed_public.verify(ed_signature, first.signed), plan.singles)

    unsigned_s: list[float] = []
    signed_s: list[float] = []
    _unsigned_catch_up(log, key)  # warm-up
    _signed_catch_up(log, key, authors, anchor)
    for index in range(plan.rounds):
        pair = [
            (unsigned_s, lambda: _unsigned_catch_up(log, key)),
            (signed_s, lambda: _signed_catch_up(log, key, authors, anchor)),
        ]
        for samples, action in pair if index % 2 == 0 else reversed(pair):
            samples.append(_timed_s(action))

    unsigned_bytes = sum(len(e.payload) for e in log)
    signed_bytes = sum(len(e.payload) + len(e.signed) for e in log)
    unsigned_med, signed_med = statistics.median(unsigned_s), statistics.median(signed_s)
    rows = [
        report.Row(
            "signed ops",
            f"catch-up of {plan.ops:,} ops, client crypto",
            "ms",
            unsigned_med * 1000,
            signed_med * 1000,
            "≤ 1.5×",
            1.5,
        ),
        report.Row("signed ops", "sign one op", "ms", encrypt_ms, sign_ms, ""),
        report.Row("signed ops", "verify one op", "ms", ed_verify_ms, verify_ms, ""),
        report.Row(
            "signed ops",
            f"bytes of {plan.ops:,} ops",
            "KiB",
            unsigned_bytes / 1024,
            signed_bytes / 1024,
            "",
        ),
    ]
    details = {
        "ops": plan.ops,
        "authors": AUTHORS,
        "rounds": plan.rounds,
        "catch_up_s": {"unsigned": unsigned_s, "signed": signed_s},
        "per_op_ms": {
            "encrypt": round(encrypt_ms, 4),
            "sign_hybrid": round(sign_ms, 4),
            "verify_hybrid_cached_cert": round(verify_ms, 4),
            "verify_hybrid_with_cert_check": round(verify_cert_ms, 4),
            "sign_ed25519_only": round(ed_sign_ms, 4),
            "verify_ed25519_only": round(ed_verify_ms, 4),
        },
        "bytes_per_op": {
            "payload": round(unsigned_bytes / plan.ops),
            "signed_header": round((signed_bytes - unsigned_bytes) / plan.ops),
        },
        "baselines": {
            "sign one op": "encrypt_annotation of the same note",
            "verify one op": "Ed25519 verify alone",
        },
    }
    return rows, details


async def measure(*, quick: bool = False) -> tuple[list[report.Row], dict[str, Any]]:
    """The :mod:`bench.run_all` entry point (the CPU-only part runs in a thread)."""
    plan = QUICK if quick else FULL
    anchor, authors = _council(AUTHORS)
    key = MeetingKey.generate(MEETING, epoch=1)
    log = await asyncio.to_thread(_log, plan.ops, authors, key)
    rows, details = await asyncio.to_thread(_crypto_alone, plan, log, key, authors, anchor)
    relay = await _relay_rounds(plan, log, key, authors, anchor)
    unsigned, signed = statistics.median(relay["unsigned"]), statistics.median(relay["signed"])
    rows.insert(
        0,
        report.Row(
            "signed ops",
            f"catch-up of {plan.ops:,} ops via the relay",
            "ms",
            unsigned * 1000,
            signed * 1000,
            "≤ 1.5×",
            1.5,
        ),
    )
    details["relay_catch_up_s"] = relay
    return rows, details


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (smoke run)")
    args = parser.parse_args()
    started = time.perf_counter()
    rows, details = asyncio.run(measure(quick=args.quick))
    seconds = time.perf_counter() - started
    report.write_json("signed_ops-quick" if args.quick else "signed_ops", rows, details, seconds)
    print(report.markdown_table(rows))
    print(json.dumps(details["per_op_ms"], indent=1), json.dumps(details["bytes_per_op"]))
    print(f"\nsigned_ops benchmark: {seconds:.1f} s")


if __name__ == "__main__":
    main()
