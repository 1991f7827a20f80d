"""What a meeting allows its members to do with their copies (the clerk's rules).

The rule comes from the meeting's roster, signed on a clerk's or an administrator's device
(:mod:`furano_meet.crypto.roster`, its ``export`` field) and verified by this device against
its organisation's root (:mod:`.trust`) — never from anything only the relay says, since the
relay may be hostile. A meeting without a roster, or with one signed before the field existed,
allows export: that was the behaviour before the clerk could forbid it.

Screens ask here (through :meth:`SyncEngine.export_rule`), never decide themselves.
"""

from __future__ import annotations

from enum import StrEnum

from furano_meet.crypto.roster import Roster

from .queries import MeetingSummary

__all__ = ["ExportRule", "export_rule"]


class ExportRule(StrEnum):
    """Whether a member may save an annotated copy, and if not, why (each screen words it)."""

    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"
    """The clerk's signed roster forbids it (e.g. a closed session, 秘密会)."""
    NOTHING_HERE = "nothing_here"
    """The meeting is not on this device, or its documents were shredded (閲覧期限)."""


def export_rule(meeting: MeetingSummary | None, roster: Roster | None) -> ExportRule:
    """The rule for ``meeting`` given the newest roster this device accepted for it."""
    if meeting is None or meeting.shredded:
        return ExportRule.NOTHING_HERE
    if roster is not None and not roster.export_allowed:
        return ExportRule.FORBIDDEN
    return ExportRule.ALLOWED
