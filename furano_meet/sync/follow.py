"""Following the presenter, or browsing on my own: the state behind the page a reader sees.

Theory of operation
-------------------
Two things are kept apart (the idea comes from presenter tools such as pympress): what the
*presenter* shows the room, and what *this reader* is looking at.  While following, the reader's
page is the presenter's; a page turn of their own switches them to browsing, and the presenter's
turns then only move the "presenter is on page P" marker, until they choose to follow again and
jump straight to where the room is.

Presenter updates carry a sequence number; an update older than the one already applied is
ignored, so a delayed frame can never drag a reader back.  A fresh ``meeting_joined`` snapshot is
authoritative and resets the sequence (the relay may have restarted).

"Bring everyone here" (protocol 1.4) is a *summons*: the presenter state carries a count,
``summon``, that the relay bumps when the presenter asks for everyone.  A live update whose count
is higher than the one last applied moves a browsing reader back to following — once: the very
next page turn of their own makes them browse again, so a summons moves the view and never locks
it.  The count a join snapshot brings is only remembered (a summons made while this reader was
away is history, not a call), and a count from a relay that does not know summonses stays 0.
A forged or repeated summons from a hostile relay can therefore do no more than the relay
already can (show a page); it cannot stop the reader from turning away.

A summons names its page like any turn, and the presenter names the page on their screen, so a
turn and a bring pressed right after it name the same page: whichever order the relay handles
them in and whichever of their frames a reader gets (the newest always comes), the reader ends
on that page, following — nothing here depends on their order (see the tests of a bring before
and after its turn).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from furano_meet.protocol import messages as m


class Mode(StrEnum):
    FOLLOWING = "following"
    BROWSING = "browsing"


@dataclass(frozen=True, slots=True)
class PageRef:
    document_id: str
    version: int
    page: int


@dataclass(frozen=True, slots=True)
class View:
    """What the reader's screen should show right now."""

    mode: Mode
    page: PageRef | None
    presenter_page: PageRef | None
    presenter_user_id: str
    pointer: m.Pointer | None
    """The presenter's pointer, shown only while following on the presenter's page."""


@dataclass
class FollowState:
    mode: Mode = Mode.FOLLOWING
    presenter: m.PresenterState | None = None
    own_page: PageRef | None = None

    def reset(self, presenter: m.PresenterState) -> View:
        """Apply a join snapshot (authoritative, whatever its sequence number)."""
        self.presenter = presenter
        return self.view()

    def on_presenter(self, state: m.PresenterState) -> View | None:
        """A live update; returns the new view, or ``None`` if it was stale.  A new summons
        switches a browsing reader back to following (see the module docstring)."""
        if self.presenter is not None and state.seq <= self.presenter.seq:
            return None
        if self.presenter is not None and state.summon > self.presenter.summon:
            self.mode = Mode.FOLLOWING
        self.presenter = state
        return self.view()

    def browse(self, page: PageRef) -> View:
        """The reader turned a page themselves: they browse on their own from now on."""
        self.mode = Mode.BROWSING
        self.own_page = page
        return self.view()

    def follow(self) -> View:
        self.mode = Mode.FOLLOWING
        return self.view()

    def view(self) -> View:
        presenter_page = _page_of(self.presenter)
        following = self.mode is Mode.FOLLOWING
        page = presenter_page if following else self.own_page or presenter_page
        pointer = self.presenter.pointer if following and self.presenter is not None else None
        return View(
            mode=self.mode,
            page=page,
            presenter_page=presenter_page,
            presenter_user_id=self.presenter.presenter_user_id if self.presenter else "",
            pointer=pointer,
        )


def _page_of(state: m.PresenterState | None) -> PageRef | None:
    if state is None or not state.document_id:
        return None
    return PageRef(state.document_id, state.version, state.page)
