"""The recovery report: what was kept, what was lost, and what to ask the administrator for.

Written for the councillor (or the IT helper beside them), not for a developer: counts by kind of
record, the folder the damaged files were moved to, one line saying exactly what to ask for -
a new invitation when this device's enrolment could not be read, nothing otherwise - and the
next command to run. Kept as text and as JSON in the ``damaged-*`` folder (:mod:`.recovery`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

__all__ = ["RecoveryReport", "TableReport"]


@dataclass(frozen=True)
class TableReport:
    """One kind of record: how many rows were carried into the new cache, how many were lost."""

    table: str
    what: str
    kept: int
    lost: int
    incomplete: bool


@dataclass(frozen=True)
class RecoveryReport:
    """The outcome of :func:`recover_profile`; :meth:`text` is what the user reads."""

    profile_id: str
    damaged: bool
    problem: str = ""
    moved_to: str | None = None
    identity_kept: bool = False
    device_id: str | None = None
    tables: tuple[TableReport, ...] = ()
    exported: int = 0
    export_file: str | None = None
    replayed: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def table(self, name: str) -> TableReport | None:
        return next((t for t in self.tables if t.table == name), None)

    @property
    def ask_administrator(self) -> str | None:
        """Exactly what to ask the administrator for; ``None``: nothing."""
        if not self.damaged or self.identity_kept:
            return None
        return (
            "a new invitation for this device (its enrolment could not be recovered"
            + (f"; ask them to revoke the old device {self.device_id}" if self.device_id else "")
            + ")"
        )

    def text(self) -> str:
        """The plain report printed by ``furano-meet recover`` and kept in the damaged folder."""
        return _text(self)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RecoveryReport:
        data = json.loads(text)
        data["tables"] = tuple(TableReport(**t) for t in data["tables"])
        data["notes"] = tuple(data["notes"])
        return cls(**data)


def _text(report: RecoveryReport) -> str:
    if not report.damaged:
        lines = [
            f"The meeting cache of profile {report.profile_id!r} is not damaged; nothing to do."
        ]
        if report.replayed:
            lines.append(
                f"{report.replayed} unsent change(s) saved by an earlier recovery were put back "
                "in the outbox; they are sent at the next sync."
            )
        return "\n".join(lines) + "\n"
    lines = [
        f"Recovery of the meeting cache of profile {report.profile_id!r}",
        "",
        f"What was wrong: {report.problem}",
        f"The damaged files were moved, unchanged, to: {report.moved_to}",
        "",
        "Kept:",
        *_kept_lines(report),
        "",
        "Lost:",
        *_lost_lines(report),
    ]
    if report.export_file:
        lines += [
            "",
            f"{report.exported} unsent change(s) could not be put into the new cache; they were "
            f"saved (encrypted) to {report.export_file} and are put back in the outbox by the "
            "next `furano-meet recover`.",
        ]
    lines += ["", *report.notes] if report.notes else []
    unsent = report.table("outbox")
    sends = " and sends the kept unsent changes" if unsent and unsent.kept else ""
    ask = report.ask_administrator
    if ask is None:
        lines += [
            "",
            "What to ask the administrator for: nothing; this device's enrolment survived.",
            "",
            f"Next: run `furano-meet sync`; it fetches meetings, documents and shared notes "
            f"again{sends}.",
        ]
    else:
        lines += [
            "",
            f"What to ask the administrator for: {ask}.",
            "",
            "Next: do not wipe this profile. With the new invitation, run `furano-meet enrol "
            "RELAY INVITATION` for this same profile; once the administrator has certified the "
            f"device, `furano-meet sync` fetches the meetings again{sends}.",
        ]
    return "\n".join(lines) + "\n"


def _kept_lines(report: RecoveryReport) -> list[str]:
    lines = [f"  - this device's enrolment (device {report.device_id})"] * report.identity_kept
    lines += [
        f"  - {t.what}: {t.kept}"
        for t in report.tables
        if t.kept and t.table not in ("device", "settings")
    ]
    return lines or ["  - nothing could be read"]


def _lost_lines(report: RecoveryReport) -> list[str]:
    lines = [] if report.identity_kept else ["  - this device's enrolment (its keys, relay token)"]
    settings = report.table("settings")
    if settings is not None and settings.incomplete:
        lines.append(
            "  - the keys of private notes written on this device, unless another of your "
            "devices holds them"
        )
    for t in report.tables:
        if t.table in ("device", "settings") or not (t.lost or t.incomplete):
            continue
        if t.lost:
            count = f"at least {t.lost}" if t.incomplete else str(t.lost)
        else:
            count = "some or all (how many is unknown)"
        lines.append(f"  - {t.what}: {count}")
    return lines or ["  - nothing"]
