"""Blob transfers on one connection: the upload being received and the downloads being sent."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from furano_meet.protocol import Chunk, ChunkKind, encode, encode_chunk
from furano_meet.protocol import messages as m

from .blobs import PartialUpload
from .store import PendingUpload


@dataclass(slots=True)
class Upload:
    transfer: int
    pending: PendingUpload
    partial: PartialUpload
    synced: int = 0
    """Bytes known to be on disk (fsynced) and acknowledged with ``upload_progress``."""


class DownloadStream:
    """Reads a stored blob in chunks as the connection's writer asks for them.

    Reads use ``os.pread`` on the event loop thread: blobs are served from the page cache in the
    common case (everyone downloads the same pack), where a 256 KiB read is a memcpy of tens of
    microseconds — cheaper than a thread hop per chunk.
    """

    def __init__(self, transfer: int, path: Path, offset: int, size: int, chunk: int) -> None:
        self.transfer = transfer
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._offset = offset
        self._size = size
        self._chunk = chunk
        self._finished = False

    def next_frame(self) -> str | bytes | None:
        if self._offset < self._size:
            data = os.pread(self._fd, min(self._chunk, self._size - self._offset), self._offset)
            if not data:  # the file is shorter than recorded: stop rather than spin
                self._offset = self._size
                return None
            frame = encode_chunk(Chunk(ChunkKind.DOWNLOAD, self.transfer, self._offset, data))
            self._offset += len(data)
            return frame
        if not self._finished:
            self._finished = True
            return encode(m.DownloadFinished(transfer=self.transfer))
        return None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass(slots=True)
class Transfers:
    """What one connection has in flight."""

    uploads: dict[int, Upload] = field(default_factory=dict)
    dead: set[int] = field(default_factory=set)
    """Uploads that failed; their remaining in-flight chunks are ignored until a resume."""
    next_id: int = 1

    def new_id(self) -> int:
        transfer = self.next_id
        self.next_id += 1
        return transfer

    def close(self) -> None:
        for upload in self.uploads.values():
            upload.partial.close()
        self.uploads.clear()
