"""Relay settings, with defaults sized for a council of a few hundred devices on a small VM."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from furano_meet.protocol import MAX_CHUNK

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8765
    tls_cert: Path | None = None
    tls_key: Path | None = None

    # Frames and transfers
    max_text_frame: int = 1 * MiB
    max_document: int = 512 * MiB
    max_chunk: int = MAX_CHUNK
    download_chunk: int = 256 * 1024
    progress_every: int = 8 * MiB
    """Upload bytes between fsync + ``upload_progress`` acknowledgements."""
    min_free_bytes: int = 64 * MiB
    """Refuse uploads that would leave less than this free on the data volume."""
    partial_upload_ttl: float = 7 * 24 * 3600.0

    # Fairness and memory
    max_connections_per_device: int = 4
    rate_per_second: float = 200.0
    rate_burst: float = 400.0
    flood_close_after: int = 2000
    """Refused (rate-limited) frames within the token bucket's 10 s window after which the
    connection is closed (counted per window, not in a row: see ``ratelimit.TokenBucket``)."""
    outbox_max_bytes: int = 1 * MiB
    """Queued frames per slow connection before op pushes are shed (client resyncs)."""
    low_water: int = 64 * 1024
    """A connection with less than this in its socket buffer gets broadcasts written directly."""
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    close_timeout: float = 5.0

    # Housekeeping
    admin_poll_interval: float = 0.5
    presenter_save_interval: float = 1.0

    @property
    def database_path(self) -> Path:
        return self.data_dir / "relay.sqlite3"

    @property
    def scheme(self) -> str:
        return "wss" if self.tls_cert else "ws"
