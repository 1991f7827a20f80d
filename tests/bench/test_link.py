"""The shaped link of the benchmarks (bench/link.py): in place while used, gone afterwards, and
really limiting the rate — or, without root or tc, a stated reason and nothing changed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time

import pytest

from bench.link import shaped_port

PAYLOAD = 4 * 1024 * 1024  # 32 Mbit: at least 0.32 s at 100 Mbit/s, ~10 ms unshaped


def _lo_qdisc() -> str:
    if shutil.which("tc") is None:
        return ""
    return subprocess.run(
        ["tc", "qdisc", "show", "dev", "lo"], capture_output=True, text=True, check=False
    ).stdout


def _send_through(port_holder: socket.socket) -> float:
    """Seconds to push PAYLOAD bytes to a listener on ``port_holder`` and have them read."""
    received = 0

    def serve() -> None:
        nonlocal received
        conn, _ = port_holder.accept()
        with conn:
            while chunk := conn.recv(1 << 20):
                received += len(chunk)

    server = threading.Thread(target=serve)
    server.start()
    start = time.perf_counter()
    with socket.create_connection(port_holder.getsockname()) as client:
        client.sendall(b"\0" * PAYLOAD)
    server.join()
    assert received == PAYLOAD
    return time.perf_counter() - start


def test_a_shaped_port_is_limited_while_shaped_and_restored_after() -> None:
    before = _lo_qdisc()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with shaped_port(port, "100mbit") as not_shaped:
            if not_shaped is None:
                assert "htb" in _lo_qdisc()
                # A lower bound only (the rate limit cannot be beaten); no upper bound is asserted.
                assert _send_through(listener) >= PAYLOAD * 8 / 100e6 * 0.9
    if not_shaped is not None:  # no root or no tc here: it says so and changes nothing
        assert "root" in not_shaped or "tc" in not_shaped or "queueing" in not_shaped
        assert _lo_qdisc() == before
        pytest.skip(f"the link cannot be shaped on this machine: {not_shaped}")
    assert "htb" not in _lo_qdisc()
