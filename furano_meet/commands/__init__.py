"""What each ``furano-meet`` command does; :mod:`furano_meet.cli` parses and dispatches.

Kept apart from the parser because everything here needs the ``client`` extra (SQLCipher,
PyMuPDF, keyring): ``furano-meet --help`` and the "install the client extra" hint must work
without it. Each command is a thin layer over the client core (store, sync engine, admin and
certification helpers), so what works here works in the app.

The commands are grouped by area: :mod:`.common` (what they share), :mod:`.device` (this
device), :mod:`.syncing` (``sync``), :mod:`.admin` (the administrator's and clerk's) and
:mod:`.library` (the documents). This package names every command :mod:`furano_meet.cli` calls.
"""

from .admin import certify_device, devices, init_root, invite_user, pending, roster
from .device import enrol_device, recover, recovery_code, restore_notes, whoami, wipe
from .library import documents, publish, receipts, search, withdraw
from .syncing import SyncReport, TransferProgress, sync

__all__ = [
    "SyncReport",
    "TransferProgress",
    "certify_device",
    "devices",
    "documents",
    "enrol_device",
    "init_root",
    "invite_user",
    "pending",
    "publish",
    "receipts",
    "recover",
    "recovery_code",
    "restore_notes",
    "roster",
    "search",
    "sync",
    "whoami",
    "wipe",
    "withdraw",
]
