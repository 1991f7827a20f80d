"""One error root, proven by walking every exception class in the code base.

Imports every module under ``furano_meet/`` and ``server/`` (nothing skipped silently: the module
list is checked against the files on disk), collects every exception class our code defines and
checks that each one is on the tree of :class:`furano_meet.errors.FuranoError` with a
``snake_case`` code from :data:`~furano_meet.errors.CODES`, a :class:`~furano_meet.errors.Fault`,
and instances that carry a ``message`` and a ``next_step``. Also: the table itself,
:func:`~furano_meet.errors.describe`, the CLIs' printer, and ``docs/errors.md`` against the table.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import pkgutil
import re
import typing
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from furano_meet.errors import CODES, Fault, FuranoError, SchemaTooNew, describe, print_error
from furano_meet.protocol import ErrorCode

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("furano_meet", "server")
DOC = ROOT / "docs" / "errors.md"

#: Modules deliberately not imported, with the reason. Each must define no class (checked below).
NOT_IMPORTED = {"server.__main__": "runs the relay's command line when imported"}


SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")
TABLE_ROW = re.compile(r"^\| `([^`]+)` \| (\w+) \| (.+?) \|$", re.MULTILINE)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_on_disk() -> set[str]:
    return {_module_name(path) for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def modules_walked() -> set[str]:
    """Every module pkgutil finds. ``walk_packages`` does not enter a folder without
    ``__init__.py`` (a namespace package such as ``furano_meet/sync``), so those are walked too."""
    found: set[str] = set()
    for package in PACKAGES:
        top = ROOT / package
        namespaces = [
            folder
            for folder in top.rglob("*")
            if folder.is_dir()
            and not (folder / "__init__.py").exists()
            and any(folder.glob("*.py"))
        ]
        found.add(package)
        for folder in [top, *namespaces]:
            prefix = _module_name(folder / "__init__.py") + "."
            found.update(info.name for info in pkgutil.walk_packages([str(folder)], prefix))
    return found


def _subclasses(cls: type[BaseException]) -> Iterator[type[BaseException]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def our_exception_classes() -> dict[str, type[BaseException]]:
    """Import every module, then collect every exception class defined in our packages (also
    those nested in a class, which a module's namespace would not show)."""
    for name in sorted(modules_walked() - NOT_IMPORTED.keys()):
        importlib.import_module(name)
    return {
        f"{cls.__module__}.{cls.__qualname__}": cls
        for cls in _subclasses(BaseException)
        if cls.__module__.split(".")[0] in PACKAGES
    }


CLASSES = our_exception_classes()


def carried_codes(cls: type[FuranoError]) -> frozenset[str]:
    """Every code an instance of ``cls`` may carry: its list, or its one class-level code."""
    return cls.codes or frozenset({cls.code})


def _sample(cls: type[FuranoError], name: str, hint: Any) -> object:
    """A plausible argument for one constructor parameter, chosen by its name and type."""
    if name == "code":
        code = sorted(carried_codes(cls))[0]
        return ErrorCode(code) if hint is ErrorCode else code
    samples: dict[object, object] = {
        str: "sample",
        int: 1,
        int | None: 1,
        bool: True,
        tuple[str, ...]: ("sample",),
        ErrorCode: ErrorCode.INTERNAL_ERROR,
    }
    assert hint in samples, f"{cls.__qualname__}({name}: {hint}): add a sample for this type"
    return samples[hint]


def make(cls: type[FuranoError]) -> FuranoError:
    """An instance built with every required argument, as a raiser would build it."""
    hints = typing.get_type_hints(cls.__init__)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for param in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if param.default is not param.empty or param.kind in (
            param.VAR_POSITIONAL,
            param.VAR_KEYWORD,
        ):
            continue
        value = _sample(cls, param.name, hints[param.name])
        if param.kind is param.KEYWORD_ONLY:
            kwargs[param.name] = value
        else:
            args.append(value)
    return cls(*args, **kwargs)


def _params() -> list[Any]:
    return [pytest.param(cls, id=name) for name, cls in sorted(CLASSES.items())]


# -- the walk -----------------------------------------------------------------------------------


def test_the_walk_finds_every_module_on_disk() -> None:
    assert modules_walked() == modules_on_disk()


@pytest.mark.parametrize("name", sorted(NOT_IMPORTED))
def test_modules_not_imported_define_no_class(name: str) -> None:
    path = ROOT / Path(*name.split(".")).with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]


def test_the_walk_sees_every_package_tree() -> None:
    names = set(CLASSES)
    for expected in [
        "furano_meet.errors.FuranoError",
        "furano_meet.protocol.errors.RemoteProtocolError",
        "furano_meet.crypto.errors.UnauthorisedSigner",
        "furano_meet.store.errors.OutboxConflict",
        "furano_meet.net.connection.RelayError",
        "furano_meet.sync.account.InvitationError",
        "furano_meet.sync.documents.DocumentUnreadable",
        "server.errors.Refusal",
    ]:
        assert expected in names


@pytest.mark.parametrize("cls", _params())
def test_every_exception_is_on_the_tree(cls: type[BaseException]) -> None:
    assert issubclass(cls, FuranoError), "derive from FuranoError or a package subtree"
    carried = carried_codes(cls)
    for code in carried:
        assert SNAKE_CASE.match(code), f"{code!r} is not snake_case"
        assert code in CODES, f"{code!r} is not a row of furano_meet.errors.CODES"
    assert isinstance(cls.fault, Fault)
    if not cls.codes:  # a fixed code: its fault is the one the table gives it
        assert cls.fault is CODES[cls.code].fault, cls.code
    error = make(cls)
    assert isinstance(error.message, str) and error.message
    assert isinstance(error.next_step, str)
    assert error.code in carried
    assert isinstance(error.fault, Fault)


def test_no_two_classes_claim_one_code_with_different_faults() -> None:
    faults: dict[str, set[Fault]] = defaultdict(set)
    for cls in CLASSES.values():
        if issubclass(cls, FuranoError) and "code" in vars(cls):
            faults[cls.code].add(cls.fault)
    assert faults, "the walk found no class-level codes"
    assert {code: found for code, found in faults.items() if len(found) > 1} == {}


def _literal_codes(class_name: str) -> Iterator[tuple[str, str]]:
    """(file, code) for every ``ClassName("code", …)`` call in our source."""
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                first = node.args[0]
                if called == class_name and isinstance(first, ast.Constant):
                    yield str(path.relative_to(ROOT)), str(first.value)


@pytest.mark.parametrize(
    "cls",
    [
        pytest.param(cls, id=name)
        for name, cls in sorted(CLASSES.items())
        if issubclass(cls, FuranoError) and cls.codes
    ],
)
def test_every_code_a_raiser_writes_is_one_the_class_lists(cls: type[FuranoError]) -> None:
    unlisted = [
        (where, code) for where, code in _literal_codes(cls.__name__) if code not in cls.codes
    ]
    assert unlisted == []


# -- the table ----------------------------------------------------------------------------------


def test_the_table_is_snake_case_with_a_fault_and_a_meaning() -> None:
    for code, info in CODES.items():
        assert SNAKE_CASE.match(code), code
        assert isinstance(info.fault, Fault)
        assert info.meaning.endswith("."), code


def test_every_wire_code_is_in_the_table() -> None:
    assert {code.value for code in ErrorCode} <= CODES.keys()


def test_describe_gives_the_row_and_reads_unknown_codes_as_unexpected() -> None:
    assert describe("disk_full") is CODES["disk_full"]
    assert describe("disk_full").fault is Fault.ENVIRONMENT
    assert describe("forbidden").fault is Fault.USER
    unknown = describe("a_code_from_a_newer_relay")
    assert unknown is CODES["error"] and unknown.fault is Fault.OURS


def test_print_error_gives_message_and_next_step_and_names_our_bugs() -> None:
    out = io.StringIO()
    assert print_error(SchemaTooNew("2.0", "1"), out) == 1
    assert out.getvalue().splitlines() == [
        SchemaTooNew("2.0", "1").message,
        "Update Furano Meet to open it; nothing was changed.",
    ]
    out = io.StringIO()
    assert print_error(FuranoError("The outbox lost count."), out) == 1
    assert out.getvalue().splitlines() == [
        "The outbox lost count.",
        "This is a bug in Furano Meet (code error); please report it.",
    ]


# -- the documentation ---------------------------------------------------------------------------


def code_table() -> str:
    """The code table as ``docs/errors.md`` shows it (paste this when a code is added)."""
    rows = [f"| `{code}` | {info.fault.value} | {info.meaning} |" for code, info in CODES.items()]
    return "\n".join(["| code | fault | meaning |", "|---|---|---|", *rows])


def test_the_documented_table_is_the_table() -> None:
    documented = TABLE_ROW.findall(DOC.read_text(encoding="utf-8"))
    expected = [(code, info.fault.value, info.meaning) for code, info in CODES.items()]
    assert documented == expected, f"docs/errors.md should hold this table:\n{code_table()}"
