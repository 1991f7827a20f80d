"""``python -m furano_meet.app --profile P``: open an enrolled profile in the meeting app.

The store is opened and the engine built off the GUI thread (both read SQLCipher). A profile
without an enrolled device (or without a keychain) goes through the first-run window first.

Start-up order (docs/app.md, "Start-up"): :func:`main` starts opening the store on a thread of
its own *first* — with a passphrase that is a ~0.45 s scrypt, which releases the GIL — and
only then imports Qt, the engine and the window (the imports in the functions below are there
on purpose: this module's top stays light). Once everything is imported the heap is frozen
(:meth:`.garbage.GarbageAtRest.keep_imported`); once the meeting list's first load is done the
next full collection freezes what start-up made (:meth:`~.garbage.GarbageAtRest.settle`).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from furano_meet.cli import PASSPHRASE_ENV

from .profile_open import start_opening

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from furano_meet.errors import FuranoError
    from furano_meet.store import LocalStore

    from .error_presenter import ErrorPresenter


def make_app(argv: list[str]) -> QApplication:
    """The QApplication with the Japanese UI font installed (the tour and tests share it)."""
    from PySide6.QtWidgets import QApplication

    from .fonts import install_ui_font
    from .garbage import GarbageAtRest
    from .heap import large_blocks_mapped
    from .language import set_language

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv)
    app.setApplicationName("Furano Meet")
    set_language(app, "system")  # until a profile's preferences say otherwise
    app.setQuitOnLastWindowClosed(False)  # the asyncio loop ends the app, after a clean close
    install_ui_font(app)
    GarbageAtRest.of(app)  # collections between events, never inside one (garbage.py)
    large_blocks_mapped()  # freed pixmaps leave the process's memory (heap.py)
    return app


async def _run(
    app: QApplication,
    data: Path | None,
    profile: str,
    opening: concurrent.futures.Future[LocalStore | None],
) -> int:
    """The app until its window closes; its exit status. ``opening``: see :func:`main`."""
    from furano_meet import preferences
    from furano_meet.errors import FuranoError
    from furano_meet.sync.engine import SyncEngine

    from .appearance import Appearance
    from .error_presenter import ErrorPresenter
    from .garbage import GarbageAtRest
    from .language import set_language
    from .probe import install as install_probe
    from .screen_fit import show_main_window
    from .session import Session
    from .window import MainWindow

    garbage = GarbageAtRest.of(app)
    garbage.keep_imported()
    errors = ErrorPresenter()
    prefs = preferences.load(preferences.preferences_path(data, profile))
    set_language(app, prefs.language)  # before the first window: first run is in it too
    Appearance.of(app).apply(prefs)
    try:
        store = await asyncio.wrap_future(opening)
        if store is None:  # not ready (or no keychain): the first-run window, imported now
            from .first_run import prepare_profile

            store = await prepare_profile(data, profile, errors, tried=True)
        if store is None:
            return 2  # the first-run window was closed
    except FuranoError as exc:
        return _refused(errors, exc)
    try:
        engine = await asyncio.to_thread(SyncEngine, store)
    except FuranoError as exc:
        await asyncio.to_thread(store.close)
        return _refused(errors, exc)
    session = Session(engine, store=store, errors=errors)  # its close() closes the store
    window = MainWindow(session)
    install_probe(window)  # end-to-end tests only: FURANO_MEET_PROBE=1 (probe.py)
    closed = asyncio.get_running_loop().create_future()

    def last_window_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    app.lastWindowClosed.connect(last_window_closed)
    session.start()
    show_main_window(window, 1366, 900)  # maximised where the screen is smaller (a tablet)
    settled = asyncio.ensure_future(session.ops.settle())  # the meeting list's first load

    def start_up_settled(done: asyncio.Future[None]) -> None:
        if not done.cancelled():
            garbage.settle()

    settled.add_done_callback(start_up_settled)
    await closed
    settled.cancel()
    await session.close()
    return 0


def _refused(errors: ErrorPresenter, exc: FuranoError) -> int:
    """The profile did not open: said in a box (and to the probe); the exit status."""
    from PySide6.QtWidgets import QMessageBox

    from .probe import say_at_start

    notice = errors.present(exc)
    say_at_start(notice)  # end-to-end tests: the window never came, the box is all there is
    QMessageBox.warning(None, "Furano Meet", notice.text)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m furano_meet.app",
        description="Open an enrolled profile in the meeting app (a new one: first run).",
    )
    parser.add_argument("--profile", default="default", help="profile name (one per person)")
    parser.add_argument("--data", help="data folder (default: the platform's user data folder)")
    args = parser.parse_args(argv)
    data = Path(args.data) if args.data else None
    opening = start_opening(data, args.profile, os.environ.get(PASSPHRASE_ENV))
    app = make_app(sys.argv[:1])  # Qt, then (in _run) the engine and the window: meanwhile
    import qasync  # after PySide6: qasync takes the first Qt binding it finds loaded

    return int(qasync.run(_run(app, data, args.profile, opening)))


if __name__ == "__main__":
    raise SystemExit(main())
