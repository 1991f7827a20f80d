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
import functools
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
    KIND,
    OpHeader,
    OpKind,
    OpLedger,
    VerifiedOp,
    op_id_for,
    require_payload_annotation,
    sign_op,
    signed_op_hash,
    verify_op,
    verify_op_chain,
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
    """One op as its author made it: the signed header and the encrypted payload."""

    op_id: str
    signed: bytes
    payload: bytes
    author: int


@dataclass(frozen=True, slots=True)
class Received:
    """One op as a catch-up receives it: the op id in clear, the payload field, the author."""

    op_id: str
    wire: bytes
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
    previous = [""] * len(authors)
    for index in range(count):
        who = index % len(authors)
        round_ = index // len(authors)
        note = f"a-{who}-{round_ // 3}"
        kind: OpKind = "add" if round_ % 3 == 0 else "update"
        counters[who] += 1
        op_id = op_id_for(note, kind)
        body = json.dumps(
            {"annotation_id": note, "content": {"text": NOTE_TEXT, "page": 3}}, ensure_ascii=False
        ).encode()
        payload = encrypt_annotation(body, key, meeting_id=MEETING, annotation_id=op_id)
        header = OpHeader(
            op_id, note, MEETING, "d-agenda", 1, 3, kind, "shared", counters[who], previous[who]
        )
        author = authors[who]
        signed = sign_op(header, payload, author.keys, author.cert)
        previous[who] = signed_op_hash(signed)
        log.append(LoggedOp(op_id, signed, payload, who))
    return log


# --- the three ways an op can travel, and what a catch-up does with each ----------------------

_SIGNED = b"FMbn"
_CHAINED = b"FMbc"


def _wire_forms(log: list[LoggedOp]) -> dict[str, list[Received]]:
    """The payload field of each op: unsigned (today); with its signed header; chained (the
    header body, and a signature only on each author's last op)."""
    last_of = {entry.author: index for index, entry in enumerate(log)}
    forms: dict[str, list[Received]] = {"unsigned": [], "signed": [], "chain": []}
    for index, entry in enumerate(log):
        body, signature = KIND.split(entry.signed)
        head = signature if last_of[entry.author] == index else b""
        for name, wire in (
            ("unsigned", entry.payload),
            ("signed", framing.encode(_SIGNED, entry.signed, entry.payload)),
            ("chain", framing.encode(_CHAINED, body, head, entry.payload)),
        ):
            forms[name].append(Received(entry.op_id, wire, entry.author))
    return forms


def _unsigned_catch_up(ops: list[Received], key: MeetingKey) -> None:
    """Today's per-op work: decrypt (the relay's op id is the AAD's annotation id) and parse."""
    for op in ops:
        json.loads(decrypt_annotation(op.wire, key, meeting_id=MEETING, annotation_id=op.op_id))


def _apply(verified: list[tuple[VerifiedOp, bytes]], key: MeetingKey) -> None:
    """After verification: decrypt, check the payload's annotation id, feed the ledger."""
    ledger = OpLedger()
    for op, payload in verified:
        plain = decrypt_annotation(payload, key, meeting_id=MEETING, annotation_id=op.header.op_id)
        require_payload_annotation(op, json.loads(plain)["annotation_id"])
        ledger.accept(op)


def _signed_catch_up(
    ops: list[Received], key: MeetingKey, authors: list[Author], anchor: TrustAnchor
) -> None:
    verified = []
    for op in ops:
        signed, payload = framing.decode(op.wire, _SIGNED, 2, "bench op")
        cert = authors[op.author].cert
        verified.append((verify_op(signed, cert, anchor, payload=payload), payload))
    _apply(verified, key)


def _chain_catch_up(
    ops: list[Received], key: MeetingKey, authors: list[Author], anchor: TrustAnchor
) -> None:
    parts = [framing.decode(op.wire, _CHAINED, 3, "bench op") for op in ops]
    by_author: dict[int, list[int]] = {}
    for index, op in enumerate(ops):
        by_author.setdefault(op.author, []).append(index)
    verified: dict[int, VerifiedOp] = {}
    for who, indices in by_author.items():
        chain = verify_op_chain(
            [parts[i][0] for i in indices],
            [parts[i][2] for i in indices],
            parts[indices[-1]][1],
            authors[who].cert,
            anchor,
        )
        verified.update(zip(indices, chain, strict=True))
    _apply([(verified[i], parts[i][2]) for i in range(len(ops))], key)


APPEND_BATCH = 100


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


def _catch_ups(
    key: MeetingKey, authors: list[Author], anchor: TrustAnchor
) -> dict[str, Callable[[list[Received]], None]]:
    return {
        "unsigned": lambda ops: _unsigned_catch_up(ops, key),
        "signed": lambda ops: _signed_catch_up(ops, key, authors, anchor),
        "chain": lambda ops: _chain_catch_up(ops, key, authors, anchor),
    }


async def _relay_rounds(
    plan: Plan,
    forms: dict[str, list[Received]],
    catch_ups: dict[str, Callable[[list[Received]], None]],
) -> dict[str, list[float]]:
    """Append every form of the ops through the real relay, then time fetch + processing."""
    times: dict[str, list[float]] = {name: [] for name in forms}
    with tempfile.TemporaryDirectory() as tmp:
        council = seed_council(Path(tmp), 2)
        async with ServerProcess("relay", data_dir=tmp) as server:
            writer = await open_wire(server.url, council.members[0], join=MEETING)
            ranges: dict[str, tuple[int, int]] = {}
            authors_of: dict[str, int] = {}
            for name, ops in forms.items():
                seqs: list[int] = []
                for start in range(0, len(ops), APPEND_BATCH):
                    batch = tuple(
                        m.NewOp(
                            op_id=f"{name}-{op.op_id}",
                            document_id="d-agenda",
                            version=1,
                            page=3,
                            visibility="shared",
                            kind="add",
                            payload=op.wire,
                        )
                        for op in ops[start : start + APPEND_BATCH]
                    )
                    reply = await ask(writer, m.AppendOps(meeting_id=MEETING, ops=batch))
                    assert isinstance(reply, m.OpsAppended)
                    seqs += [r.seq for r in reply.results]
                ranges[name] = (min(seqs), max(seqs))
                authors_of.update((f"{name}-{op.op_id}", op.author) for op in ops)
            await writer.ws.close()
            reader = await open_wire(server.url, council.members[1], join=MEETING)

            async def run(name: str) -> None:
                fetched = await _fetch_all(reader, *ranges[name])
                catch_ups[name](
                    [
                        Received(
                            op.op_id.removeprefix(f"{name}-"), op.payload, authors_of[op.op_id]
                        )
                        for op in fetched
                    ]
                )

            names = list(forms)
            for name in names:  # warm-up
                await run(name)
            for index in range(plan.rounds):
                for name in names if index % 2 == 0 else reversed(names):
                    started = time.perf_counter()
                    await run(name)
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
    plan: Plan,
    log: list[LoggedOp],
    forms: dict[str, list[Received]],
    catch_ups: dict[str, Callable[[list[Received]], None]],
    key: MeetingKey,
    authors: list[Author],
    anchor: TrustAnchor,
) -> dict[str, Any]:
    first, author = log[0], authors[0]
    header = OpHeader("a-x", "a-x", MEETING, "d-agenda", 1, 3, "add", "shared", 1)
    body = json.dumps({"annotation_id": "a-x", "content": {"text": NOTE_TEXT}}).encode()
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_public = ed_key.public_key()
    ed_signature = ed_key.sign(first.signed)
    singles: dict[str, Callable[[], object]] = {
        "encrypt": lambda: encrypt_annotation(body, key, meeting_id=MEETING, annotation_id="a-x"),
        "sign_hybrid": lambda: sign_op(header, first.payload, author.keys, author.cert),
        "verify_hybrid_cached_cert": lambda: verify_op(
            first.signed, author.cert, anchor, payload=first.payload
        ),
        "verify_hybrid_with_cert_check": lambda: verify_op(
            first.signed, author.cert_bytes, anchor, payload=first.payload
        ),
        "sign_ed25519_only": lambda: ed_key.sign(first.signed),
        "verify_ed25519_only": lambda: ed_public.verify(ed_signature, first.signed),
    }
    per_op_ms = {name: round(_per_call_ms(f, plan.singles), 4) for name, f in singles.items()}
    times: dict[str, list[float]] = {name: [] for name in forms}
    for name, ops in forms.items():  # warm-up
        catch_ups[name](ops)
    for index in range(plan.rounds):
        for name in list(forms) if index % 2 == 0 else reversed(list(forms)):
            times[name].append(_timed_s(functools.partial(catch_ups[name], forms[name])))
    return {"per_op_ms": per_op_ms, "crypto_catch_up_s": times}


async def measure(*, quick: bool = False) -> tuple[list[report.Row], dict[str, Any]]:
    """The :mod:`bench.run_all` entry point (the CPU-only part runs in a thread)."""
    plan = QUICK if quick else FULL
    anchor, authors = _council(AUTHORS)
    key = MeetingKey.generate(MEETING, epoch=1)
    log = await asyncio.to_thread(_log, plan.ops, authors, key)
    forms = _wire_forms(log)
    catch_ups = _catch_ups(key, authors, anchor)
    details = await asyncio.to_thread(
        _crypto_alone, plan, log, forms, catch_ups, key, authors, anchor
    )
    details["relay_catch_up_s"] = await _relay_rounds(plan, forms, catch_ups)
    details["bytes_per_op"] = {
        name: round(sum(len(op.wire) for op in ops) / len(ops)) for name, ops in forms.items()
    }
    details.update(ops=plan.ops, authors=AUTHORS, rounds=plan.rounds)
    rows = []
    for where, key_name in (
        ("via the relay", "relay_catch_up_s"),
        ("crypto alone", "crypto_catch_up_s"),
    ):
        medians = {n: statistics.median(t) * 1000 for n, t in details[key_name].items()}
        for name in ("signed", "chain"):
            rows.append(
                report.Row(
                    "signed ops",
                    f"catch-up of {plan.ops:,} ops, {where}, {'per-op signatures' if name == 'signed' else 'chain + head signatures'}",
                    "ms",
                    medians["unsigned"],
                    medians[name],
                    "≤ 1.5×",
                    1.5,
                )
            )
    per_op = details["per_op_ms"]
    rows.append(
        report.Row(
            "signed ops",
            "sign one op (vs encrypt it)",
            "ms",
            per_op["encrypt"],
            per_op["sign_hybrid"],
            "",
        )
    )
    rows.append(
        report.Row(
            "signed ops",
            "verify one op (vs Ed25519 alone)",
            "ms",
            per_op["verify_ed25519_only"],
            per_op["verify_hybrid_cached_cert"],
            "",
        )
    )
    sizes = details["bytes_per_op"]
    for name in ("signed", "chain"):
        rows.append(
            report.Row(
                "signed ops",
                f"bytes per op on the wire, {name}",
                "B",
                sizes["unsigned"],
                sizes[name],
                "",
            )
        )
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
    print(json.dumps(details["per_op_ms"]), json.dumps(details["bytes_per_op"]))
    print(f"\nsigned_ops benchmark: {seconds:.1f} s")


if __name__ == "__main__":
    main()
