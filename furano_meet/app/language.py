"""The UI language: Japanese (the source text) or English, from ``resources/*.ts``.

Why the ``.ts`` file is read directly: Qt's own translator only loads compiled ``.qm`` files,
which need ``pyside6-lrelease`` at build time and go stale the moment someone edits the
``.ts``. The translation is small (a few hundred strings), so :class:`TsTranslator` parses the
``.ts`` XML once (a few milliseconds) and answers Qt's ``translate`` calls from a dict — the
file in the repository is exactly what the app shows, in a checkout, a wheel or a frozen app.
Unfinished and obsolete entries are skipped, as ``lrelease`` would skip them, so Qt falls back
to the Japanese.

:func:`set_language` swaps the translator at run time. Widgets built afterwards are in the new
language; the settings screen rebuilds the main window so the change shows at once.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QObject, QTranslator

log = logging.getLogger("furano.app.language")

RESOURCES = Path(__file__).with_name("resources")
SOURCE_LANGUAGE = "ja"
TRANSLATED = ("en",)
"""Languages with a ``furano_meet_<lang>.ts`` in :data:`RESOURCES`."""


def read_ts(path: Path) -> dict[tuple[str, str], str]:
    """(context, source) → translation, for the finished, current entries of a ``.ts`` file."""
    table: dict[tuple[str, str], str] = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            if translation is None or translation.get("type") in {"unfinished", "obsolete"}:
                continue
            source = message.findtext("source", "")
            if translation.text:
                table[(name, source)] = translation.text
    return table


class TsTranslator(QTranslator):
    """A ``QTranslator`` answering from a parsed ``.ts`` file (see the module docstring)."""

    def __init__(self, language: str, table: dict[tuple[str, str], str], parent: QObject) -> None:
        super().__init__(parent)
        self.table = table
        self._language = language

    def language(self) -> str:
        return self._language

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        return not self.table

    def translate(
        self,
        context: str,
        source: str,
        disambiguation: str | None = None,  # noqa: ARG002 - Qt's signature
        n: int = -1,  # noqa: ARG002 - Qt's signature
    ) -> str | None:
        """``None`` lets Qt fall back to the Japanese source text."""
        return self.table.get((context, source))


def effective_language(choice: str, locale: QLocale | None = None) -> str:
    """``ja`` or ``en``: the choice, or for ``system`` the first of the system's UI languages
    that the app speaks (Japanese when none is)."""
    if choice in (SOURCE_LANGUAGE, *TRANSLATED):
        return choice
    for name in (locale or QLocale.system()).uiLanguages():
        language = name.replace("_", "-").split("-")[0].lower()
        if language == SOURCE_LANGUAGE or language in TRANSLATED:
            return language
    return SOURCE_LANGUAGE


def set_language(app: QCoreApplication, choice: str, locale: QLocale | None = None) -> str:
    """Install the translator for ``choice`` (``system``, ``ja`` or ``en``) in place of any
    earlier one; returns the language now shown."""
    language = effective_language(choice, locale)
    for old in app.findChildren(TsTranslator):
        app.removeTranslator(old)
        old.deleteLater()
    if language == SOURCE_LANGUAGE:
        return language
    path = RESOURCES / f"furano_meet_{language}.ts"
    try:
        table = read_ts(path)
    except (OSError, ET.ParseError) as exc:
        log.warning("translation %s unreadable (%s); showing Japanese", path, exc)
        return SOURCE_LANGUAGE
    app.installTranslator(TsTranslator(language, table, app))
    return language
