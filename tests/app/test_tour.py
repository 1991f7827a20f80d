"""The scripted tour runs end to end and leaves its screenshots and measurements behind."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtGui import QImage

from furano_meet.app.tour import run_tour


async def test_the_tour_writes_screenshots_and_latencies(tmp_path: Path) -> None:
    report = await run_tour(tmp_path)
    written = json.loads((tmp_path / "tour.json").read_text())
    assert written == json.loads(json.dumps(report))
    names = [step["name"] for step in written["steps"]]
    assert names == [
        "start",
        "chair-presents",
        "page-5-pointer",
        "shared-stroke",
        "councillor-browses",
        "councillor-returns",
    ]
    for step in written["steps"]:
        for file in step["files"].values():
            image = QImage(str(tmp_path / file))
            assert image.width() >= 1000 and image.height() >= 700
    latency = written["chair_turn_to_follower_painted_ms"]
    assert len(latency["samples"]) == 4
    assert all(0 < sample < 20_000 for sample in latency["samples"])
