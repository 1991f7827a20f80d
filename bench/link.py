"""A rate-limited link for one TCP port on loopback, so a transfer can be measured as over a LAN.

Theory of operation
-------------------
Over plain loopback a "transfer" is the relay and the client copying bytes on the same two
cores: it takes ~10 ms for 1.8 MB, and any CPU the client spends on anything else (the
cryptography, say) comes straight out of it. On a council tablet the bytes come over Wi-Fi or a
VPN, and the CPU mostly waits for them. :func:`shaped_port` puts a Linux traffic-control
token bucket (``tc`` HTB, one class) in front of one TCP port on ``lo`` — both directions,
matched by source and destination port — so the relay under test is reached as over a link of
a given rate, while every other loopback connection stays unshaped (HTB sends unclassified
packets directly).

It needs root and the ``tc`` tool (iproute2). Where either is missing, or ``lo`` already has a
queueing discipline of its own (somebody else's; never replaced), it yields the reason and
changes nothing. The discipline is removed on exit, also after an error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

__all__ = ["shaped_port"]

_DEVICE = "lo"


def _tc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tc", *args], capture_output=True, text=True, check=False)


@contextlib.contextmanager
def shaped_port(port: int, rate: str = "1gbit") -> Iterator[str | None]:
    """Shape TCP traffic to and from ``port`` on loopback to ``rate`` (``tc`` units).

    Yields ``None`` while the shaping is in place, or the reason it could not be (nothing was
    changed then).
    """
    if os.name != "posix" or os.geteuid() != 0:
        yield "shaping a link needs root (Linux tc)"
        return
    if shutil.which("tc") is None:
        yield "shaping a link needs the tc tool (iproute2)"
        return
    current = _tc("qdisc", "show", "dev", _DEVICE)
    if current.returncode != 0:
        yield f"tc cannot read {_DEVICE}: {current.stderr.strip()}"
        return
    if current.stdout.strip() and "noqueue" not in current.stdout.split("\n")[0]:
        yield f"{_DEVICE} already has a queueing discipline; not replacing it"
        return
    steps = [
        ("qdisc", "add", "dev", _DEVICE, "root", "handle", "1:", "htb"),
        # Loopback packets are up to 64 KiB (GSO); the bursts must hold a few of them.
        (
            "class",
            "add",
            "dev",
            _DEVICE,
            "parent",
            "1:",
            "classid",
            "1:10",
            "htb",
            "rate",
            rate,
            "ceil",
            rate,
            "burst",
            "256k",
            "cburst",
            "256k",
        ),
    ]
    for direction in ("sport", "dport"):
        steps.append(
            ("filter", "add", "dev", _DEVICE, "parent", "1:", "protocol", "ip", "prio", "1",
             "u32", "match", "ip", direction, str(port), "0xffff", "flowid", "1:10")
        )  # fmt: skip
    try:
        for step in steps:
            done = _tc(*step)
            if done.returncode != 0:
                yield f"tc refused {' '.join(step[:2])}: {done.stderr.strip()}"
                return
        yield None
    finally:
        _tc("qdisc", "del", "dev", _DEVICE, "root")
