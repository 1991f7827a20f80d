"""One round of each side of the crypto/transfer benchmark, timed: bare, crypto alone, the app's
full pipeline and the same pipeline without cryptography (upload and download each), the
engine pair, and the indexing after decryption. See :mod:`bench.crypto_transfer`."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from furano_meet.crypto import DeviceCertificate, DocumentDecryptor, DocumentManifest, MeetingKey
from furano_meet.net import RelayConnection
from furano_meet.protocol import messages as m
from furano_meet.sync import documents as docs
from furano_meet.sync import receiving
from furano_meet.sync.events import (
    DocumentIndexed,
    DocumentPublished,
    DocumentReady,
    DocumentRefused,
    SyncEvent,
)

from .client_fixtures import PACK_TITLE
from .processes import ServerProcess
from .transfer_council import MEETING_ID, Party


@dataclass(frozen=True, slots=True)
class Sample:
    seconds: float
    client_cpu: float
    server_cpu: float
    steps: dict[str, float]


async def measured(server: ServerProcess, run: Callable[[], Awaitable[dict[str, float]]]) -> Sample:
    server_cpu, client_cpu = await server.cpu_seconds(), time.process_time()
    start = time.perf_counter()
    steps = await run()
    seconds = time.perf_counter() - start
    return Sample(
        seconds,
        time.process_time() - client_cpu,
        await server.cpu_seconds() - server_cpu,
        steps,
    )


async def bare_upload(conn: RelayConnection, pdf: bytes, doc_id: str, manifest: bytes) -> None:
    await conn.upload(
        meeting_id=MEETING_ID, document_id=doc_id, version=1, data=pdf, manifest=manifest
    )


async def bare_download(conn: RelayConnection, doc_id: str, size: int) -> None:
    data = await conn.download(meeting_id=MEETING_ID, document_id=doc_id, version=1)
    if len(data) != size:
        raise RuntimeError(f"bare download of {doc_id}: {len(data)} bytes, expected {size}")


async def full_upload(
    clerk: Party, conn: RelayConnection, pdf: bytes, doc_id: str, checked_pages: int | None = None
) -> tuple[dict[str, float], m.DocumentInfo]:
    """:meth:`SyncEngine.publish_document`'s steps, timed one by one: the meeting key,
    ``prepare_upload`` in a worker thread (PDF check, encrypt, sign, seal), the upload.

    With ``checked_pages`` (the page count of a PDF checked before the clock started) it is
    the *crypto alone* side instead: the bare upload plus exactly the cryptography —
    :func:`~furano_meet.sync.documents.seal_document`, the second half of ``prepare_upload``.
    """
    start = time.perf_counter()
    key = await clerk.meeting_key()
    prepare: Callable[..., docs.PreparedUpload] = (
        docs.prepare_upload
        if checked_pages is None
        else functools.partial(docs.seal_document, page_count=checked_pages)
    )
    prepared = await asyncio.to_thread(
        prepare,
        pdf,
        meeting_key=key,
        keys=clerk.account.keys,
        device_id=clerk.account.device_id,
        document_id=doc_id,
        version=1,
        title=PACK_TITLE,
    )
    prepared_at = time.perf_counter()
    info = await conn.upload(
        meeting_id=MEETING_ID,
        document_id=doc_id,
        version=1,
        data=prepared.blob,
        manifest=prepared.sealed_manifest,
        sha256=prepared.manifest.ciphertext_sha256,  # as publish_document does: known already
    )
    done = time.perf_counter()
    return {"prepare": prepared_at - start, "upload": done - prepared_at}, info


async def crypto_download(
    conn: RelayConnection,
    info: m.DocumentInfo,
    meeting_key: MeetingKey,
    publisher: DeviceCertificate,
    pdf: bytes,
) -> dict[str, float]:
    """The bare download plus exactly the cryptography of receiving, into memory (no store):
    the signed manifest verified in a worker thread while the download starts; a blob that
    arrives in one piece is decrypted whole (its SHA-256, checked against the signed one,
    computed on a second thread meanwhile — the bare download hashes to check the relay's);
    a larger one is hashed and decrypted piece by piece in a worker thread while the rest
    arrives (``collect`` mode), then the last chunk. What the sealed manifest and the
    certificate are is known from the announcement, as the bare download knows its document
    id and size."""
    doc_id = info.document_id

    def prepare() -> DocumentManifest:
        return docs.verify_published(
            info.manifest,
            meeting_key=meeting_key,
            publisher=publisher,
            meeting_id=MEETING_ID,
            doc_id=doc_id,
            version=1,
        )

    preparing = asyncio.ensure_future(asyncio.to_thread(prepare))
    decryptor: DocumentDecryptor | None = None
    whole: bytearray | None = None

    async def sink(at: int, data: bytearray, last: bool) -> None:
        nonlocal decryptor, whole
        manifest = await preparing
        if at == 0 and last:
            fresh = DocumentDecryptor.for_manifest(manifest, meeting_key)
            whole = await asyncio.to_thread(fresh.decrypt_whole, data)
            return
        if decryptor is None:
            decryptor = DocumentDecryptor.for_manifest(manifest, meeting_key, collect=True)
        await asyncio.to_thread(decryptor.feed, data)

    await conn.download_to(
        meeting_id=MEETING_ID, document_id=doc_id, version=1, offset=0, sink=sink
    )
    if whole is None:
        assert decryptor is not None
        await asyncio.to_thread(decryptor.finish)
        whole = decryptor.plaintext
    if whole != pdf:
        raise RuntimeError(f"{doc_id}: the decrypted document differs from what was published")
    return {}


async def announce(member: Party, info: m.DocumentInfo) -> None:
    """The engine's step 0 when ``document_published`` arrives (not timed)."""
    await asyncio.to_thread(receiving.announce, member.store, MEETING_ID, info)


async def full_download(
    member: Party, conn: RelayConnection, publisher: DeviceCertificate, doc_id: str, pdf: bytes
) -> dict[str, float]:
    """The engine's own receiving pipeline, :func:`~furano_meet.sync.receiving.receive`: the
    document row, meeting key and publisher in one worker-thread call, then verify the signed
    manifest, stream into the store and decrypt while it arrives, complete against the signed
    digest. The publisher's certificate is the one verified before the clock started (the
    engine keeps verified certificates too)."""

    async def certificate(device_id: str) -> DeviceCertificate | None:
        return publisher if device_id == publisher.device_id else None

    received = await receiving.receive(member.store, conn, doc_id, 1, publisher=certificate)
    if received is None or received.pdf != pdf:
        raise RuntimeError(f"{doc_id}: the decrypted document differs from what was published")
    return {}


async def plain_upload(
    conn: RelayConnection, pdf: bytes, doc_id: str, manifest: bytes
) -> m.DocumentInfo:
    """The publishing pipeline without cryptography: the same PDF check, then the plaintext."""
    await asyncio.to_thread(docs.inspect_pdf, pdf)
    return await conn.upload(
        meeting_id=MEETING_ID, document_id=doc_id, version=1, data=pdf, manifest=manifest
    )


async def plain_download(
    member: Party, conn: RelayConnection, doc_id: str, size: int
) -> dict[str, float]:
    """The receiving pipeline without cryptography: the same document row lookup, streamed into
    the store durably and copied into one buffer (allocated at the first piece) in the store's
    helper thread while the store waits on fsync — where the full path checks and decrypts —
    then checked against the announced SHA-256; a document that arrives in one piece is stored
    complete in one go, as the full path does. Everything the full path does but verify and
    decrypt."""
    store = member.store
    doc = await asyncio.to_thread(store.document, doc_id, 1)
    assert doc is not None and doc.ciphertext_sha256 is not None
    announced = doc.ciphertext_sha256
    offset = await asyncio.to_thread(store.resume_offset, doc_id, 1)
    document = bytearray()
    whole = False

    def take(at: int, data: bytearray, last: bool) -> None:
        nonlocal whole

        def copy() -> None:
            nonlocal document
            if not document:
                document = bytearray(size)
            document[at : at + len(data)] = data

        whole = at == 0 and last
        if whole:
            store.store_blob(doc_id, 1, data, announced, alongside=copy)
        else:
            store.append_partial(doc_id, 1, at, data, alongside=copy)

    async def sink(at: int, data: bytearray, last: bool) -> None:
        await asyncio.to_thread(take, at, data, last)

    await conn.download_to(
        meeting_id=MEETING_ID, document_id=doc_id, version=1, offset=offset, sink=sink
    )
    if not whole:
        await asyncio.to_thread(store.complete, doc_id, 1, announced)
    if offset != 0 or len(document) != size:
        raise RuntimeError(f"plain download of {doc_id}: {len(document)} bytes, expected {size}")
    return {}


async def index_after(member: Party, doc_id: str) -> dict[str, float]:
    """The engine's work after decryption (extract page text, store it, index it), once."""
    key = await member.meeting_key()
    doc = await asyncio.to_thread(member.store.document, doc_id, 1)
    assert doc is not None
    blob = await asyncio.to_thread(member.store.read_blob, doc_id, 1)
    pdf = docs.decrypt_cached(blob, doc.manifest, meeting_key=key, doc_id=doc_id, version=1)
    start = time.perf_counter()
    texts = await asyncio.to_thread(docs.page_texts, pdf)
    extracted = time.perf_counter()
    await asyncio.to_thread(member.store.index_pages, doc_id, 1, texts)
    return {
        "page_texts": extracted - start,
        "index_pages": time.perf_counter() - extracted,
        "pages": float(len(texts)),
        "characters": float(sum(len(t) for _, t in texts)),
    }


async def engine_round(clerk: Party, member: Party, pdf: bytes, doc_id: str) -> dict[str, float]:
    """Clerk's engine publishes; time until the member's engine says DocumentReady.

    ``publish`` ends at the clerk's :class:`DocumentPublished` (the upload accepted), as it did
    before ``publish_document`` also kept the version on the clerk's device; that keeping
    (store the uploaded blob, describe, confirm, index — no download) is ``keep``, until
    ``publish_document`` returns. It overlaps the member's download here, where both engines
    share one machine (on two tablets it would not).
    """
    assert clerk.engine is not None
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[float] = loop.create_future()
    indexed: asyncio.Future[None] = loop.create_future()
    uploaded: asyncio.Future[float] = loop.create_future()

    def observe(event: SyncEvent) -> None:
        if getattr(event, "document_id", None) != doc_id:
            return
        if isinstance(event, DocumentIndexed) and not indexed.done():
            indexed.set_result(None)
        if ready.done():
            return
        if isinstance(event, DocumentReady):
            ready.set_result(time.perf_counter())
        elif isinstance(event, DocumentRefused):
            ready.set_exception(RuntimeError(f"member refused {doc_id}: {event}"))

    def observe_clerk(event: SyncEvent) -> None:
        if isinstance(event, DocumentPublished) and event.document_id == doc_id:
            uploaded.set_result(time.perf_counter())

    member.observers.append(observe)
    clerk.observers.append(observe_clerk)
    try:
        start = time.perf_counter()
        await clerk.engine.publish_document(
            MEETING_ID, pdf, title=PACK_TITLE, document_id=doc_id, version=1
        )
        kept = time.perf_counter()
        async with asyncio.timeout(300):
            published = await uploaded
            ready_at = await ready
            await indexed  # the next round must not overlap this one's background indexing
    finally:
        member.observers.remove(observe)
        clerk.observers.remove(observe_clerk)
    return {
        "publish": published - start,
        "published_to_ready": ready_at - published,
        "keep": kept - published,
    }
