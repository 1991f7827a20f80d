"""Who may open a connection, and the answers given before any WebSocket exists.

Theory of operation
-------------------
Every TCP connection costs the relay a file descriptor and some memory before it has proved
anything, so the cheapest refusals happen here, in websockets' ``process_request`` hook, while
the opening handshake is still plain HTTP:

* ``GET /healthz`` is answered with ``200`` and a tiny JSON body (``503`` while shutting down):
  a liveness probe for monitoring that needs neither a WebSocket client nor an account;
* past ``max_connections`` open connections, or ``max_connections_per_address`` from one
  address, the handshake is refused with ``503`` (a client backs off and retries), so a flood of
  idle sockets from one host cannot lock everyone else out.

What a connection may do *before it logs in* is bounded by the pump (:mod:`server.relay`): a
login deadline and a small frame limit.  At start the relay raises its soft limit on open files
to the hard limit (:func:`raise_open_file_limit`), so the connection cap, not the operating
system's default of 1,024, decides when the relay is full.

Behind a TLS-terminating reverse proxy every peer has the proxy's address; the addresses in
``trusted_proxies`` are believed when they name the client in ``X-Forwarded-For``.  A peer on
the loopback interface that names no one else is not limited per address (:func:`counted`):
it is the machine itself — a proxy not yet listed in ``trusted_proxies``, the demo, a benchmark —
and limiting it would lock every client behind it out at once.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from furano_meet import __version__

from .config import RelayConfig

log = logging.getLogger("furano.relay")

HEALTH_PATH = "/healthz"


def peer_address(ws: ServerConnection, request: Request | None, trusted: tuple[str, ...]) -> str:
    """The client's IP address: the socket's peer, or the one a trusted proxy forwarded."""
    remote = ws.remote_address
    address = str(remote[0]) if remote else ""
    if request is not None and address in trusted:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()  # the proxy appends the peer it saw
        if last:
            return last
    return address


def counted(address: str) -> bool:
    """Do per-address limits apply to ``address``?  Not to the machine itself (loopback)."""
    try:
        return not ipaddress.ip_address(address).is_loopback
    except ValueError:
        return True


class Admission:
    """Counts open connections (overall and per address) and answers plain HTTP requests."""

    def __init__(self, config: RelayConfig, stopping: Callable[[], bool]) -> None:
        self.config = config
        self._stopping = stopping
        self.per_address: Counter[str] = Counter()
        self.open = 0

    def process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        """websockets' hook: answer ``/healthz``, refuse what is over a cap, else ``None``."""
        if request.path.split("?", 1)[0] == HEALTH_PATH:
            return self._health(ws)
        if self._stopping():
            return ws.respond(HTTPStatus.SERVICE_UNAVAILABLE, "The relay is shutting down.\n")
        address = peer_address(ws, request, self.config.trusted_proxies)
        if self.open >= self.config.max_connections:
            log.warning("refusing a connection: %d open (max_connections)", self.open)
            return ws.respond(HTTPStatus.SERVICE_UNAVAILABLE, "The relay is full; try later.\n")
        if (
            counted(address)
            and self.per_address[address] >= self.config.max_connections_per_address
        ):
            log.warning("refusing a connection from %s: too many from this address", address)
            return ws.respond(
                HTTPStatus.SERVICE_UNAVAILABLE, "Too many connections from this address.\n"
            )
        return None

    def _health(self, ws: ServerConnection) -> Response:
        stopping = self._stopping()
        body = json.dumps(
            {
                "status": "stopping" if stopping else "ok",
                "version": __version__,
                "connections": self.open,
            }
        )
        status = HTTPStatus.SERVICE_UNAVAILABLE if stopping else HTTPStatus.OK
        response = ws.respond(status, body + "\n")
        del response.headers["Content-Type"]  # Headers is a multidict: assigning would add
        response.headers["Content-Type"] = "application/json"
        response.headers["Cache-Control"] = "no-store"
        return response

    def opened(self, address: str) -> None:
        self.open += 1
        self.per_address[address] += 1

    def closed(self, address: str) -> None:
        self.open -= 1
        self.per_address[address] -= 1
        if self.per_address[address] <= 0:
            del self.per_address[address]


def raise_open_file_limit() -> int | None:
    """Raise the soft limit on open files to the hard limit; the new soft limit, or ``None``
    where the platform has no such limit (Windows) or it cannot be raised."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        log.warning("could not raise the open-file limit from %d: %s", soft, exc)
        return soft
    log.info("open-file limit raised from %d to %d", soft, target)
    return target
