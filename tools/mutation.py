"""Occasional mutation testing of the core modules (documented in docs/dev/mutation.md; not CI).

Why: line coverage says a line ran, not that a test would notice it being wrong. A mutant is a
copy of a module with one small change (``<`` for ``<=``, ``and`` for ``or``, ``0`` for ``1``,
a string changed); a test run that still passes on it shows an edge no test pins down.

The mutating and running is done by ``mutmut`` (the ``mutation`` extra). This script adds what
we need around it:

* each module is run in its own scratch copy of the tracked files, against only its own unit
  tests, so a run takes seconds per module and never touches the work tree;
* mutants that only change message text (what a ``raise`` or a log line says, a ``message=``
  or ``next_step=`` argument, a docstring) are counted apart: the score we hold ourselves to
  (≥ 90 %) leaves them out, since pinning every word of every message in tests would make
  rewording a chore without catching bugs;
* a report per module with the surviving mutants as diffs, to judge which are equivalent.

Run it niced on a shared machine: ``nice -n 10 python tools/mutation.py`` (all seven modules,
about ten minutes on two cores), or name modules: ``python tools/mutation.py server/ratelimit.py``.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CORE: dict[str, list[str]] = {
    "furano_meet/sync/follow.py": ["tests/sync/test_follow.py"],
    "furano_meet/protocol/session.py": ["tests/protocol/test_session.py"],
    "server/rooms.py": ["tests/server/test_rooms.py"],
    "furano_meet/crypto/framing.py": ["tests/crypto/test_framing.py"],
    "furano_meet/crypto/canonical_json.py": ["tests/crypto/test_canonical_json.py"],
    "server/ratelimit.py": ["tests/server/test_ratelimit.py"],
    "furano_meet/store/search.py": ["tests/store/test_search.py"],
}
"""The modules we hold to the score, each with the unit tests that own it (mirroring the tree)."""

KILLED = {1, 3}  # mutmut: the tests failed (3: pytest itself failed on the mutant)
SURVIVED = {0}
NO_TESTS = {5, 33}  # no test reached the mutated function: as bad as surviving
TIMEOUT = {24, -24, 36, 152, 255}  # the mutant made the tests hang: the tests noticed

LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
MESSAGE_KEYWORDS = {"message", "reason", "next_step", "detail"}


@dataclass
class Mutant:
    key: str
    exit_code: int
    message_only: bool
    diff: str

    @property
    def caught(self) -> bool:
        return self.exit_code in KILLED or self.exit_code in TIMEOUT


@dataclass
class ModuleResult:
    module: str
    mutants: list[Mutant] = field(default_factory=list)

    def score(self, *, messages: bool) -> tuple[int, int]:
        """(caught, counted): mutants mutmut skipped or found suspicious are not counted."""
        counted = [
            x
            for x in self.mutants
            if (messages or not x.message_only)
            and (x.caught or x.exit_code in SURVIVED or x.exit_code in NO_TESTS)
        ]
        return sum(x.caught for x in counted), len(counted)

    def survivors(self, *, messages: bool) -> list[Mutant]:
        return [x for x in self.mutants if not x.caught and (messages or not x.message_only)]


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _in_message(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether ``node`` (a string constant) is text for a human: raised, logged or a docstring."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Raise):
            return True
        if isinstance(parent, ast.keyword) and parent.arg in MESSAGE_KEYWORDS:
            return True
        if (
            isinstance(parent, ast.Call)
            and isinstance(parent.func, ast.Attribute)
            and parent.func.attr in LOG_METHODS
            and child is not parent.func
        ):
            return True
        if (
            isinstance(parent, ast.Expr)
            and isinstance(child, ast.Constant)
            and isinstance(parents.get(parent), ast.FunctionDef | ast.AsyncFunctionDef)
        ):
            return True  # a docstring
        child, parent = parent, parents.get(parent)
    return False


def _is_message(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Prose for a human in a message place: an f-string, a string with a space in it, or the
    ``None`` a mutant puts there. A bare word (``"rate_limited"``) is a code, not prose."""
    if isinstance(node, ast.JoinedStr):
        prose = True
    elif isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
        prose = node.value is None or any(c.isspace() for c in node.value)
        prose = prose or "XX" in str(node.value)  # mutmut's "XX…XX" of a prose string
    else:
        return False
    return prose and not isinstance(parents.get(node), ast.JoinedStr) and _in_message(node, parents)


class _BlankMessages(ast.NodeTransformer):
    def __init__(self, tree: ast.AST) -> None:
        self.parents = _parents(tree)

    def visit(self, node: ast.AST) -> ast.AST:
        if _is_message(node, self.parents):
            return ast.Constant("<message>")
        visited: ast.AST = super().visit(node)
        return visited


def message_only(original: ast.AST, mutant: ast.AST) -> bool:
    """True if the mutant differs from the original only in message text (see the module doc)."""
    if ast.dump(original) == ast.dump(mutant):
        return False
    trees = [ast.parse(ast.unparse(t)) for t in (original, mutant)]
    blank = [ast.dump(_BlankMessages(t).visit(t)) for t in trees]
    return blank[0] == blank[1]


def _functions(path: Path) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _strip_decorators(
    node: ast.FunctionDef | ast.AsyncFunctionDef, name: str
) -> ast.FunctionDef | ast.AsyncFunctionDef:
    copy = ast.parse(ast.unparse(node)).body[0]
    assert isinstance(copy, ast.FunctionDef | ast.AsyncFunctionDef)
    copy.name, copy.decorator_list = name, []
    return copy


def classify(module: str, mutated: Path, exit_codes: dict[str, int]) -> ModuleResult:
    """Read mutmut's generated module: each mutant sits beside ``<function>__mutmut_orig``."""
    functions = _functions(mutated)
    result = ModuleResult(module)
    for key, code in sorted(exit_codes.items()):
        name = key.rsplit(".", 1)[-1]
        base = name.rsplit("__mutmut_", 1)[0]
        original, mutant = functions.get(f"{base}__mutmut_orig"), functions.get(name)
        if original is None or mutant is None:
            result.mutants.append(Mutant(key, code, message_only=False, diff="(source not found)"))
            continue
        shown = base.split("ǁ")[-1].removeprefix("x_")
        a, b = _strip_decorators(original, shown), _strip_decorators(mutant, shown)
        diff = "".join(
            difflib.unified_diff(
                (ast.unparse(a) + "\n").splitlines(keepends=True),
                (ast.unparse(b) + "\n").splitlines(keepends=True),
                n=1,
            )
        )
        result.mutants.append(Mutant(key, code, message_only(a, b), diff))
    return result


def _scratch_copy(into: Path) -> None:
    """The tracked files (plus uncommitted edits to them), without the venv or caches."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)


def run_module(module: str, tests: list[str], *, children: int, keep: bool) -> ModuleResult:
    scratch = Path(tempfile.mkdtemp(prefix="furano-mutation-"))
    failed = True
    try:
        _scratch_copy(scratch)
        with (scratch / "pyproject.toml").open("a", encoding="utf-8") as config:
            config.write(
                "\n[tool.mutmut]\n"
                f"source_paths = [{json.dumps(module)}]\n"
                f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
                'also_copy = ["furano_meet", "server", "bench", "tests"]\n'
            )
        mutmut = Path(sys.executable).with_name("mutmut")
        log = scratch / "mutmut.log"
        with log.open("w", encoding="utf-8") as out:
            done = subprocess.run(
                [str(mutmut), "run", "--max-children", str(children)],
                cwd=scratch,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        meta = scratch / "mutants" / f"{module}.meta"
        if done.returncode != 0 or not meta.exists():
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise SystemExit(f"mutmut failed on {module} (log kept in {scratch}):\n{tail}")
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        result = classify(module, scratch / "mutants" / module, codes)
        failed = False
        return result
    finally:
        if keep or failed:
            print(f"scratch copy kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def _case_only(diff: str) -> str:
    """Flag a mutant that only changed the case of a string (``'utf-8'`` → ``'UTF-8'``, SQL
    keywords): usually equivalent, but only a reader can say so, so it is still counted."""
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and line[1:2] != "-"]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+") and line[1:2] != "+"]
    same = removed != added and [r.lower() for r in removed] == [a.lower() for a in added]
    return " (case only: likely equivalent)" if same else ""


def _percent(caught: int, counted: int) -> str:
    return f"{100 * caught / counted:.0f} %" if counted else "—"


def report(results: list[ModuleResult], *, messages: bool) -> str:
    lines = [
        "| module | mutants | caught | score | non-message | caught | score |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        all_caught, all_counted = r.score(messages=True)
        caught, counted = r.score(messages=False)
        lines.append(
            f"| `{r.module}` | {all_counted} | {all_caught} | {_percent(all_caught, all_counted)}"
            f" | {counted} | {caught} | {_percent(caught, counted)} |"
        )
    for r in results:
        survivors = r.survivors(messages=messages)
        if survivors:
            lines += ["", f"## {r.module}: {len(survivors)} not caught", ""]
            for x in survivors:
                tag = " (message only)" if x.message_only else _case_only(x.diff)
                lines += [f"{x.key} — exit {x.exit_code}{tag}", x.diff.rstrip(), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="paths of modules (default: the core seven)")
    parser.add_argument("--tests", nargs="+", help="test files for a module not in the table")
    parser.add_argument(
        "--messages", action="store_true", help="also list surviving message-only mutants"
    )
    parser.add_argument("--jobs", type=int, default=1, help="mutants run in parallel")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    modules = args.modules or list(CORE)
    results = []
    for module in modules:
        tests = args.tests or CORE.get(module)
        if not tests:
            parser.error(f"{module} is not in the table: name its tests with --tests")
        print(f"mutating {module} against {' '.join(tests)} …", file=sys.stderr, flush=True)
        results.append(run_module(module, tests, children=args.jobs, keep=args.keep))
    print(report(results, messages=args.messages))
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "module": r.module,
                        "mutants": [
                            {"key": x.key, "exit_code": x.exit_code, "message_only": x.message_only}
                            for x in r.mutants
                        ],
                    }
                    for r in results
                ],
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
