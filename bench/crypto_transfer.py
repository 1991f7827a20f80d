"""What end-to-end encryption adds to moving a document: the client's path against bare transfer.

Theory of operation
-------------------
A real council is set up as in production, on one machine: the relay runs in its own process
(:class:`~bench.processes.ServerProcess`, so the relay's CPU never shares an event loop with the
clients'), its database holds the demo council and the organisation's root fingerprint, and three
devices — administrator, clerk (事務局) and member — each with its own encrypted
:class:`~furano_meet.store.LocalStore` (SQLCipher, in-memory keychain) enrol with real one-time
codes.  The administrator's :class:`~furano_meet.sync.engine.SyncEngine` certifies the others; the
clerk's engine makes the meeting key and seals it to the member.

Two documents, one after the other: the 612-page budget book from ``/work/shared/pdfs`` (1.8 MB of
text and tables; skipped, with the reason printed, when that folder is absent) and a generated
agenda pack padded to 50 MB with photo pages (built once per run and kept in memory).

For each, in one run and through the same relay and the same connections:

* **bare** — :meth:`RelayConnection.upload` of the plaintext PDF as an opaque blob (under a fresh
  document id each time), then :meth:`RelayConnection.download` of it (into memory; it checks the
  SHA-256).  This is the transfer alone.
* **full** — the functions the engine runs, in the engine's order: the clerk reads the meeting key
  from its store and runs :func:`~furano_meet.sync.documents.prepare_upload` in a worker thread
  (check the PDF, encrypt in 256 KiB AES-256-GCM chunks, sign and seal the manifest), then uploads
  the ciphertext; the member runs the engine's own receiving pipeline,
  :func:`~furano_meet.sync.receiving.receive`: document row, meeting key and publisher in one
  store call, then the signed manifest is verified in the store's helper thread at the first
  piece, each ~4 MiB piece is written to the store (fsynced) and decrypted into one
  preallocated buffer beside that write, and the store completes the download against the
  signed SHA-256. Announcing the document to the store
  (:func:`~furano_meet.sync.receiving.announce`, which the engine runs when the
  ``document_published`` push arrives, before downloading) is outside the timing; text extraction and indexing (after
  decryption) are measured separately.
* **plain** — the same pipeline without cryptography: the same PDF check before the upload of
  the plaintext; on receipt the same row lookup, the same fsynced pieces into the store and a
  copy of each into one preallocated buffer (where the full path decrypts), completion against
  the announced SHA-256. Its ratio to *full* is what the cryptography alone costs.
* **engine pair** — the same document published by the clerk's running engine
  (:meth:`SyncEngine.publish_document`) until the member's running engine reports
  :class:`~furano_meet.sync.events.DocumentReady`; this includes text extraction and search
  indexing, so it is reported against the bare figures for information only.
* **raw AES-GCM** — one-shot ``AESGCM.encrypt``/``decrypt`` of the same bytes, next to the
  streaming :class:`DocumentEncryptor`/:class:`DocumentDecryptor` alone (no I/O).  The details
  also hold AES-GCM over 256 KiB records with the output thrown away (the cipher alone: a
  one-shot call over 50 MB mostly pays for faulting in a fresh 50 MB output buffer) and one
  SHA-256 pass, which together explain where the stream's time goes.

The engine pair runs first; then the engines are stopped (so nothing downloads behind the
benchmark's back) and bare, full and plain rounds alternate through two raw authenticated
connections, in an order that reverses every round, after one unmeasured warm-up round; every
download starts 50 ms after its upload returned (the same pause on every side, so the relay's
after-publish work lands in none of them); medians are reported.  Besides wall time each round records the CPU time of this process
(all threads: the worker threads' crypto included) and of the relay process.

Where it lives: :mod:`bench.transfer_council` sets up the council, :mod:`bench.transfer_sides`
times one round of each side, :mod:`bench.transfer_rounds` holds the plan and alternates the
rounds (on loopback and over the shaped link), :mod:`bench.transfer_report` turns the samples
into gated rows and details; this module measures the raw cipher and runs it all.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from furano_meet.crypto import DocumentDecryptor, DocumentEncryptor
from furano_meet.crypto.stream import DEFAULT_CHUNK_SIZE
from furano_meet.store import LocalStore
from furano_meet.sync import documents as docs
from furano_meet.sync.account import create_org_root

from . import report
from .client_fixtures import BUDGET_BOOK, MB, budget_book, memory_keyring, sample_pack
from .processes import ServerProcess, raise_open_file_limit
from .transfer_council import certificate_of, enrol_council, seed_relay
from .transfer_report import details_of, report_rows
from .transfer_rounds import FULL, QUICK, Plan, Rig, Subject, link_pass, run_rounds
from .transfer_sides import Sample, engine_round

# -- raw cipher throughput -------------------------------------------------------------------


def _raw_crypto(pdf: bytes, repeats: int) -> dict[str, float]:
    """Median seconds, no I/O: one-shot AES-GCM, AES-GCM over 256 KiB records (the cipher alone,
    outputs discarded), SHA-256, and the streaming encryptor/decryptor as the client uses them."""
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, pdf, None)
    view = memoryview(pdf)

    def records() -> None:
        for index, start in enumerate(range(0, len(view), DEFAULT_CHUNK_SIZE)):
            aead.encrypt(index.to_bytes(12, "big"), view[start : start + DEFAULT_CHUNK_SIZE], b"")

    actions: dict[str, Callable[[], object]] = {
        "aes_oneshot_enc": functools.partial(aead.encrypt, nonce, pdf, None),
        "aes_oneshot_dec": functools.partial(aead.decrypt, nonce, sealed, None),
        "aes_records_enc": records,
        "sha256": functools.partial(hashlib.sha256, pdf),
    }
    times: dict[str, list[float]] = {name: [] for name in (*actions, "stream_enc", "stream_dec")}
    for _ in range(repeats):
        for name, action in actions.items():
            times[name].append(_clock(action))
        encryptor = DocumentEncryptor("raw", 1)
        start = time.perf_counter()
        blob = b"".join(encryptor.encrypt(pdf))
        times["stream_enc"].append(time.perf_counter() - start)
        result = encryptor.result
        decryptor = DocumentDecryptor(
            encryptor.content_key,
            "raw",
            1,
            expected_ciphertext_size=result.ciphertext_size,
            expected_ciphertext_sha256=result.ciphertext_sha256,
        )
        start = time.perf_counter()
        plaintext = b"".join(decryptor.feed(blob) + decryptor.finish())
        times["stream_dec"].append(time.perf_counter() - start)
        if plaintext != pdf:
            raise RuntimeError("the stream decryptor returned other bytes")
    return {k: statistics.median(v) for k, v in times.items()}


def _clock(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# -- the benchmark ---------------------------------------------------------------------------


def subjects(plan: Plan) -> tuple[list[Subject], list[str]]:
    """The documents to move, and the reasons for any that are skipped."""
    chosen: list[Subject] = []
    skipped: list[str] = []
    book = budget_book() if plan.book else None
    if not plan.book:
        skipped.append("budget book skipped: a quick run moves the pack only")
    elif book is None:
        skipped.append(f"budget book skipped: {BUDGET_BOOK.resolve()} is absent")
    else:
        label = f"budget book (612 p., {len(book) / MB:.1f} MB)"
        chosen.append(Subject("book", label, book, docs.inspect_pdf(book).page_count))
    pack = sample_pack(plan.pack_bytes)
    chosen.append(
        Subject(
            "pack",
            f"agenda pack ({len(pack) / MB:.0f} MB)",
            pack,
            docs.inspect_pdf(pack).page_count,
        )
    )
    return chosen, skipped


async def measure(*, quick: bool = False) -> tuple[list[report.Row], dict[str, Any]]:
    plan = QUICK if quick else FULL
    load_before = os.getloadavg()
    started = time.perf_counter()
    chosen, skipped = subjects(plan)
    for reason in skipped:
        print(f"  {reason}", flush=True)
    prepared_at = time.perf_counter()
    runs: dict[str, dict[str, list[Sample]]] = {}
    engine_runs: dict[str, list[dict[str, float]]] = {}
    after_verify: dict[str, dict[str, float]] = {}
    raw: dict[str, dict[str, float]] = {}
    setup_seconds = 0.0
    linked: list[Subject] = []
    with memory_keyring(), tempfile.TemporaryDirectory(prefix="furano-bench-crypto-") as tmp:
        relay_dir, devices_dir = Path(tmp) / "relay", Path(tmp) / "devices"
        relay_dir.mkdir()
        admin_store = LocalStore.open(devices_dir, "admin")
        fingerprint = create_org_root(admin_store)
        codes = seed_relay(relay_dir, fingerprint)
        async with ServerProcess("relay", data_dir=str(relay_dir)) as server:
            setup_start = time.perf_counter()
            clerk, member = await enrol_council(
                devices_dir, server.url, codes, fingerprint, admin_store
            )
            setup_seconds = time.perf_counter() - setup_start
            try:
                for subject in chosen:
                    print(f"  {subject.label}: engine pair …", flush=True)
                    engine_runs[subject.slug] = [
                        await engine_round(clerk, member, subject.pdf, f"eng-{subject.slug}-{i}")
                        for i in range(plan.engine_repeats)
                    ]
                await clerk.stop()
                await member.stop()  # from here on nothing downloads behind our back
                clerk_conn = await clerk.connect(server.url)
                member_conn = await member.connect(server.url)
                try:
                    publisher = await certificate_of(member, member_conn, clerk.account.device_id)
                    rig = Rig(plan, server, clerk, member, clerk_conn, member_conn, publisher)
                    for subject in chosen:
                        print(f"  {subject.label}: bare vs full …", flush=True)
                        runs[subject.slug], after_verify[subject.slug] = await run_rounds(
                            rig, subject
                        )
                        raw[subject.slug] = await asyncio.to_thread(
                            _raw_crypto, subject.pdf, plan.raw_repeats
                        )
                    linked = await link_pass(rig, chosen, runs, skipped)
                finally:
                    await clerk_conn.close()
                    await member_conn.close()
            finally:
                await clerk.stop()
                await member.stop()
                for party in (clerk, member):
                    party.store.close()
                admin_store.close()

    details = details_of(
        plan,
        chosen,
        skipped,
        runs=runs,
        engine_runs=engine_runs,
        after_verify=after_verify,
        raw=raw,
        load_before=load_before,
        documents_build_s=prepared_at - started,
        council_setup_s=setup_seconds,
    )
    return report_rows(chosen + linked, runs, engine_runs, raw, quick=quick), details


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="1 MB pack, 1 round (smoke run)")
    args = parser.parse_args()
    raise_open_file_limit()
    started = time.perf_counter()
    rows, details = asyncio.run(measure(quick=args.quick))
    seconds = time.perf_counter() - started
    report.write_json(
        "crypto_transfer-quick" if args.quick else "crypto_transfer", rows, details, seconds
    )
    print(report.markdown_table(rows))
    print(f"\ncrypto/transfer benchmark: {seconds:.1f} s")


if __name__ == "__main__":
    main()
