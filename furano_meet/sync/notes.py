"""Annotations: written locally at once, sent through the outbox, received from the op log.

Theory of operation
-------------------
* **Writes go to the outbox first.** An annotation is stored locally and its op queued in the
  same SQLCipher transaction; :meth:`Notes.send_outbox` drains the outbox whenever a connection
  exists. Each op has a client-made id, so an op re-sent after a lost acknowledgement is
  recognised by the relay and acknowledged, not duplicated: delivered exactly once. Ops are
  encrypted at send time, because the key may arrive after a note was written offline; a
  meeting whose key is missing blocks only its own ops, in order.
* **Receiving** (:meth:`Notes.fetch`, :meth:`Notes.apply`) decrypts ops from the log and
  advances the meeting's cursor only up to the first op whose key this device lacks.
* **Carrying over** (差し替え, :meth:`Notes.carry_over`): this user's notes on an older version
  move to the new version's unchanged pages (see :mod:`.carryover`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from furano_meet.crypto import (
    CryptoError,
    MeetingKey,
    PrivateAnnotationKey,
    decrypt_annotation,
    encrypt_annotation,
    read_annotation_header,
)
from furano_meet.net import RelayConnection
from furano_meet.protocol import messages as m
from furano_meet.store.records import Annotation, Visibility

from .carryover import match_pages
from .context import SyncContext, parse_time
from .events import AnnotationsCarried, AnnotationsChanged
from .keys import Keys

log = logging.getLogger("furano.sync")

OPS_STREAM = "ops"


@dataclass(frozen=True, slots=True)
class _PendingOp:
    """The plaintext form of an outbox entry (the outbox lives in the encrypted store)."""

    op_id: str
    annotation_id: str
    meeting_id: str
    document_id: str
    version: int
    page: int
    visibility: str
    kind: str
    content: dict[str, Any]

    def to_bytes(self) -> bytes:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> _PendingOp:
        return cls(**json.loads(data))


class Notes:
    def __init__(self, ctx: SyncContext, keys: Keys) -> None:
        self._ctx = ctx
        self._keys = keys
        self._outbox_wake = asyncio.Event()

    def wake_outbox(self) -> None:
        """Something may be sendable now (a new op, or a key that unblocks a meeting)."""
        self._outbox_wake.set()

    # -- writing -----------------------------------------------------------------------------

    async def add(
        self,
        meeting_id: str,
        document_id: str,
        version: int,
        page: int,
        content: dict[str, Any],
        *,
        visibility: Visibility = Visibility.PRIVATE,
    ) -> str:
        """Store an annotation now and queue it for the relay; works offline."""
        annotation_id = f"a-{uuid.uuid4().hex}"
        op = _PendingOp(
            annotation_id,
            annotation_id,
            meeting_id,
            document_id,
            version,
            page,
            visibility.value,
            "add",
            content,
        )
        now = self._ctx.clock()
        annotation = Annotation(
            annotation_id=annotation_id,
            meeting_id=meeting_id,
            doc_id=document_id,
            version=version,
            page_no=page,
            visibility=visibility,
            author=self._ctx.account.user_id,
            payload=json.dumps(content, ensure_ascii=False).encode(),
            created_at=now,
            updated_at=now,
        )
        store = self._ctx.store

        def write() -> None:
            with store.atomic():
                store.put_annotation(annotation)
                store.enqueue(op.op_id, "op", op.to_bytes(), meeting_id=meeting_id)

        await self._queued(write, meeting_id, annotation_id)
        return annotation_id

    async def delete(self, annotation_id: str) -> None:
        store = self._ctx.store
        annotation = await self._ctx.db(store.annotation, annotation_id)
        if annotation is None:
            raise LookupError(annotation_id)
        op = _PendingOp(
            f"{annotation_id}.del",
            annotation_id,
            annotation.meeting_id,
            annotation.doc_id,
            annotation.version,
            annotation.page_no,
            annotation.visibility.value,
            "delete",
            {},
        )

        def write() -> None:
            with store.atomic():
                store.delete_annotation(annotation_id, self._ctx.clock())
                store.enqueue(op.op_id, "op", op.to_bytes(), meeting_id=op.meeting_id)

        await self._queued(write, annotation.meeting_id, annotation_id)

    async def _queued(self, write: Callable[[], None], meeting_id: str, annotation_id: str) -> None:
        await self._ctx.db(write)
        self.wake_outbox()
        self._ctx.emit(AnnotationsChanged(meeting_id, (annotation_id,)))

    # -- sending -----------------------------------------------------------------------------

    async def _encrypt(self, op: _PendingOp) -> m.NewOp | None:
        """Encrypt at send time: the key may have arrived after the note was written offline."""
        payload = json.dumps(
            {"annotation_id": op.annotation_id, "content": op.content}, ensure_ascii=False
        ).encode()
        key: MeetingKey | PrivateAnnotationKey | None
        if op.visibility == "shared":
            key = await self._keys.meeting_key(op.meeting_id)
        else:
            key = await self._keys.ensure_private_key(op.meeting_id)
        if key is None:
            return None
        return m.NewOp(
            op_id=op.op_id,
            document_id=op.document_id,
            version=op.version,
            page=op.page,
            visibility="shared" if op.visibility == "shared" else "private",
            kind="delete" if op.kind == "delete" else "add",
            payload=encrypt_annotation(
                payload, key, meeting_id=op.meeting_id, annotation_id=op.op_id
            ),
        )

    async def send_outbox(self, conn: RelayConnection) -> None:
        """(Live task) Send queued ops, per meeting and in order, until the session ends."""
        store = self._ctx.store
        while True:
            # Cleared *before* looking: an op added while we look (or refresh the status) sets
            # it again, so the wait below returns at once instead of sleeping past that op.
            self._outbox_wake.clear()
            entries = await self._ctx.db(store.peek, 200)
            if not entries:
                await self._ctx.refresh_status()
                await self._outbox_wake.wait()
                continue
            by_meeting: dict[str, list[m.NewOp]] = {}
            blocked: set[str] = set()
            for entry in entries:
                op = _PendingOp.from_bytes(entry.payload)
                if op.meeting_id in blocked:
                    continue  # keep per-meeting order: nothing overtakes a blocked op
                new_op = await self._encrypt(op)
                if new_op is None:
                    blocked.add(op.meeting_id)
                    continue
                by_meeting.setdefault(op.meeting_id, []).append(new_op)
            if not by_meeting:
                await self._outbox_wake.wait()  # woken when a key arrives or a new op is added
                continue
            for meeting_id, ops in by_meeting.items():
                reply = await conn.request(m.AppendOps(meeting_id=meeting_id, ops=tuple(ops)))
                assert isinstance(reply, m.OpsAppended)

                def acknowledge(results: tuple[m.OpResult, ...] = reply.results) -> None:
                    with store.atomic():
                        for result in results:
                            annotation_id = result.op_id.removesuffix(".del")
                            if store.annotation(annotation_id) is not None:
                                store.set_annotation_seq(annotation_id, result.seq)
                        store.ack([r.op_id for r in results])

                await self._ctx.db(acknowledge)

    # -- receiving ---------------------------------------------------------------------------

    async def fetch(
        self, conn: RelayConnection, meeting_id: str, *, from_start: bool = False
    ) -> None:
        """Every op after the stored cursor (or all of them, once a new key can open more)."""
        cursor = await self._ctx.db(self._ctx.store.sync_cursor, meeting_id, OPS_STREAM)
        since = 0 if from_start or cursor is None else cursor
        while True:
            page = await conn.request(m.FetchOps(meeting_id=meeting_id, since=since, limit=500))
            assert isinstance(page, m.OpsFetched)
            await self.apply(meeting_id, page.ops)
            since = page.last_seq
            if not page.more:
                return

    async def _held_keys(
        self, meeting_id: str
    ) -> dict[str, dict[int, MeetingKey | PrivateAnnotationKey]]:
        return {
            "shared": {k.epoch: k for k in await self._keys.all_meeting_keys(meeting_id)},
            "private": dict(await self._keys.private_keys(meeting_id)),
        }

    async def apply(self, meeting_id: str, ops: tuple[m.LoggedOp, ...]) -> None:
        """Decrypt and store ops from the log.

        The cursor advances only up to the first op whose key this device does not hold yet, so
        that op is fetched again once the key arrives; ops after it that can be opened are
        applied now (storing one twice is harmless). An op that fails to decrypt *with* the
        right key is refused and skipped: waiting will not fix it.
        """
        if not ops:
            return
        keys_by_visibility = await self._held_keys(meeting_id)
        records: list[tuple[m.LoggedOp, dict[str, Any]]] = []
        cursor, blocked = 0, False
        for op in ops:
            held = keys_by_visibility["shared" if op.visibility == "shared" else "private"]
            key: MeetingKey | PrivateAnnotationKey | None
            try:
                key = held.get(read_annotation_header(op.payload)[2])
            except CryptoError:
                key = next(reversed(held.values()), None)  # refused below
            if key is None:
                blocked = True  # fetched again from here once the key arrives
                continue
            if not blocked:
                cursor = op.seq  # later ops are applied now anyway; applying twice is harmless
            try:
                plain = decrypt_annotation(
                    op.payload, key, meeting_id=meeting_id, annotation_id=op.op_id
                )
                records.append((op, json.loads(plain)))
            except (CryptoError, ValueError) as exc:
                log.warning("refusing op %s: %s", op.op_id, getattr(exc, "code", exc))
        changed = await self._ctx.db(self._store_received, meeting_id, records, cursor)
        if changed:
            self._ctx.emit(AnnotationsChanged(meeting_id, tuple(changed)))

    def _store_received(
        self, meeting_id: str, records: list[tuple[m.LoggedOp, dict[str, Any]]], cursor: int
    ) -> list[str]:
        """(Store thread) Apply decrypted ops and advance the cursor in one transaction."""
        store = self._ctx.store
        changed: list[str] = []
        with store.atomic():
            for op, body in records:
                annotation_id = str(body.get("annotation_id", op.op_id))
                logged = parse_time(op.logged_at) or self._ctx.clock()
                if op.kind == "delete":
                    if store.annotation(annotation_id) is not None:
                        store.delete_annotation(annotation_id, logged)
                else:
                    store.put_annotation(
                        Annotation(
                            annotation_id=annotation_id,
                            meeting_id=meeting_id,
                            doc_id=op.document_id,
                            version=op.version,
                            page_no=op.page,
                            visibility=Visibility(op.visibility),
                            author=op.author_user_id,
                            payload=json.dumps(
                                body.get("content", {}), ensure_ascii=False
                            ).encode(),
                            created_at=logged,
                            updated_at=logged,
                            server_seq=op.seq,
                        )
                    )
                changed.append(annotation_id)
            if cursor:
                store.advance_cursor(meeting_id, OPS_STREAM, cursor)
        return changed

    # -- carrying over (差し替え) -------------------------------------------------------------

    def _carry_plan(
        self, meeting_id: str, doc_id: str, version: int
    ) -> tuple[int, list[Annotation], dict[int, int], set[str]] | None:
        """(Store thread) The newest older version with notes of this user, those notes, the
        old → new page map, and the notes carried before (the app may have stopped half-way)."""
        store, me = self._ctx.store, self._ctx.account.user_id
        older = [
            d.version
            for d in store.documents(meeting_id)
            if d.doc_id == doc_id and d.version < version
        ]
        for previous in sorted(older, reverse=True):
            mine = [
                a for a in store.annotations(doc_id, previous) if a.author == me and not a.deleted
            ]
            if mine:
                pages = match_pages(
                    store.page_texts(doc_id, previous), store.page_texts(doc_id, version)
                )
                already = {
                    json.loads(a.payload).get("carried_from")
                    for a in store.annotations(doc_id, version)
                }
                return previous, mine, pages, already
        return None

    async def carry_over(self, meeting_id: str, doc_id: str, version: int) -> None:
        """Move this user's notes from the newest older version onto unchanged pages."""
        found = await self._ctx.db(self._carry_plan, meeting_id, doc_id, version)
        if found is None:
            return
        previous, mine, pages, already = found
        carried: list[tuple[str, str]] = []
        review: list[str] = []
        for note in mine:
            if note.annotation_id in already:
                continue  # carried before
            if note.page_no not in pages:
                review.append(note.annotation_id)
                continue
            content = {**json.loads(note.payload), "carried_from": note.annotation_id}
            new_id = await self.add(
                meeting_id,
                doc_id,
                version,
                pages[note.page_no],
                content,
                visibility=note.visibility,
            )
            carried.append((note.annotation_id, new_id))
        if carried or review:
            self._ctx.emit(
                AnnotationsCarried(
                    meeting_id, doc_id, previous, version, tuple(carried), tuple(review)
                )
            )
