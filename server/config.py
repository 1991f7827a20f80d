"""Relay settings, with defaults sized for a council of a few hundred devices on a small VM.

Every field can be set in a ``relay.toml`` (:mod:`server.config_file`); the defaults here are
what a relay runs with when the file does not mention a setting.
"""

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
    """Refuse uploads that would leave less than this free on the data volume (counting the
    bytes every upload in flight has announced but not yet sent)."""
    partial_upload_ttl: float = 7 * 24 * 3600.0
    max_downloads_per_connection: int = 8
    """Downloads one connection may have in flight; more are refused (``rate_limited``)."""
    max_downloads_per_device: int = 16
    max_uploads_per_connection: int = 4
    """Uploads one connection may have in flight; more are refused (``rate_limited``)."""
    max_uploads_per_device: int = 8

    # Fairness and memory
    max_connections: int = 2000
    """Open connections relay-wide; past it new ones get HTTP 503 before the handshake."""
    max_connections_per_address: int = 256
    """Open connections from one IP address (a council's NAT puts many tablets behind one).
    Not applied to loopback peers (see :func:`server.admission.counted`)."""
    max_connections_per_device: int = 4
    login_timeout: float = 30.0
    """Seconds a connection may stay open without enrolling or authenticating."""
    max_login_frame: int = 64 * 1024
    """Largest frame accepted before login (an ``enrol`` with post-quantum keys is under 8 KiB)."""
    enrol_attempts_per_connection: int = 5
    """Failed enrolment codes after which a connection is closed."""
    enrol_attempts_per_address: int = 20
    """Failed enrolment codes one address may try per ``enrol_window`` seconds (loopback
    peers are limited per connection only)."""
    enrol_window: float = 600.0
    trusted_proxies: tuple[str, ...] = ()
    """Addresses of reverse proxies whose ``X-Forwarded-For`` names the real client (the
    per-address limits then count the client, not the proxy)."""
    rate_per_second: float = 200.0
    rate_burst: float = 400.0
    binary_frames_per_second: float = 1000.0
    """Binary (chunk) frames per second per connection; faster senders are read more slowly."""
    binary_bytes_per_second: float = 128.0 * MiB
    binary_bytes_burst: float = 32.0 * MiB
    flood_close_after: int = 2000
    """Refused (rate-limited) frames within the token bucket's 10 s window after which the
    connection is closed (counted per window, not in a row: see ``ratelimit.TokenBucket``)."""
    outbox_max_bytes: int = 1 * MiB
    """Bytes queued for a slow connection before op pushes are shed (client resyncs)."""
    low_water: int = 64 * 1024
    """A connection with less than this in its socket buffer gets broadcasts written directly."""
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    close_timeout: float = 5.0
    shutdown_timeout: float = 10.0
    """On SIGTERM: seconds to finish requests in hand and say goodbye before closing hard."""

    # Housekeeping
    admin_poll_interval: float = 0.5
    presenter_save_interval: float = 1.0

    @property
    def database_path(self) -> Path:
        return self.data_dir / "relay.sqlite3"

    @property
    def scheme(self) -> str:
        return "wss" if self.tls_cert else "ws"
