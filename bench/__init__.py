"""Relay benchmarks: each one measures the relay and a bare ``websockets`` baseline in one run.

Theory of operation
-------------------
The numbers that matter are *ratios*: this is a small, shared 2-core machine, so absolute
latencies drift from minute to minute, but a relay and a bare server measured side by side, with
the same clients, the same socket options and the same process layout, drift together.

* The server under test (the relay, or the bare baseline) always runs in its own process, started
  with ``multiprocessing`` in *spawn* mode (:mod:`bench.processes`), so it never shares an event
  loop with the clients.  The clients all live in the benchmark process.
* The bare baselines (:mod:`bench.bare`) use the same ``serve`` options as the relay
  (no compression, same ``max_size``/``max_queue``, same keep-alive pings), so a difference is the
  relay's own work, not a different websockets configuration.
* Clients that only have to *receive* (page-turn followers, idle connections) are raw websockets
  connections that speak just enough of the protocol to authenticate (:mod:`bench.wire`), so the
  measurement is the relay and not our client's decoding.  Blob downloads use the real
  :class:`~furano_meet.net.connection.RelayConnection` (it verifies SHA-256), and the bare
  baseline's clients hash what they receive too.

Run ``python -m bench --quick`` for a smoke run, ``python -m bench`` for the full set; see
``BENCHMARKS.md``.
"""
