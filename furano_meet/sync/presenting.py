"""The meeting room as this device sees it: presenter, following, members, presence, and the
presenter intents (turn a page, point, ask for / hand over / take the role, bring everyone).

Theory of operation
-------------------
Per meeting the state is the join snapshot (members, presence, presenter) kept up to date by
pushes; :meth:`Presenting.view` hands out an immutable :class:`MeetingView` of it, so a screen
never holds anything the engine mutates. Following and browsing are :class:`~.follow.FollowState`.

Every intent is an awaited request that either succeeds or raises, and a refusal is
:class:`PresenterRefused` — never mistaken for losing access to the meeting. The relay answers
``request_presenter``, ``grant_presenter`` and ``take_presenter`` with ``done``; a page turn
(``present_page``, pointer moves included) is answered *by the broadcast itself*: success is
the ``presenter_changed`` push that shows this user presenting exactly that page and pointer,
a refusal is ``failed`` with the request's id. The relay coalesces presenter broadcasts, so a
quick second turn may replace the first one's; turns of one device are therefore confirmed in
order — a confirmed turn confirms every earlier one still waiting. A summons ("bring everyone
here") is confirmed only by an echo that counts it, never by the echo of the plain turn to the
same page sent just before it.

Presenter frames are the relay's word, so one moves this reader only to a page of this meeting
that the reader's own store holds, verified (:mod:`.presenter_guard`); a frame that fails is
ignored whole, logged and counted (:attr:`MeetingView.ignored_frames`). The join snapshot's page
is checked the same way (its presenter, sequence number and summons count are still taken).

Whether this reader follows or browses is told to the relay so that the presenter's panel shows
it, and *reliably*: the join carries it, and after that the newest state is sent until the relay
has acknowledged it on the current connection — a send that goes unanswered is sent again, one
lost with its connection is carried by the next join, and a change made meanwhile replaces what
was still to be sent (the newest state wins; docs/protocol.md §4.3).

An intent that names no page of its own (a bring without one, a pointer move) takes the page
this device last *asked* to show — its newest turn not yet echoed — and only then the page the
relay last echoed: a bring pressed right after a turn must not take the room back to the page
before it (docs/protocol.md §4.3).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace

from furano_meet.errors import Fault, FuranoError
from furano_meet.net import RelayError
from furano_meet.protocol import messages as m

from . import presenter_guard
from .context import SyncContext
from .events import PresenceUpdated, PresenterMoved, PresenterRequested
from .follow import FollowState, Mode, PageRef, View

log = logging.getLogger("furano.sync")

MODERATOR_ROLES: frozenset[m.Role] = frozenset({"chair", "clerk", "admin"})
"""Who may take the presenter role and hand it over (the relay enforces the same rule)."""

TURN_TIMEOUT = 10.0
"""Seconds a page turn waits for the relay's answer before :class:`TimeoutError`."""

LOST = frozenset({"connection_lost", "device_revoked", "offline"})
"""Relay errors that end the connection: the next join carries the following state."""

FOLLOWING_TIMEOUT = 5.0
"""Seconds a ``set_following`` waits for its ``done`` before it is sent again (the connection
still up: a reply lost, a relay too busy to answer)."""


class PresenterRefused(FuranoError):
    """The relay refused a presenter intent: this user is not the presenter (or not allowed to
    take or hand over the role). Nothing changed, and the user is still in the meeting."""

    code = "not_presenter"
    fault = Fault.USER

    def __init__(self, message: str) -> None:
        super().__init__(message, "Ask the chair for the presenter role.")


@dataclass(frozen=True, slots=True)
class MeetingView:
    """An immutable snapshot of one meeting's room, for a screen to show."""

    meeting_id: str
    joined: bool
    """In the room on the current connection (else: offline, or not joined yet)."""
    my_role: m.Role
    view: View
    """What this reader sees: following or browsing, the page, the presenter's page, pointer."""
    presenting: bool
    """This user is the presenter."""
    members: tuple[m.MemberInfo, ...]
    presence: tuple[m.Presence, ...]
    """Devices in the room now, with whether each follows the presenter."""
    ignored_frames: int = 0
    """Presenter frames (live or in a join snapshot) not shown when they came because the page
    they name is not one this reader holds for this meeting (:mod:`.presenter_guard`), since
    the engine started — held back ones included (a version still arriving: shown once it has)."""

    @property
    def following(self) -> bool:
        return self.view.mode is Mode.FOLLOWING

    @property
    def may_moderate(self) -> bool:
        return self.my_role in MODERATOR_ROLES


@dataclass(eq=False)
class _Turn:
    """A page turn sent and not yet confirmed."""

    wanted: tuple[str, int, int, m.Pointer | None]
    confirmed: asyncio.Future[None]
    summons: int = 0
    """(1.4) A summons: the count its echo shows at least — so the echo of a plain turn to the
    same page, sent just before it, does not pass for the summons (0: a plain turn)."""


@dataclass(eq=False)
class _Room:
    follow: FollowState = field(default_factory=FollowState)
    joined: bool = False
    my_role: m.Role = "member"
    members: tuple[m.MemberInfo, ...] = ()
    presence: dict[tuple[str, str], m.Presence] = field(default_factory=dict)
    turns: list[_Turn] = field(default_factory=list)
    told: bool | None = None
    """Following (or not) as the relay has acknowledged it on the current connection (the join
    carried it, or a ``set_following`` was answered); ``None``: not known to the relay."""
    telling: asyncio.Task[None] | None = None
    """The task sending the newest following state until the relay has it (one at a time)."""


class Presenting:
    def __init__(self, ctx: SyncContext) -> None:
        self._ctx = ctx
        self._rooms: dict[str, _Room] = {}
        self._guard = presenter_guard.Guard(ctx, self._show_arrived)

    def _room(self, meeting_id: str) -> _Room:
        return self._rooms.setdefault(meeting_id, _Room())

    # -- state -------------------------------------------------------------------------------

    def view(self, meeting_id: str) -> MeetingView:
        room = self._room(meeting_id)
        shown = room.follow.view()
        return MeetingView(
            meeting_id=meeting_id,
            joined=room.joined,
            my_role=room.my_role,
            view=shown,
            presenting=bool(shown.presenter_user_id)
            and shown.presenter_user_id == self._ctx.account.user_id,
            members=room.members,
            presence=tuple(room.presence[k] for k in sorted(room.presence)),
            ignored_frames=self._guard.ignored.get(meeting_id, 0),
        )

    def is_following(self, meeting_id: str) -> bool:
        return self._room(meeting_id).follow.mode is Mode.FOLLOWING

    # -- what the relay tells ----------------------------------------------------------------

    async def joined(self, joined: m.MeetingJoined, *, following: bool) -> None:
        """A join snapshot: authoritative for the presenter, members and presence — but its
        page moves this reader only if it passes :func:`.presenter_guard.page_problem` (else
        the page shown so far is kept). ``following`` is what the join told the relay: if the
        reader changed their mind while it was on its way, the newest state is sent now."""
        meeting_id = joined.meeting.meeting_id
        room = self._room(meeting_id)
        presenter = joined.presenter
        self._guard.superseded(meeting_id)
        if not await self._guard.allows(meeting_id, presenter, from_join=True):
            kept = room.follow.presenter or m.PresenterState(seq=0)
            presenter = replace(
                presenter,
                document_id=kept.document_id,
                version=kept.version,
                page=kept.page,
                pointer=None,
            )
        room.joined, room.my_role, room.members = True, joined.meeting.my_role, joined.members
        room.presence = {(p.user_id, p.device_id): p for p in joined.presence}
        room.told = following
        self._ctx.emit(PresenterMoved(meeting_id, room.follow.reset(presenter)))
        self._announce(meeting_id)

    def left_all(self) -> None:
        """The connection ended: nobody is known to be present until the next join, and the
        relay knows nothing of this reader's following until the next join tells it."""
        for room in self._rooms.values():
            room.joined = False
            room.told = None
            room.presence.clear()

    async def presenter_changed(self, meeting_id: str, state: m.PresenterState) -> None:
        """A live update; a new summons (1.4) brings this reader back to following, and the
        relay is told so that the presenter's panel shows it (after any turn it confirms)."""
        room = self._room(meeting_id)
        self._guard.superseded(meeting_id, state.seq)
        allowed = await self._guard.allows(meeting_id, state)
        self._show(meeting_id, room, state if allowed else None)
        if state.presenter_user_id == self._ctx.account.user_id:
            self._confirm_turns(room, state)  # the relay broadcast it, shown here or not

    def _show(self, meeting_id: str, room: _Room, state: m.PresenterState | None) -> None:
        """Apply a live frame that passed the check (``None``: nothing to apply)."""
        was_browsing = room.follow.mode is Mode.BROWSING
        view = room.follow.on_presenter(state) if state is not None else None
        if view is not None:
            self._ctx.emit(PresenterMoved(meeting_id, view))
        if was_browsing and view is not None and view.mode is Mode.FOLLOWING:
            self._announce(meeting_id)  # not awaited: pushes must not wait for the relay

    def _show_arrived(self, meeting_id: str, state: m.PresenterState, from_join: bool) -> None:
        """A frame held back until its version arrived, now checked: a join snapshot's is
        taken as it is (it was authoritative), a live one like any live frame."""
        room = self._room(meeting_id)
        if from_join:
            self._ctx.emit(PresenterMoved(meeting_id, room.follow.reset(state)))
        else:
            self._show(meeting_id, room, state)

    @staticmethod
    def _confirm_turns(room: _Room, state: m.PresenterState) -> None:
        shown = (state.document_id, state.version, state.page, state.pointer)
        matching = [
            i
            for i, turn in enumerate(room.turns)
            if turn.wanted == shown and state.summon >= turn.summons
        ]
        if matching:
            for turn in room.turns[: matching[-1] + 1]:
                if not turn.confirmed.done():
                    turn.confirmed.set_result(None)
            del room.turns[: matching[-1] + 1]

    def presence_changed(self, push: m.PresenceChanged) -> None:
        presence = self._room(push.meeting_id).presence
        key = (push.user_id, push.device_id)
        if push.online:
            presence[key] = m.Presence(
                user_id=push.user_id, device_id=push.device_id, following=push.following
            )
        else:
            presence.pop(key, None)
        self._ctx.emit(
            PresenceUpdated(
                push.meeting_id, push.user_id, push.device_id, push.online, push.following
            )
        )

    def presenter_requested(self, push: m.PresenterRequested) -> None:
        self._ctx.emit(PresenterRequested(push.meeting_id, push.user_id))

    # -- presenter intents -------------------------------------------------------------------

    async def present_page(
        self,
        meeting_id: str,
        document_id: str,
        version: int,
        page: int,
        pointer: m.Pointer | None = None,
        *,
        summon: bool = False,
    ) -> None:
        """Show a page to everyone following; returns once the relay has broadcast it.
        ``summon`` brings those who browse on their own too (a 1.3 relay ignores it)."""
        conn = self._ctx.require_connection()
        room = self._room(meeting_id)
        turn = _Turn(
            (document_id, version, page, pointer),
            asyncio.get_running_loop().create_future(),
            _summons_after(room) if summon and conn.session.peer_minor >= 4 else 0,
        )
        room.turns.append(turn)
        request = asyncio.ensure_future(
            conn.request(
                m.PresentPage(
                    meeting_id=meeting_id,
                    document_id=document_id,
                    version=version,
                    page=page,
                    pointer=pointer,
                    summon=summon,
                ),
                timeout=TURN_TIMEOUT,
            )
        )
        try:
            await asyncio.wait((request, turn.confirmed), return_when=asyncio.FIRST_COMPLETED)
            if not turn.confirmed.done():
                await _refused_as_typed(request)  # a reply with its id: failed (or a future done)
        finally:
            if turn in room.turns:
                room.turns.remove(turn)
            if request.done():
                request.exception()  # retrieved: raised above when it mattered
            else:
                request.cancel()

    async def set_pointer(self, meeting_id: str, pointer: m.Pointer | None) -> None:
        """Point at something on the presented page (``None`` hides the pointer) — the page
        this device last asked to show, so a point right after a turn stays on the new page."""
        room = self._room(meeting_id)
        shown = _newest_turn(room) or room.follow.view().presenter_page
        if shown is None:
            raise PresenterRefused("Nothing is being presented to point at.")
        await self.present_page(meeting_id, shown.document_id, shown.version, shown.page, pointer)

    async def bring_everyone_here(self, meeting_id: str, page: PageRef | None = None) -> None:
        """Present ``page`` to everyone — those who browse on their own too (a summons,
        protocol 1.4; they may turn away again at once) — and follow it from now on. A chair or
        clerk who is not the presenter takes the role first; anyone else must hold it.

        The summons names its page, so it is right in whatever order the relay handles it and
        a page turn sent just before it: ``page`` is the page on the caller's screen, and
        without it the newest page this device has asked to present (a turn not yet echoed),
        else the page this reader sees. Never the last echo alone: a bring pressed right after
        a turn would otherwise take everyone back to the page before it."""
        room = self._room(meeting_id)
        following = room.follow.mode is Mode.FOLLOWING
        here = page or (_newest_turn(room) if following else None) or room.follow.view().page
        if here is None:
            raise PresenterRefused("There is no page to bring everyone to.")
        if not self.view(meeting_id).presenting and room.my_role in MODERATOR_ROLES:
            await self.take_role(meeting_id)
        await self.present_page(meeting_id, here.document_id, here.version, here.page, summon=True)
        await self.follow(meeting_id)

    async def request_role(self, meeting_id: str) -> None:
        """Ask to present: the presenter, the chair and the clerks are told."""
        await self._ask(m.RequestPresenter(meeting_id=meeting_id))

    async def grant_role(self, meeting_id: str, user_id: str) -> None:
        """(Presenter, chair or clerk) Hand the presenter role to a member."""
        await self._ask(m.GrantPresenter(meeting_id=meeting_id, user_id=user_id))

    async def take_role(self, meeting_id: str) -> None:
        """(Chair or clerk) Take the presenter role (back)."""
        await self._ask(m.TakePresenter(meeting_id=meeting_id))

    async def _ask(self, request: m.Msg) -> None:
        conn = self._ctx.require_connection()
        await _refused_as_typed(asyncio.ensure_future(conn.request(request)))

    # -- following ---------------------------------------------------------------------------

    async def browse(self, meeting_id: str, page: PageRef) -> None:
        """This reader turned a page themselves: they browse on their own from now on."""
        follow = self._room(meeting_id).follow
        self._ctx.emit(PresenterMoved(meeting_id, follow.browse(page)))
        await self._tell_following(meeting_id)

    async def follow(self, meeting_id: str) -> None:
        """Follow the presenter again, jumping to where the room is."""
        self._ctx.emit(PresenterMoved(meeting_id, self._room(meeting_id).follow.follow()))
        await self._tell_following(meeting_id)

    async def _tell_following(self, meeting_id: str) -> None:
        """Tell the relay this reader's newest following state; returns once it has it (or
        it cannot have it on this connection: the next join carries it). Never raises for
        the relay's sake — the reader's screen has moved already."""
        await asyncio.shield(self._announce(meeting_id))

    def _announce(self, meeting_id: str) -> asyncio.Task[None]:
        """The task sending the newest state until acknowledged (started if none runs)."""
        room = self._room(meeting_id)
        if room.telling is None or room.telling.done():
            room.telling = asyncio.create_task(
                self._send_following(meeting_id, room), name="sync-following"
            )
        return room.telling

    async def _send_following(self, meeting_id: str, room: _Room) -> None:
        """Send ``set_following`` until the relay's acknowledged state is the reader's newest.

        Unanswered (:data:`FOLLOWING_TIMEOUT`): sent again. The connection lost: stop — the
        next join carries the state. Refused: stop and log (the relay answered; repeating the
        question would not change its answer). A change made while a send is on its way is
        sent right after it, so the relay ends with the newest state whatever was lost."""
        while True:
            conn = self._ctx.conn
            wanted = room.follow.mode is Mode.FOLLOWING
            if conn is None or not room.joined or room.told == wanted:
                return
            try:
                await conn.request(
                    m.SetFollowing(meeting_id=meeting_id, following=wanted),
                    timeout=FOLLOWING_TIMEOUT,
                )
            except TimeoutError:
                log.info("set_following for %s went unanswered; sending it again", meeting_id)
                continue
            except RelayError as exc:
                if exc.code not in LOST:
                    log.warning("relay refused set_following for %s: %s", meeting_id, exc.code)
                return
            if conn is self._ctx.conn and room.joined:
                room.told = wanted


def _newest_turn(room: _Room) -> PageRef | None:
    """The page of this device's newest turn the relay has not echoed yet, if any."""
    if not room.turns:
        return None
    document_id, version, page, _pointer = room.turns[-1].wanted
    return PageRef(document_id, version, page)


def _summons_after(room: _Room) -> int:
    """The count a new summons' echo will show at least: one more than the newest known, or
    than the newest still on its way from this device."""
    known = room.follow.presenter.summon if room.follow.presenter is not None else 0
    return 1 + max([known, *(turn.summons for turn in room.turns)])


async def _refused_as_typed(reply: asyncio.Future[m.Msg]) -> None:
    """Await a request's reply; a ``forbidden`` refusal becomes :class:`PresenterRefused`."""
    try:
        await reply
    except RelayError as exc:
        if exc.code == "forbidden":
            raise PresenterRefused(exc.message) from exc
        raise
