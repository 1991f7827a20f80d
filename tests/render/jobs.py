"""Work for ``service.call`` in tests, and test documents that need PyMuPDF to make.

``call`` runs its function where the renderer runs — in the render process with the process
backend — so these are module-level functions (they must pickle, and the render process
imports this module to find them).
"""

from __future__ import annotations

import random
import socket

import pymupdf


def hold(port: int) -> None:
    """Keep the renderer busy until the test says go: connect to the test's ``port`` (the test
    knows the renderer is inside once it accepts) and wait for a byte or the socket closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.recv(1)


class Refused(Exception):
    """An exception of our own, raised in the renderer, that must arrive as itself."""

    def __init__(self, what: str, count: int) -> None:
        super().__init__(what, count)
        self.count = count


def refuse(count: int) -> None:
    raise Refused("refused", count)


def slow_page(paths: int = 300) -> bytes:
    """A one-page PDF of ``paths`` half-transparent filled curves: about half a second to draw
    at 100 % here (transparency makes MuPDF blend every one)."""
    doc = pymupdf.open()
    page = doc.new_page()
    rng = random.Random(7)
    shape = page.new_shape()
    for _ in range(paths):
        points = [pymupdf.Point(rng.uniform(0, 595), rng.uniform(0, 842)) for _ in range(4)]
        shape.draw_bezier(*points)
        shape.finish(color=(rng.random(), 0, 0), fill=(0, 0, rng.random()), fill_opacity=0.5)
    shape.commit()
    try:
        return bytes(doc.tobytes())
    finally:
        doc.close()
