"""Run a core coroutine that touches the store inline on a worker thread, with its own loop.

Why: a few core helpers the first-run and administrator's screens call
(:func:`~furano_meet.sync.account.enrol`, :func:`~furano_meet.sync.admin.pending_devices`,
:func:`~furano_meet.sync.admin.certify`) read or write SQLCipher between their network awaits.
On the GUI's loop those reads would run on the GUI thread; here the whole coroutine runs on a
plain asyncio loop in a worker thread, and the GUI awaits its result. The loop is a stdlib
selector loop on purpose: qasync installs a Qt loop policy while the app runs, and a Qt loop
must never start on a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
        return runner.run(coro)


async def off_gui_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` run to completion on a worker thread's own event loop."""
    return await asyncio.to_thread(_run, coro)
