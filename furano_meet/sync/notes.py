"""Annotations: written locally at once, signed and sent through the outbox, received from
the op log.

Theory of operation
-------------------
* **Typed notes.** The engine takes and returns :class:`~furano_meet.annotations.AnnotationBody`
  values; the store keeps, and the encrypted op carries, their canonical encoding
  (:func:`~furano_meet.annotations.encode`), never a free dict.
* **Writes go to the outbox first.** An annotation is stored locally and its op queued in the
  same SQLCipher transaction; :meth:`Notes.send_outbox` drains the outbox whenever a connection
  exists. Each op has a client-made id (an edit or delete gets a random suffix,
  :func:`~furano_meet.crypto.signed_ops.op_id_for`, so two devices of one user never collide),
  so an op re-sent after a lost acknowledgement is recognised by the relay: delivered once.
* **Signed at send time.** An op is encrypted and signed when it is first sent (the key may
  arrive after a note was written offline), once, by
  :func:`~.pending_ops.sign_and_keep` (see :mod:`.pending_ops`: one counter never signs two
  ops, a crash or not). A meeting whose key (or this device's certificate) is missing blocks
  only its own ops, in order.
* **Receiving** (:meth:`Notes.fetch`, :meth:`Notes.apply`): see :mod:`.ledger` — verified,
  let through the op ledger, stored; the cursor advances only up to the first op whose key
  this device lacks.
* **Carrying over** (差し替え, :meth:`Notes.carry_over`): this user's notes on an older version
  move to the new version's unchanged pages (see :mod:`.carryover`), as new notes whose body
  names the old one in ``carried_from``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Callable

from furano_meet.annotations import AnnotationBody, encode
from furano_meet.crypto import MeetingKey, PrivateAnnotationKey, encrypt_annotation
from furano_meet.crypto.authority import TrustAnchor
from furano_meet.crypto.roster import Roster
from furano_meet.crypto.signed_ops import OpKind, op_id_for
from furano_meet.net import RelayConnection, RelayError
from furano_meet.protocol import messages as m
from furano_meet.store.records import Annotation, Visibility

from . import ledger
from .carryover import carry_plan
from .context import SyncContext
from .events import AnnotationsCarried, AnnotationsChanged
from .keys import Keys
from .ledger import OPS_STREAM
from .pending_ops import PendingOp, batches, sign_and_keep
from .queries import AnnotationView, stored_body, view_of

log = logging.getLogger("furano.sync")

__all__ = ["Notes"]


class Notes:
    def __init__(self, ctx: SyncContext, keys: Keys) -> None:
        self._ctx = ctx
        self._keys = keys
        self._outbox_wake = asyncio.Event()
        self._anchor = TrustAnchor(ctx.account.org_id, ctx.account.root_fingerprint)

    def wake_outbox(self) -> None:
        """Something may be sendable now (a new op, or a key that unblocks a meeting)."""
        self._outbox_wake.set()

    async def roster(self, meeting_id: str) -> Roster | None:
        """The meeting's newest roster this device accepted (signed by a clerk's or an
        administrator's device, never the relay's word): its ``note_editors`` roles may change
        others' *shared* notes. Without one, only a note's author may edit or delete it."""
        return await self._keys.trust.roster(meeting_id)

    # -- writing -----------------------------------------------------------------------------

    async def add(
        self,
        meeting_id: str,
        document_id: str,
        version: int,
        page: int,
        body: AnnotationBody,
        *,
        visibility: Visibility = Visibility.PRIVATE,
    ) -> str:
        """Store an annotation now and queue it for the relay; works offline."""
        annotation_id = f"a-{uuid.uuid4().hex}"
        payload = encode(body)
        op = PendingOp(
            annotation_id,
            annotation_id,
            meeting_id,
            document_id,
            version,
            page,
            "shared" if visibility is Visibility.SHARED else "private",
            "add",
            payload.decode(),
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
            payload=payload,
            created_at=now,
            updated_at=now,
        )
        store = self._ctx.store

        def write() -> None:
            with store.atomic():
                store.put_annotation(annotation)
                store.enqueue(op.op_id, "op", op.to_bytes(), meeting_id=meeting_id)

        await self._queued(write, meeting_id, annotation_id, view_of(annotation, body))
        return annotation_id

    async def _change(self, annotation_id: str, kind: OpKind, body: AnnotationBody | None) -> None:
        store = self._ctx.store
        annotation = await self._ctx.db(store.annotation, annotation_id)
        if annotation is None or annotation.deleted:
            raise LookupError(annotation_id)
        payload = b"" if body is None else encode(body)
        op = PendingOp(
            op_id_for(annotation_id, kind),
            annotation_id,
            annotation.meeting_id,
            annotation.doc_id,
            annotation.version,
            annotation.page_no,
            "shared" if annotation.visibility is Visibility.SHARED else "private",
            kind,
            payload.decode(),
        )
        now = self._ctx.clock()
        edited = dataclasses.replace(annotation, payload=payload, updated_at=now)

        def write() -> None:
            with store.atomic():
                if body is None:
                    store.delete_annotation(annotation_id, now)
                else:
                    store.put_annotation(edited)
                store.enqueue(op.op_id, "op", op.to_bytes(), meeting_id=op.meeting_id)

        view = None if body is None else view_of(edited, body)
        await self._queued(write, annotation.meeting_id, annotation_id, view)

    async def edit(self, annotation_id: str, body: AnnotationBody) -> None:
        """Change a note (only its author's edit is accepted by other members' devices)."""
        await self._change(annotation_id, "update", body)

    async def delete(self, annotation_id: str) -> None:
        await self._change(annotation_id, "delete", None)

    async def _queued(
        self,
        write: Callable[[], None],
        meeting_id: str,
        annotation_id: str,
        written: AnnotationView | None,
    ) -> None:
        """Run ``write`` and announce it — whole (``written``, the note as now stored) for an
        add or an edit, so the author's window draws the new stroke alone instead of reading
        the page's notes again after every stroke (issue #9, fifth session)."""
        await self._ctx.db(write)
        self.wake_outbox()
        notes = () if written is None else (written,)
        self._ctx.emit(AnnotationsChanged(meeting_id, (annotation_id,), notes))

    # -- sending -----------------------------------------------------------------------------

    async def _signed(self, op: PendingOp) -> m.NewOp | None:
        """The op as sent: signed and encrypted once (then kept), or ``None`` while its key
        or this device's certificate is missing."""
        store = self._ctx.store
        key: MeetingKey | PrivateAnnotationKey | None = None
        if op.visibility == "shared":  # read together: one hop off the loop, not two (#9)
            kept, key = await asyncio.gather(
                self._ctx.db(store.signed_op, op.op_id), self._keys.meeting_key(op.meeting_id)
            )
        else:  # a private key may have to be made: only when the op is not signed yet
            kept = await self._ctx.db(store.signed_op, op.op_id)
        if kept is None:
            if op.visibility != "shared":
                key = await self._keys.ensure_private_key(op.meeting_id)
            cert = await self._keys.load_own_certificate(op.meeting_id)
            if key is None or cert is None:
                return None
            payload = encrypt_annotation(
                op.body.encode(), key, meeting_id=op.meeting_id, annotation_id=op.op_id
            )
            account = self._ctx.account
            signed = await self._ctx.db(sign_and_keep, store, op, payload, account.keys, cert)
            kept = (signed, payload)
        return m.NewOp(
            op_id=op.op_id,
            document_id=op.document_id,
            version=op.version,
            page=op.page,
            visibility=op.visibility,
            kind=op.kind,
            payload=kept[1],
            signed=kept[0],
        )

    async def send_outbox(self, conn: RelayConnection) -> None:
        """(Live task) Send queued ops, per meeting and in order, until the session ends.

        A meeting whose ops the relay refuses as ``stale`` (this device's chain does not
        continue the relay's: its store was restored from a backup, or the relay's log was) is
        held for the rest of the session, logged, rather than resent in a loop.
        """
        store = self._ctx.store
        if conn.session.peer_minor < 3:
            # Unsigned ops would be refused by every other device: hold them for a 1.3 relay.
            log.error("the relay speaks protocol 1.%d; notes wait for 1.3", conn.session.peer_minor)
            await asyncio.Event().wait()  # until the session ends (this task is cancelled)
        stale: set[str] = set()
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
            targets: dict[str, str] = {}
            blocked = set(stale)
            for entry in entries:
                op = PendingOp.from_bytes(entry.payload)
                if op.meeting_id in blocked:
                    continue  # keep per-meeting order: nothing overtakes a blocked op
                new_op = await self._signed(op)
                if new_op is None:
                    blocked.add(op.meeting_id)
                    continue
                by_meeting.setdefault(op.meeting_id, []).append(new_op)
                targets[op.op_id] = op.annotation_id
            if not by_meeting:
                await self._outbox_wake.wait()  # woken when a key arrives or a new op is added
                continue
            limit = conn.welcome.max_frame if conn.welcome else 1024 * 1024
            for meeting_id, ops in by_meeting.items():
                try:
                    for batch in batches(ops, limit // 2):
                        await self._append(conn, meeting_id, batch, targets)
                except RelayError as exc:
                    if exc.code != "stale":
                        raise
                    log.error("notes of %s not sent: %s", meeting_id, exc.message)
                    stale.add(meeting_id)

    async def _append(
        self,
        conn: RelayConnection,
        meeting_id: str,
        ops: tuple[m.NewOp, ...],
        targets: dict[str, str],
    ) -> None:
        store = self._ctx.store
        reply = await conn.request(m.AppendOps(meeting_id=meeting_id, ops=ops))
        assert isinstance(reply, m.OpsAppended)

        def acknowledge() -> None:
            with store.atomic():
                for result in reply.results:
                    annotation_id = targets.get(result.op_id, result.op_id)
                    if store.annotation(annotation_id) is not None:
                        store.set_annotation_seq(annotation_id, result.seq)
                store.ack([r.op_id for r in reply.results])

        await self._ctx.db(acknowledge)
        account = self._ctx.account
        own = ledger.as_logged(account.user_id, account.device_id, ops, reply.results)
        await self.apply(meeting_id, own, own=True)

    # -- receiving ---------------------------------------------------------------------------

    async def fetch(
        self, conn: RelayConnection, meeting_id: str, *, from_start: bool = False
    ) -> None:
        """Every op after the stored cursor (or all of them, once a new key can open more).
        A 1.3 relay sends one signature per stream and page (``"heads"``, see :mod:`.ledger`)."""
        cursor = await self._ctx.db(self._ctx.store.sync_cursor, meeting_id, OPS_STREAM)
        since = 0 if from_start or cursor is None else cursor
        heads: m.SignatureMode = "heads" if conn.session.peer_minor >= 3 else "all"
        while True:
            page = await conn.request(
                m.FetchOps(meeting_id=meeting_id, since=since, limit=500, signatures=heads)
            )
            assert isinstance(page, m.OpsFetched)
            await self.apply(meeting_id, page.ops)
            since = page.last_seq
            if not page.more:
                return

    async def _held_keys(self, meeting_id: str) -> ledger.HeldKeys:
        shared, private = await asyncio.gather(
            self._keys.all_meeting_keys(meeting_id), self._keys.private_keys(meeting_id)
        )
        return {"shared": {k.epoch: k for k in shared}, "private": dict(private)}

    async def apply(
        self, meeting_id: str, ops: tuple[m.LoggedOp, ...], *, own: bool = False
    ) -> None:
        """Verify, open and store ops from the log (see :mod:`.ledger`).

        The cursor advances only up to the first op whose key this device does not hold yet,
        so that op is fetched again once the key arrives; the ops after it are applied now
        (a re-delivery is recognised by the ledger). Refused ops are skipped: waiting will
        not fix them.

        ``own`` ops are this device's, just acknowledged (the relay does not push a device's
        ops back to it): they go through the same ledger, so this device knows its notes'
        owner and chain like everyone else's, but they never move the cursor (ops of others
        logged before them may still be on their way), and their notes — stored and announced
        when they were written — are neither stored nor announced again.
        """
        if not ops:
            return
        # What the checks need is read at once, and the checks run in one worker-thread call
        # (issue #9: each hop off the loop waits its turn on a busy device).
        certificates, keys, roster = await asyncio.gather(
            self._keys.certificates_of(meeting_id, ledger.signers(ops)),
            self._held_keys(meeting_id),
            self.roster(meeting_id),
        )
        received = await asyncio.to_thread(
            ledger.verify_and_open, meeting_id, ops, certificates, self._anchor, keys
        )
        waiting = {r.logged.seq for r in received if r.waiting}
        cursor = 0
        for op in () if own else ops:
            if op.seq in waiting:
                break
            cursor = op.seq
        stored = await self._ctx.db(
            ledger.store_received,
            self._ctx.store,
            meeting_id,
            received,
            cursor,
            roster,
            self._ctx.clock(),
            own=own,
        )
        if stored.changed:
            self._ctx.emit(AnnotationsChanged(meeting_id, stored.changed, stored.live))

    # -- carrying over (差し替え) -------------------------------------------------------------

    async def carry_over(self, meeting_id: str, doc_id: str, version: int) -> None:
        """Move this user's notes from the newest older version onto unchanged pages."""
        store, me = self._ctx.store, self._ctx.account.user_id
        found = await self._ctx.db(carry_plan, store, me, meeting_id, doc_id, version)
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
            body = stored_body(note)
            if body is None:
                review.append(note.annotation_id)
                continue
            new_id = await self.add(
                meeting_id,
                doc_id,
                version,
                pages[note.page_no],
                dataclasses.replace(body, carried_from=note.annotation_id),
                visibility=note.visibility,
            )
            carried.append((note.annotation_id, new_id))
        if review:  # kept before it is told: a restart must not lose the list
            await self._ctx.db(
                self._ctx.store.keep_for_review, meeting_id, doc_id, previous, version, review
            )
        if carried or review:
            self._ctx.emit(
                AnnotationsCarried(
                    meeting_id, doc_id, previous, version, tuple(carried), tuple(review)
                )
            )
