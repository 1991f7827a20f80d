"""The plan of the crypto/transfer benchmark and its rounds: bare, crypto, full and plain in an
order that reverses every round, after a warm-up, over loopback or a shaped link."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
from dataclasses import dataclass

from furano_meet.crypto import DeviceCertificate
from furano_meet.net import RelayConnection
from furano_meet.protocol import messages as m

from .client_fixtures import MB
from .link import shaped_port
from .processes import ServerProcess
from .transfer_council import Party
from .transfer_sides import (
    Sample,
    announce,
    bare_download,
    bare_upload,
    crypto_download,
    full_download,
    full_upload,
    index_after,
    measured,
    plain_download,
    plain_upload,
)


@dataclass(frozen=True, slots=True)
class Plan:
    pack_bytes: int
    repeats: int
    engine_repeats: int
    raw_repeats: int
    small_repeats: int
    """Rounds for documents under :data:`SMALL_DOCUMENT` bytes: a round of the 1.8 MB book takes
    ~0.1 s and its fixed costs are a few ms, so more rounds steady its median cheaply."""
    link: str = ""
    """``tc`` rate of the shaped-link pass (:mod:`bench.link`), or ``""`` for none."""
    book: bool = True
    """Whether the 612-page budget book is moved too, when ``../shared/pdfs`` has it."""


SMALL_DOCUMENT = 8 * MB
FULL = Plan(
    pack_bytes=50 * MB,
    repeats=9,
    engine_repeats=3,
    raw_repeats=7,
    small_repeats=25,
    link="1gbit",
)
#: How the shaped link is named in the results.
LINK_LABELS = {"1gbit": "1 Gbit/s"}
QUICK = Plan(
    pack_bytes=1 * MB, repeats=1, engine_repeats=1, raw_repeats=1, small_repeats=1, book=False
)
"""The smoke run (``tests/bench/test_harness.py``): every side, both side orders (the warm-up
round is the odd one), the withdrawal between rounds and the last round's indexing, once each,
on the smallest pack. No book: it takes the pack's code path, and CI's clean clone has none."""
WARMUP_ROUNDS = 1
#: Pause between an upload and the measured download, the same on every side: the relay's
#: work after publishing (commit, fan-out) must not land in one side's download and not another's.
SETTLE_S = 0.05


@dataclass(frozen=True, slots=True)
class Subject:
    slug: str
    label: str
    pdf: bytes
    page_count: int
    """From :func:`~furano_meet.sync.documents.inspect_pdf`, once, before any clock starts."""


@dataclass(frozen=True, slots=True)
class Rig:
    """What every round runs through: the plan, the relay process, the clerk and the member with
    their raw authenticated connections, and the clerk's certificate verified before any clock."""

    plan: Plan
    server: ServerProcess
    clerk: Party
    member: Party
    clerk_conn: RelayConnection
    member_conn: RelayConnection
    publisher: DeviceCertificate


async def run_rounds(
    rig: Rig, subject: Subject
) -> tuple[dict[str, list[Sample]], dict[str, float]]:
    """Every side's rounds of ``subject``; returns their samples and, once, the indexing after
    decryption of the last full round's document."""
    plan, server, clerk, member = rig.plan, rig.server, rig.clerk, rig.member
    clerk_conn, member_conn, publisher = rig.clerk_conn, rig.member_conn, rig.publisher
    runs: dict[str, list[Sample]] = {
        "bare_upload": [],
        "bare_download": [],
        "full_upload": [],
        "full_download": [],
        "plain_upload": [],
        "plain_download": [],
        "crypto_upload": [],
        "crypto_download": [],
    }
    manifest_size = 0
    last_full = ""
    repeats = plan.small_repeats if len(subject.pdf) < SMALL_DOCUMENT else plan.repeats
    for repeat in range(-WARMUP_ROUNDS, repeats):
        sides = (
            ("bare", "crypto", "full", "plain")
            if repeat % 2 == 0
            else ("plain", "full", "crypto", "bare")
        )
        for side in sides:
            doc_id = f"{side}-{subject.slug}-{repeat + WARMUP_ROUNDS}"
            if side == "full":
                uploaded: list[m.DocumentInfo] = []

                async def up(
                    doc_id: str = doc_id, out: list[m.DocumentInfo] = uploaded
                ) -> dict[str, float]:
                    steps, info = await full_upload(clerk, clerk_conn, subject.pdf, doc_id)
                    out.append(info)
                    return steps

                upload = await measured(server, up)
                info = uploaded[0]
                manifest_size = len(info.manifest)
                await announce(member, info)
                await asyncio.sleep(SETTLE_S)
                download = await measured(
                    server,
                    functools.partial(
                        full_download, member, member_conn, publisher, doc_id, subject.pdf
                    ),
                )
                if repeat < repeats - 1:
                    await asyncio.to_thread(member.store.withdraw_document, doc_id, 1)
                else:
                    last_full = doc_id
            elif side == "crypto":
                crypto_uploaded: list[m.DocumentInfo] = []

                async def crypto_up(
                    doc_id: str = doc_id, out: list[m.DocumentInfo] = crypto_uploaded
                ) -> dict[str, float]:
                    steps, info = await full_upload(
                        clerk, clerk_conn, subject.pdf, doc_id, checked_pages=subject.page_count
                    )
                    out.append(info)
                    return steps

                upload = await measured(server, crypto_up)
                member_key = await member.meeting_key()
                await asyncio.sleep(SETTLE_S)
                download = await measured(
                    server,
                    functools.partial(
                        crypto_download,
                        member_conn,
                        crypto_uploaded[0],
                        member_key,
                        publisher,
                        subject.pdf,
                    ),
                )
            elif side == "plain":
                plain_manifest = os.urandom(manifest_size or 8 * 1024)

                plain_uploaded: list[m.DocumentInfo] = []

                async def plain_up(
                    doc_id: str = doc_id,
                    manifest: bytes = plain_manifest,
                    out: list[m.DocumentInfo] = plain_uploaded,
                ) -> dict[str, float]:
                    out.append(await plain_upload(clerk_conn, subject.pdf, doc_id, manifest))
                    return {}

                upload = await measured(server, plain_up)
                await announce(member, plain_uploaded[0])
                await asyncio.sleep(SETTLE_S)
                download = await measured(
                    server,
                    functools.partial(
                        plain_download, member, member_conn, doc_id, len(subject.pdf)
                    ),
                )
                await asyncio.to_thread(member.store.withdraw_document, doc_id, 1)
            else:
                fake_manifest = os.urandom(manifest_size or 8 * 1024)

                async def bare_up(
                    doc_id: str = doc_id, manifest: bytes = fake_manifest
                ) -> dict[str, float]:
                    await bare_upload(clerk_conn, subject.pdf, doc_id, manifest)
                    return {}

                async def bare_down(doc_id: str = doc_id) -> dict[str, float]:
                    await bare_download(member_conn, doc_id, len(subject.pdf))
                    return {}

                upload = await measured(server, bare_up)
                await asyncio.sleep(SETTLE_S)
                download = await measured(server, bare_down)
            if repeat >= 0:
                runs[f"{side}_upload"].append(upload)
                runs[f"{side}_download"].append(download)
    after = await index_after(member, last_full)
    await asyncio.to_thread(member.store.withdraw_document, last_full, 1)
    return runs, after


async def link_pass(
    rig: Rig, chosen: list[Subject], runs: dict[str, dict[str, list[Sample]]], skipped: list[str]
) -> list[Subject]:
    """The same rounds again over a link shaped to :attr:`Plan.link` (:mod:`bench.link`), into
    ``runs`` under their own slugs; returns the subjects as run over the link. A link that
    cannot be shaped here is skipped, with the reason added to ``skipped``."""
    linked: list[Subject] = []
    if not rig.plan.link:
        return linked
    link_label = LINK_LABELS.get(rig.plan.link, rig.plan.link)
    with shaped_port(rig.server.port, rig.plan.link) as not_shaped:
        if not_shaped is not None:
            skipped.append(f"the {link_label} link pass: {not_shaped}")
            print(f"  skipped: {skipped[-1]}", flush=True)
        for subject in chosen if not_shaped is None else []:
            over = dataclasses.replace(
                subject,
                slug=f"{subject.slug}-{rig.plan.link}",
                label=f"{subject.label} over a {link_label} link",
            )
            print(f"  {over.label}: bare vs full …", flush=True)
            runs[over.slug], _ = await run_rounds(rig, over)
            linked.append(over)
    return linked
