# mypy: untyped-calls-exclude=pymupdf
"""The mature viewer, in the real app on the real relay: an A3 sheet at 400 % drawn as tiles,
low resolution first, internal links (and links that must never run), the memory budget, and
hands on the page — wheel, pinch, two-finger pan, swipe, tap and the palm beside a stylus from
hand-built ``QTouchEvent``s sent with ``sendEvent`` (never ``QTest.touchEvent``: it processes
events inside the running qasync task and strands the others)."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pymupdf
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QEventPoint, QPixmap, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bench.app_council import MEETING_ID, bench_council
from bench.app_viewer import RequestLog
from furano_meet.app.council import member_session
from furano_meet.app.pixmap_cache import PixmapCache
from furano_meet.app.session import Session
from furano_meet.app.synthetic import native_zoom, stylus, tablet, touch, touch_pad, touch_screen
from furano_meet.app.tiles import (
    STAND_IN_AFTER,
    TILE,
    TilePlan,
    low_res_scale,
    needs_tiles,
    stand_in_worth,
)
from furano_meet.app.tour import expect_paint, until
from furano_meet.app.viewer import Fit, Viewer
from furano_meet.app.window import MainWindow
from furano_meet.pagespace import Point
from furano_meet.render import PixelRect, RenderRequest
from furano_meet.sync.follow import Mode
from server.demo import MEETING_ID as DEMO_MEETING
from tests.app.conftest import app_council
from tests.app.test_first_run import shot
from tests.app.test_viewer import chair_presents

WAIT = 30
A3 = (842.0, 1191.0)
PLAN = ("a3-plan", 1)
LINK_TO_2 = pymupdf.Rect(60, 40, 360, 90)
LAUNCH, SCRIPT, WEB = (pymupdf.Rect(60, y, 360, y + 50) for y in (110, 180, 250))


def a3_sheet(marker: Path) -> bytes:
    """Two A3 pages of fine lines and small figures; page 1 has a link to page 2, and links
    that would start a program, run JavaScript and open a web page."""
    doc = pymupdf.open()
    for number in (1, 2):
        page = doc.new_page(width=A3[0], height=A3[1])
        for y in range(330, int(A3[1]) - 30, 18):
            page.draw_line((30, y), (A3[0] - 30, y), width=0.3)
            for x in (36, 300, 560):
                page.insert_text((x, y - 5), f"{number}-{y:04d}  1,234,567  2,345", fontsize=6)
        page.insert_text((400, 70), f"PAGE {number}", fontsize=28)
    first = doc[0]
    first.insert_text((70, 72), "GO TO PAGE 2", fontsize=20)
    first.insert_link({"kind": pymupdf.LINK_GOTO, "from": LINK_TO_2, "page": 1})
    script = marker.with_suffix(".sh")
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    first.insert_link({"kind": pymupdf.LINK_LAUNCH, "from": LAUNCH, "file": str(script)})
    first.insert_link({"kind": pymupdf.LINK_URI, "from": WEB, "uri": "https://example.org/"})
    first.insert_link({"kind": pymupdf.LINK_URI, "from": SCRIPT, "uri": "https://example.net/"})
    js = next(x for x, *_ in first.annot_xrefs() if "example.net" in doc.xref_object(x))
    doc.xref_set_key(js, "A", f"<</S/JavaScript/JS(app.launchURL\\('file://{marker}'\\))>>")
    data = bytes(doc.tobytes())
    doc.close()
    return data


# -- the rules alone ---------------------------------------------------------------------------


def test_a_tile_plan_covers_the_view_and_rings_it() -> None:
    plan = TilePlan.of(3000, 4000, PixelRect(1100, 1100, 900, 700), tile=1024)
    assert {(r.x, r.y) for r in plan.visible} == {(1024, 1024)}
    assert len(plan.ring) == 8 and all(r.width <= 1024 and r.height <= 1024 for r in plan.ring)
    wide = TilePlan.of(3000, 4000, PixelRect(700, 700, 600, 500))
    assert len(wide.visible) == 4 and all(r.width <= TILE for r in wide.visible)
    assert wide.visible[0] == PixelRect(768, 768, TILE, TILE)  # nearest the view's centre first
    edge = TilePlan.of(3000, 4000, PixelRect(2500, 3500, 900, 900), tile=1024)
    assert edge.visible == (PixelRect(2048, 3072, 952, 928),)  # edge tiles end at the page
    assert needs_tiles((2400, 3400), 1280 * 700) and not needs_tiles((600, 850), 1280 * 700)
    assert low_res_scale(1.5, (900, 1270), 1280 * 700) == 0.5  # a third of a fitted page
    assert low_res_scale(4.0, (3368, 4764), 1280 * 700) < 1.0  # a small stand-in when zoomed
    page = (900, 1270)
    slow, quick = STAND_IN_AFTER * 2 / (900 * 1270), STAND_IN_AFTER / 2 / (900 * 1270)
    for tiled in (True, False):
        assert stand_in_worth(None, page, tiled=tiled)  # nothing measured yet: a stand-in first
        assert not stand_in_worth(quick, page, tiled=tiled)  # quick: sharp at once
    assert stand_in_worth(slow, page, tiled=True)  # slow tiles: one small piece first
    assert not stand_in_worth(slow, page, tiled=False)  # slow whole page: it would cost as much


def test_the_pixmap_budget_is_bytes_across_documents(qtbot: QtBot) -> None:
    cache = PixmapCache(capacity=3 * 100 * 100 * 4)
    requests = [RenderRequest(f"doc{i % 2}", 1, i, 1.0) for i in range(5)]
    for request in requests:
        pixmap = QPixmap(100, 100)
        pixmap.fill(QColor("white"))
        cache.put(request, pixmap)
        assert cache.size <= cache.capacity
    assert len(cache) == 3 and cache.evictions == 2
    assert requests[0] not in cache and requests[4] in cache
    assert cache.whole_pages("doc0", 1, 4) == [requests[4]]
    assert cache.discard_document("doc1", 1) == 1 and len(cache) == 2


# -- the real app --------------------------------------------------------------------------------


async def test_a_zoomed_a3_sheet_tiles_low_res_first_gestures_and_links(
    tmp_path: Path, qtbot: QtBot
) -> None:
    marker = tmp_path / "launched"
    async with bench_council(tmp_path, 0) as council:
        clerk = await council.session("jimukyoku", "clerk")
        await clerk.engine.publish_document(
            MEETING_ID, a3_sheet(marker), title="庁舎 平面図 (A3)", document_id=PLAN[0]
        )
        reader = await council.session("giin2", documents=4)
        window = MainWindow(reader)
        qtbot.addWidget(window)
        window.resize(1280, 860)
        window.show()
        window.choose_meeting(MEETING_ID)
        try:
            viewer = window.viewer
            await low_resolution_first(viewer)
            await zoomed_to_tiles(viewer)
            await links_go_to_pages_and_nothing_runs(viewer, marker)
        finally:
            window.close()


async def low_resolution_first(viewer: Viewer) -> None:
    seen: list[tuple[str, float]] = []
    viewer.page_previewed.connect(lambda key, at: seen.append(("low", at)) if key[2] == 0 else 0)
    viewer.page_painted.connect(lambda key, at: seen.append(("sharp", at)) if key[2] == 0 else 0)
    painted = expect_paint(viewer, 0, PLAN)
    viewer.open_document(*PLAN)
    await asyncio.wait_for(painted, WAIT)
    first, sharp = viewer.pixels.requested[:2]
    assert first.page == sharp.page == 0 and first.clip is None and sharp.clip is None
    assert first.scale < sharp.scale == viewer.request_for(0).scale
    # The stand-in is asked for first and, when it comes first, is on screen first; under load
    # the render processes may finish the sharp page first (reading the page is most of both
    # renders), and then a late stand-in must never replace it (seen: 2 of 6 loaded runs).
    assert [kind for kind, _ in seen] in (["low", "sharp"], ["sharp"])
    assert viewer.holds(sharp)


def page_share(viewer: Viewer, threshold: int) -> float:
    """Share of the viewport's pixels darker than ``threshold`` (0–255 lightness)."""
    image = viewer.page_area.viewport().grab().toImage()
    dark = total = 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            dark += QColor(image.pixel(x, y)).lightness() < threshold
            total += 1
    return dark / total


def tiles_in_view(viewer: Viewer) -> list[RenderRequest]:
    sharp = viewer.pixels.whole(0)
    return [RenderRequest(*PLAN, 0, sharp.scale, clip) for clip in viewer.pixels.plan(0).visible]


async def zoomed_to_tiles(viewer: Viewer) -> None:
    assert viewer.document is not None
    log = RequestLog(viewer)
    viewer.set_fit(Fit.PAGE)
    fit = viewer.request_for(0).scale
    viewer.set_zoom(4.0)
    await until(lambda: viewer.holds(viewer.request_for(0)), WAIT)
    whole_w, whole_h = viewer.document.pages[0].pixel_size(fit * 4)
    zoomed = [r for r in log.requests if r.page == 0 and r.scale > fit * 1.01]
    assert zoomed and all(r.clip is not None for r in zoomed)  # never the whole page
    assert max(r.clip.width * r.clip.height for r in zoomed if r.clip) < whole_w * whole_h / 4
    bars = viewer.page_area.horizontalScrollBar(), viewer.page_area.verticalScrollBar()
    for bar in bars:
        bar.setValue(bar.maximum() // 2)
    wanted = tiles_in_view(viewer)
    await until(lambda: all(viewer.holds(r) for r in wanted), WAIT)
    await until(lambda: len(viewer.canvas.tiles) >= len(wanted), WAIT)
    visible = QRectF(
        viewer.canvas.mapFrom(viewer.page_area.viewport(), QPoint(0, 0)).toPointF()
        - viewer.canvas.page_rect().topLeft(),
        viewer.page_area.viewport().size().toSizeF(),
    )
    drawn = [rect for rect, _ in viewer.canvas.tiles if rect.intersects(visible)]
    assert sum((r & visible).width() * (r & visible).height() for r in drawn) >= (
        visible.width() * visible.height() * 0.99
    )  # the view is covered by sharp tiles
    shot(viewer, "tiles-a3-400-middle")
    assert page_share(viewer, 80) > 0.002  # crisp black text and lines, not a blurred stand-in
    assert page_share(viewer, 250) < 0.5  # and white paper
    for bar in bars:
        bar.setValue(bar.maximum())
    corner = tiles_in_view(viewer)
    await until(lambda: all(viewer.holds(r) for r in corner), WAIT)
    shot(viewer, "tiles-a3-400-corner")  # grab() paints now; no processEvents() in a qasync task
    cache = viewer.pixels.cache
    assert 0 < cache.size <= cache.capacity


async def test_hands_on_the_page(tmp_path: Path, qtbot: QtBot) -> None:
    async with app_council(tmp_path, qtbot) as windows:
        chair = await member_session(windows.council, windows.devices, "iincho")
        windows.sessions.append(chair)
        window = await windows.open("giin1")
        await hands_on_the_page(chair, window.viewer)


class Hand:
    """Fingers on the viewer's page, as a touch screen delivers them: the ``TouchBegin`` to
    the widget under the fingers (the canvas, which hands it on to the viewport), the updates
    to the viewport that took it. Positions in viewport pixels."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer, self.device = viewer, touch_screen()
        self.viewport = viewer.page_area.viewport()

    def move(self, frames: list[tuple[QPointF, ...]]) -> None:
        """All fingers down at ``frames[0]``, through the frames, lifted at the last one."""
        canvas = self.viewer.canvas
        offset = QPointF(canvas.mapTo(self.viewport, QPoint(0, 0)))
        down = [(i, Pressed, p - offset) for i, p in enumerate(frames[0])]
        touch(canvas, self.device, QEvent.Type.TouchBegin, down)
        for frame in frames[1:]:
            moved = [(i, Updated, p) for i, p in enumerate(frame)]
            touch(self.viewport, self.device, QEvent.Type.TouchUpdate, moved)
        up = [(i, Released, p) for i, p in enumerate(frames[-1])]
        touch(self.viewport, self.device, QEvent.Type.TouchEnd, up)

    def line(self, start: QPointF, end: QPointF, steps: int = 6) -> None:
        """One finger from ``start`` to ``end``."""
        self.move([(start + (end - start) * i / steps,) for i in range(steps + 1)])

    def page_point(self, at: QPointF) -> Point:
        """The page point under viewport pixel ``at``."""
        canvas = self.viewer.canvas
        point = canvas.to_page(QPointF(canvas.mapFrom(self.viewport, at.toPoint())))
        assert point is not None
        return point

    def stays_under(self, point: Point, at: QPointF) -> None:
        """``point`` (page points) is still under viewport pixel ``at`` (within 2 pixels)."""
        canvas = self.viewer.canvas
        seen = QPointF(canvas.mapTo(self.viewport, QPoint(0, 0))) + canvas.to_view(point)
        assert math.dist((seen.x(), seen.y()), (at.x(), at.y())) <= 2.0, (seen, at)


Pressed, Updated, Released = (
    QEventPoint.State.Pressed,
    QEventPoint.State.Updated,
    QEventPoint.State.Released,
)


async def hands_on_the_page(chair: Session, viewer: Viewer) -> None:
    area, hand = viewer.page_area, Hand(viewer)
    shown = expect_paint(viewer, 2)
    await chair_presents(chair, 2)
    await asyncio.wait_for(shown, WAIT)
    await until(lambda: viewer.follow_bar.state == "following", WAIT)
    viewer.set_fit(Fit.PAGE)
    await until(lambda: area.verticalScrollBar().maximum() == 0, WAIT)
    mid = QPointF(hand.viewport.width() / 2, hand.viewport.height() / 2)

    # A tap is not a swipe, and a short slow slide neither: still following, still page 3.
    hand.line(mid, mid + QPointF(4, 2))
    hand.line(mid, mid + QPointF(-40, 3))
    assert viewer.page == 2 and viewer.follow_bar.state == "following"

    # The palm beside a stylus that is down: no turn, no zoom, no scroll.
    stylus_pen = stylus()
    tablet(viewer.canvas, stylus_pen, QEvent.Type.TabletPress, QPointF(200, 200), 0.5)
    hand.line(mid + QPointF(150, 0), mid - QPointF(150, 0))
    hand.move(
        [
            (mid - QPointF(60, 0), mid + QPointF(60, 0)),
            (mid - QPointF(200, 0), mid + QPointF(200, 0)),
        ]
    )
    assert viewer.page == 2 and viewer.zoom == 1.0 and viewer.follow_bar.state == "following"
    tablet(viewer.canvas, stylus_pen, QEvent.Type.TabletRelease, QPointF(200, 200), 0.0)
    tablet(viewer.canvas, stylus_pen, QEvent.Type.TabletLeaveProximity, QPointF(200, 200), 0.0)

    # A swipe right to left turns to the next page, as a key does: browsing, with 戻る.
    turned = expect_paint(viewer, 3)
    hand.line(mid + QPointF(150, 0), mid - QPointF(150, -10))
    await asyncio.wait_for(turned, WAIT)
    await until(lambda: viewer.follow_bar.state == "browsing", WAIT)
    assert (
        viewer.follow_bar.back.isVisible()
        and viewer.follow_bar.label.text() == "委員長は3ページです"
    )
    assert viewer.session.engine.view(DEMO_MEETING).view.mode is Mode.BROWSING

    # Pinch off the centre: the zoom grows with the fingers' spread and the page point between the fingers stays
    # under them though they moved; a pinch never turns.
    at = mid + QPointF(40, -60)  # on the page, with room to scroll both ways once zoomed
    under = hand.page_point(at)
    moved_to = at + QPointF(30, -20)
    hand.move(
        [
            (at - QPointF(100, 0), at + QPointF(100, 0)),
            (moved_to - QPointF(250, 0), moved_to + QPointF(250, 0)),
        ]
    )
    assert math.isclose(viewer.zoom, 2.5, rel_tol=0.01), area.viewport().size()
    assert area.verticalScrollBar().maximum() > 0 and area.horizontalScrollBar().maximum() > 0
    hand.stays_under(under, moved_to)
    assert viewer.page == 3

    # Two fingers together pan: the page follows them, the zoom stays.
    bars = area.horizontalScrollBar(), area.verticalScrollBar()
    before = [bar.value() for bar in bars]
    under = hand.page_point(mid)
    shift = QPointF(60, -120)  # right and up: room both ways whatever the viewport's width
    hand.move(
        [
            (mid - QPointF(80, 0), mid + QPointF(80, 0)),
            (mid - QPointF(80, 0) + shift / 2, mid + QPointF(80, 0) + shift / 2),
            (mid - QPointF(80, 0) + shift, mid + QPointF(80, 0) + shift),
        ]
    )
    assert [bar.value() for bar in bars] == [before[0] - 60, before[1] + 120]
    assert math.isclose(viewer.zoom, 2.5, rel_tol=0.01)
    hand.stays_under(under, mid + shift)

    # One finger on a page wider than the screen drags it, never turns it.
    before = [bar.value() for bar in bars]
    assert bars[0].maximum() - before[0] >= 100  # room to drag (the viewport is ~760 px wide)
    hand.line(mid, mid - QPointF(100, 0))
    assert bars[0].value() == before[0] + 100 and viewer.page == 3
    shot(viewer, "touch-pinched")

    # A touch pad's pinch (a native zoom gesture) zooms about the pointer.
    under = hand.page_point(mid)
    native_zoom(hand.viewport, touch_pad(), mid, 0.2)
    assert math.isclose(viewer.zoom, 3.0, rel_tol=0.01)
    hand.stays_under(under, mid)

    # Ctrl + wheel zooms around the mouse; a plain notch on a page that fits turns it.
    viewer.set_fit(Fit.PAGE)
    await until(lambda: area.verticalScrollBar().maximum() == 0, WAIT)
    wheel(viewer, QPointF(300, 300), 120, Qt.KeyboardModifier.ControlModifier)
    assert math.isclose(viewer.zoom, 1.25)
    viewer.set_fit(Fit.PAGE)
    await until(lambda: area.verticalScrollBar().maximum() == 0, WAIT)
    turned = expect_paint(viewer, 4)
    wheel(viewer, QPointF(300, 300), -120)
    await asyncio.wait_for(turned, WAIT)


def wheel(
    viewer: Viewer,
    at: QPointF,
    delta: int,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    viewport = viewer.page_area.viewport()
    event = QWheelEvent(
        at,
        viewport.mapToGlobal(at),
        QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


def on_canvas(viewer: Viewer, rect: pymupdf.Rect) -> QPoint:
    """Where the centre of ``rect`` (page points) is on the canvas."""
    assert viewer.document is not None
    page = viewer.canvas.page_rect()
    scale = page.width() / viewer.document.pages[viewer.page].width
    centre = Point((rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2)
    return (page.topLeft() + QPointF(centre.x * scale, centre.y * scale)).toPoint()


async def links_go_to_pages_and_nothing_runs(viewer: Viewer, marker: Path) -> None:
    viewer.set_fit(Fit.PAGE)
    await until(lambda: len(viewer.links.links) == 1, WAIT)
    (link,) = viewer.links.links  # the Launch, JavaScript and web links never reach the app
    assert link.target_page == 1
    for rect in (LAUNCH, SCRIPT, WEB):
        QTest.mouseClick(viewer.canvas, Qt.MouseButton.LeftButton, pos=on_canvas(viewer, rect))
    assert viewer.page == 0 and not marker.exists()
    jumped = expect_paint(viewer, 1, PLAN)
    QTest.mouseClick(viewer.canvas, Qt.MouseButton.LeftButton, pos=on_canvas(viewer, LINK_TO_2))
    await asyncio.wait_for(jumped, WAIT)
    assert viewer.page == 1 and viewer.page_label.text() == "2 / 2"
    assert not marker.exists()
    back = expect_paint(viewer, 0, PLAN)
    viewer.turn_page(0)
    await asyncio.wait_for(back, WAIT)
    # A finger's tap on the link follows it too (the gestures take the touch: no mouse click).
    await until(lambda: len(viewer.links.links) == 1, WAIT)
    hand = Hand(viewer)
    offset = QPointF(viewer.canvas.mapTo(hand.viewport, QPoint(0, 0)))
    launch, on_link = (QPointF(on_canvas(viewer, rect)) + offset for rect in (LAUNCH, LINK_TO_2))
    hand.line(launch, launch, 1)
    assert viewer.page == 0 and not marker.exists()
    tapped = expect_paint(viewer, 1, PLAN)
    hand.line(on_link, on_link + QPointF(3, 2), 2)  # a finger trembles a little
    await asyncio.wait_for(tapped, WAIT)
    assert viewer.page == 1
