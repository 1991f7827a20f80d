"""Keep the English translation whole: ``python -m tools.translations`` (docs/dev/translations.md).

Why a tool: the app's source text is Japanese and ``language.py`` answers Qt from
``resources/furano_meet_en.ts`` directly, so a string nobody translated simply shows in Japanese
to an English reader — nothing crashes, nobody notices. This module finds such strings the way
``lupdate`` does, plus the mistakes ``lupdate`` cannot see:

* a ``translate()`` / ``QT_TRANSLATE_NOOP`` whose context is a variable (``lupdate`` skips the
  call silently, so the string never reaches the ``.ts``);
* an f-string inside ``tr()`` (the looked-up text changes with every value, so it never matches;
  write ``self.tr("{n}件").format(n=n)``);
* a Japanese literal that is not marked at all (``label("戻る")``, ``tr(name)`` over a tuple of
  plain strings), apart from :data:`NOT_TRANSLATED`.

Running it updates the ``.ts`` with ``pyside6-lupdate`` (translations kept, entries whose source
is gone dropped, messages sorted so parallel branches merge cleanly, no line numbers to churn)
and lists what still needs English; it exits 1 while anything does. ``--check`` changes nothing.
``tests/app/test_translation.py`` runs the same checks, so a new string without English fails CI.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "furano_meet" / "app"
TS = APP / "resources" / "furano_meet_en.ts"

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
"""Kana and kanji (full-width punctuation alone, such as 「（」, is not counted)."""
PLACEHOLDER = re.compile(r"\{(\w*)\}")
NOT_TRANSLATED = frozenset({"日本語"})
"""Japanese literals shown as they are in every language: the language chooser's own name."""
MARKERS = frozenset({"tr", "translate", "QT_TRANSLATE_NOOP", "QT_TR_NOOP"})
LUPDATE_FLAGS = ("-no-obsolete", "-locations", "none", "-sort-messages", "-silent")

Key = tuple[str, str]
"""(context, source text) — what Qt looks a translation up by."""


@dataclass(frozen=True, slots=True)
class Marked:
    """A string marked for translation, and where (for the list the tool prints)."""

    context: str
    source: str
    where: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``<message>`` of a ``.ts`` file."""

    translation: str
    kind: str
    """``""`` when finished, else lupdate's ``type`` (``unfinished``, ``obsolete``, …)."""


def _sources() -> list[Path]:
    return sorted(APP.glob("*.py"))


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _marker(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


class _Scan(ast.NodeVisitor):
    """One module: marked strings (with lupdate's contexts) and the problems lupdate misses."""

    def __init__(self, path: Path) -> None:
        self.where = (path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).as_posix()
        self.classes: list[str] = []
        self.marked: list[Marked] = []
        self.problems: list[str] = []
        self.covered: set[int] = set()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:  # noqa: N802 - ast's name
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802 - ast's name
        name = _marker(node)
        if name in MARKERS and node.args:
            for sub in ast.walk(node):
                self.covered.add(id(sub))
            self._marked(node, name)
        self.generic_visit(node)

    def _marked(self, node: ast.Call, name: str) -> None:
        at = f"{self.where}:{node.lineno}"
        two = name in {"translate", "QT_TRANSLATE_NOOP"}
        if two and len(node.args) < 2:
            return
        context = _literal(node.args[0]) if two else (self.classes[-1] if self.classes else None)
        source_node = node.args[1] if two else node.args[0]
        if isinstance(source_node, ast.JoinedStr):
            self.problems.append(f"{at}: f-string in {name}(); use {{name}} and .format()")
            return
        source = _literal(source_node)
        if source is None:
            return  # a look-up of text marked elsewhere (a QT_TRANSLATE_NOOP table)
        if context is None:
            self.problems.append(f"{at}: {name}() needs a literal context for lupdate: {source!r}")
            return
        self.marked.append(Marked(context, source, at))

    def unmarked(self, tree: ast.Module) -> None:
        """Japanese literals outside any marker (docstrings and :data:`NOT_TRANSLATED` aside)."""
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            text = _literal(node) if isinstance(node, ast.expr) else None
            if (
                text is not None
                and JAPANESE.search(text)
                and id(node) not in self.covered | docstrings
                and text not in NOT_TRANSLATED
                and not _ascii_sentence_quoting(text)
            ):
                line = getattr(node, "lineno", 0)
                self.problems.append(f"{self.where}:{line}: not marked for translation: {text!r}")


def _ascii_sentence_quoting(text: str) -> bool:
    """An English sentence that quotes a Japanese word (log lines, the tour's captions)."""
    return len(JAPANESE.findall(text)) * 4 < len(text) and text[:1].isascii()


def scan(paths: list[Path] | None = None) -> tuple[list[Marked], list[str]]:
    """Every marked string in ``paths`` (``furano_meet/app/*.py``) and every problem found."""
    marked: list[Marked] = []
    problems: list[str] = []
    for path in _sources() if paths is None else paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        visitor = _Scan(path)
        visitor.visit(tree)
        visitor.unmarked(tree)
        marked += visitor.marked
        problems += visitor.problems
    return marked, problems


def read_entries(path: Path) -> dict[Key, Entry]:
    """Every message of a ``.ts`` file, finished or not (``language.read_ts`` keeps only the
    finished ones, which is what the app needs)."""
    entries: dict[Key, Entry] = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            text = "" if translation is None else translation.text or ""
            kind = "unfinished" if translation is None else translation.get("type", "")
            entries[name, message.findtext("source", "")] = Entry(text, kind or "")
    return entries


def needs_english(marked: list[Marked], entries: dict[Key, Entry]) -> list[Marked]:
    """Marked strings the ``.ts`` has no finished, non-empty translation for."""
    out = []
    for item in marked:
        entry = entries.get((item.context, item.source))
        if entry is None or entry.kind or not entry.translation.strip():
            out.append(item)
    return out


def placeholder_mismatches(entries: dict[Key, Entry]) -> list[str]:
    """Finished translations whose ``{placeholders}`` differ from their source's (``.format``
    would raise ``KeyError`` or drop a number)."""
    return [
        f"{context}: {source!r} → {entry.translation!r}"
        for (context, source), entry in entries.items()
        if not entry.kind
        and sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(entry.translation))
    ]


def stale(marked: list[Marked], entries: dict[Key, Entry]) -> list[Key]:
    """Current entries of the ``.ts`` whose source text is no longer in the code."""
    keys = {(item.context, item.source) for item in marked}
    return [key for key, entry in entries.items() if key not in keys and entry.kind != "obsolete"]


def lupdate_program() -> str:
    """``pyside6-lupdate`` beside this Python (a venv), else on ``PATH``."""
    beside = Path(sys.executable).with_name("pyside6-lupdate")
    found = str(beside) if beside.exists() else shutil.which("pyside6-lupdate")
    if found is None:
        raise SystemExit("pyside6-lupdate not found: install PySide6 (the dev extra) first")
    return found


def lupdate(target: Path) -> None:
    """Merge the strings of ``furano_meet/app/*.py`` into ``target`` (created if missing)."""
    sources = [str(path) for path in _sources()]
    command = [lupdate_program(), *sources, *LUPDATE_FLAGS, "-ts", str(target)]
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True)


def lupdate_keys() -> set[Key]:
    """What ``lupdate`` itself finds, into a scratch ``.ts`` (the test compares it with
    :func:`scan`, so this module and Qt's tool never drift apart)."""
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "scan.ts"
        lupdate(target)
        return set(read_entries(target))


def report(ts: Path) -> list[str]:
    """Everything to fix, one line each (empty when the translation is whole)."""
    marked, problems = scan()
    entries = read_entries(ts)
    lines = [f"problem: {problem}" for problem in problems]
    lines += [
        f"needs English: {item.where} [{item.context}] {item.source!r}"
        for item in needs_english(marked, entries)
    ]
    lines += [f"placeholders differ: {line}" for line in placeholder_mismatches(entries)]
    lines += [f"not in the code any more: [{c}] {s!r}" for c, s in stale(marked, entries)]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.translations", description=__doc__)
    parser.add_argument("--check", action="store_true", help="report only; leave the .ts as is")
    args = parser.parse_args(argv)
    if not args.check:
        lupdate(TS)
    lines = report(TS)
    for line in lines:
        print(line)
    where = TS.relative_to(ROOT)
    if lines:
        print(f"\n{len(lines)} to fix: write the English in {where} (see docs/dev/translations.md)")
        return 1
    print(f"{where}: every string has its English")
    return 0


if __name__ == "__main__":
    sys.exit(main())
