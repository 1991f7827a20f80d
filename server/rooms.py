"""Meeting rooms: presence and the presenter, as pure state (no sockets, no database).

Theory of operation
-------------------
A :class:`Room` exists while anyone is connected to its meeting.  It knows who is attending
(per connection: user, device, and whether they follow the presenter or browse on their own) and
the :class:`PresenterState` — the one thing every follower's screen mirrors.  Every change to the
presenter state increments ``seq``, so a client can drop an update older than what it already
shows, and a late joiner receives the current state in its ``meeting_joined`` reply.

Who may do what (the chair and clerks are *moderators*; admins count as clerks here):

* turn pages / move the pointer — the current presenter; when nobody presents, a moderator's
  first page turn makes them the presenter;
* take the presenter role — a moderator, at any time (taking it back included);
* grant it to a member — the current presenter or a moderator;
* ask for it — any member (moderators and the presenter are told);
* summon everyone ("bring everyone here", 1.4) — whoever may turn the page: ``summon`` grows by
  one, and every reader's client follows the presenter again when it sees it grow.

Methods return the new state or raise :class:`Refusal`; the relay decides whom to tell.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from furano_meet.protocol import ErrorCode
from furano_meet.protocol import messages as m

from .errors import Refusal

MODERATORS: frozenset[m.Role] = frozenset({"chair", "clerk", "admin"})

OutboxT = TypeVar("OutboxT")
"""Whatever the relay delivers frames through (its ``Outbox``); the room only keeps it."""


@dataclass(slots=True)
class Attendee:
    conn_id: int
    user_id: str
    device_id: str
    role: m.Role
    following: bool = True

    def presence(self) -> m.Presence:
        return m.Presence(user_id=self.user_id, device_id=self.device_id, following=self.following)


class Room(Generic[OutboxT]):
    def __init__(self, meeting_id: str, presenter: m.PresenterState | None = None) -> None:
        self.meeting_id = meeting_id
        self.presenter = presenter or m.PresenterState(seq=0)
        self.attendees: dict[int, Attendee] = {}
        self.outboxes: dict[int, OutboxT] = {}
        """conn_id → outbox of every attendee, kept in step with ``attendees`` so a fan-out
        walks only this room (not every connection of the relay)."""
        self.unsaved = False
        """True when ``presenter`` changed since it was last written to the database."""

    # -- presence ----------------------------------------------------------------------------

    def join(self, attendee: Attendee, outbox: OutboxT) -> None:
        self.attendees[attendee.conn_id] = attendee
        self.outboxes[attendee.conn_id] = outbox

    def leave(self, conn_id: int) -> Attendee | None:
        self.outboxes.pop(conn_id, None)
        return self.attendees.pop(conn_id, None)

    def outboxes_except(self, conn_id: int) -> list[OutboxT]:
        return [o for c, o in self.outboxes.items() if c != conn_id]

    def set_following(self, conn_id: int, following: bool) -> Attendee:
        attendee = self.attendees.get(conn_id)
        if attendee is None:
            raise Refusal(ErrorCode.UNEXPECTED_MESSAGE, "Join the meeting first.")
        attendee.following = following
        return attendee

    def attendee_of(self, device_id: str) -> Attendee | None:
        """The newest connection of a device in the room, if it has one (a device that
        reconnected before its old connection was noticed gone is here twice for a while)."""
        return next(
            (a for a in reversed(self.attendees.values()) if a.device_id == device_id), None
        )

    def presence(self) -> tuple[m.Presence, ...]:
        """Who is here, one entry per device (its newest connection's state)."""
        newest = {a.device_id: a for a in self.attendees.values()}
        return tuple(a.presence() for a in newest.values())

    def is_empty(self) -> bool:
        return not self.attendees

    def connections_of(self, user_ids: Collection[str]) -> list[int]:
        return [c for c, a in self.attendees.items() if a.user_id in user_ids]

    def moderator_connections(self) -> list[int]:
        presenter = self.presenter.presenter_user_id
        return [
            c for c, a in self.attendees.items() if a.role in MODERATORS or a.user_id == presenter
        ]

    # -- the presenter -----------------------------------------------------------------------

    def present(
        self,
        user_id: str,
        role: m.Role,
        document_id: str,
        version: int,
        page: int,
        pointer: m.Pointer | None,
        *,
        summon: bool = False,
    ) -> m.PresenterState:
        """Show a page; ``summon`` (1.4, "bring everyone here") also bumps the summons count,
        which moves readers who browse on their own back to this page."""
        current = self.presenter.presenter_user_id
        if current != user_id and not (current == "" and role in MODERATORS):
            raise Refusal(
                ErrorCode.FORBIDDEN,
                "Only the presenter can turn pages. Ask the chair for the presenter role.",
            )
        return self._set(
            presenter_user_id=user_id,
            document_id=document_id,
            version=version,
            page=page,
            pointer=pointer,
            summon=self.presenter.summon + 1 if summon else self.presenter.summon,
        )

    def take(self, user_id: str, role: m.Role) -> m.PresenterState:
        if role not in MODERATORS:
            raise Refusal(
                ErrorCode.FORBIDDEN, "Only the chair or a clerk can take the presenter role."
            )
        return self._set(presenter_user_id=user_id, pointer=None)

    def grant(
        self, by_user: str, by_role: m.Role, to_user: str, members: Collection[str]
    ) -> m.PresenterState:
        if by_user != self.presenter.presenter_user_id and by_role not in MODERATORS:
            raise Refusal(
                ErrorCode.FORBIDDEN,
                "Only the presenter, the chair or a clerk can hand over the presenter role.",
            )
        if to_user not in members:
            raise Refusal(ErrorCode.NOT_FOUND, "That person is not a member of this meeting.")
        return self._set(presenter_user_id=to_user, pointer=None)

    def _set(self, **changes: object) -> m.PresenterState:
        self.presenter = replace(self.presenter, seq=self.presenter.seq + 1, **changes)  # type: ignore[arg-type]
        self.unsaved = True
        return self.presenter
