"""The committee (会議体) a screen names for a meeting: the clerk's signed one, else a guess from
the title.

The relay's meeting record has only a title (「令和8年第4回富良野市議会定例会 総務文教委員会」);
the clerk-signed roster can carry the committee (``SyncEngine.committee``, see docs/trust.md
§2.3). The app's meeting list shows the signed name whenever there is one, because only that
one the relay cannot change; the title's last word is read as a committee only when the roster
carries none, so older meetings still show their 会議体. Qt-free, beside :mod:`.policy` (the
export rule, also read from the roster): the words it matches are data, not text to translate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMMITTEE_WORDS = ("委員会", "本会議", "協議会", "審議会", "審査会")
"""How a committee's name ends (「総務文教委員会」, 「全員協議会」); a session (「定例会」) is not one."""


@dataclass(frozen=True, slots=True)
class Committee:
    name: str
    signed: bool
    """True when the clerk signed it in the roster; False for a guess from the title."""


def committee_of(title: str, signed: str | None) -> Committee | None:
    """The committee a meeting row shows: the signed one, else the title's guess, else none."""
    if signed:
        return Committee(signed, True)
    words = re.split(r"\s+", title.strip())
    last = words[-1] if words else ""
    return Committee(last, False) if last.endswith(COMMITTEE_WORDS) else None


def session_of(title: str, committee: Committee | None) -> str:
    """The title without the committee it ends with (「令和8年第4回富良野市議会定例会」): a row
    that names the committee on its own line need not say it twice."""
    if committee is None or not title.rstrip().endswith(committee.name):
        return title
    return title.rstrip()[: -len(committee.name)].strip()
