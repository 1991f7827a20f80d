"""The layers stay honest: the core never needs Qt, the relay never needs the client's stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"{{name}} is blocked for this layer test")
        return None
sys.meta_path.insert(0, Block())
import importlib
for module in {modules!r}:
    importlib.import_module(module)
print("ok")
"""


def imports_without(blocked: set[str], modules: list[str]) -> subprocess.CompletedProcess[str]:
    code = BLOCKER.format(blocked=sorted(blocked), modules=modules)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_the_relay_needs_neither_qt_nor_the_client_stack() -> None:
    done = imports_without(
        {"PySide6", "qasync", "sqlcipher3", "pymupdf", "fitz", "keyring", "platformdirs"},
        ["server.relay", "server.cli", "server.demo", "furano_meet.protocol"],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize(
    "module",
    [
        "furano_meet.protocol",
        "furano_meet.net",
        "furano_meet.crypto",
        "furano_meet.store",
        "furano_meet.samples",
        "furano_meet.sync",
        "furano_meet.demo",
        "furano_meet.pagespace",
        "furano_meet.annotations",
        "furano_meet.render",
    ],
)
def test_the_core_never_imports_qt(module: str) -> None:
    done = imports_without({"PySide6", "qasync", "shiboken6"}, [module])
    assert done.returncode == 0, done.stderr


def test_the_protocol_is_stdlib_only() -> None:
    done = imports_without(
        {"websockets", "cryptography", "sqlcipher3", "pymupdf"}, ["furano_meet.protocol"]
    )
    assert done.returncode == 0, done.stderr


def test_the_annotation_model_needs_no_renderer() -> None:
    done = imports_without(
        {"pymupdf", "fitz", "sqlcipher3", "websockets"},
        ["furano_meet.pagespace", "furano_meet.annotations"],
    )
    assert done.returncode == 0, done.stderr


def test_the_blocker_really_blocks() -> None:
    done = imports_without({"websockets"}, ["server.relay"])
    assert done.returncode != 0 and "blocked for this layer test" in done.stderr
