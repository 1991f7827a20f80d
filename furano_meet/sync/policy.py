"""What a meeting allows its members to do with their copies (the clerk's rules).

Only a seam today: the relay does not yet carry a per-meeting policy, so every answer is the
default. Screens ask here, never decide themselves, so when the clerk can forbid exporting
(e.g. for a closed session, 秘密会) the rule is added in this one place.
"""

from __future__ import annotations

from .queries import MeetingSummary

__all__ = ["export_allowed"]


def export_allowed(meeting: MeetingSummary) -> bool:
    """Whether a member may save an annotated copy of this meeting's documents. Default: yes,
    unless the meeting's documents were shredded (閲覧期限: nothing left to export)."""
    return not meeting.shredded
