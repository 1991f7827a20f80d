"""Issue #9, seen by a councillor of seventy: the relay's address is typed as the clerk's office
gives it (「meet.example.jp」), not as a URL; a wrong one is said in plain words, and an
``http://`` address to another machine is never turned into an unencrypted connection.
The rules on their own, then the real first-run window against the real relay."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from furano_meet.app.error_presenter import ErrorPresenter
from furano_meet.app.tour import until
from furano_meet.net.relay_address import RelayAddressInvalid, RelayAddressUnencrypted, relay_url
from tests.app.test_first_run import certified_by_hand, first_run_window, shot

WAIT = 20


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("meet.example.jp", "wss://meet.example.jp"),
        (" meet.example.jp ", "wss://meet.example.jp"),
        ("ｍｅｅｔ．ｅｘａｍｐｌｅ．ｊｐ", "wss://meet.example.jp"),  # typed through the IME
        ("meet。example。jp", "wss://meet.example.jp"),
        ("meet.example.jp:8443/relay", "wss://meet.example.jp:8443/relay"),
        ("https://meet.example.jp", "wss://meet.example.jp"),
        ("WSS://meet.example.jp", "wss://meet.example.jp"),
        ("ws://10.1.2.3:8765", "ws://10.1.2.3:8765"),  # chosen explicitly: kept
        ("127.0.0.1:8765", "ws://127.0.0.1:8765"),  # this very machine
        ("localhost:8765", "ws://localhost:8765"),
        ("http://localhost:8765", "ws://localhost:8765"),
    ],
)
def test_an_address_as_the_office_gives_it_is_the_relays_url(typed: str, url: str) -> None:
    assert relay_url(typed) == url


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "meet example.jp",
        "ftp://meet.example.jp",
        "wss://",
        "meet.example.jp:99999",
        "giin@meet.example.jp",
        "furano-meet://invite?v=1",
        "会議.example.jp",
    ],
)
def test_what_is_not_an_address_is_refused(typed: str) -> None:
    with pytest.raises(RelayAddressInvalid):
        relay_url(typed)


def test_http_to_another_machine_is_refused_not_downgraded() -> None:
    for typed in ("http://meet.example.jp", "HTTP://10.1.2.3:8765"):
        with pytest.raises(RelayAddressUnencrypted):
            relay_url(typed)


async def test_the_first_run_takes_the_host_and_says_a_wrong_one_plainly(
    tmp_path: Path, qtbot: QtBot
) -> None:
    async with certified_by_hand(tmp_path) as (council, _admin):
        first_run = first_run_window(tmp_path, qtbot)
        first_run.start()
        page = first_run.invitation
        await until(lambda: first_run.current is page, WAIT)
        assert page.relay.placeholderText() == "例：meet.example.jp"
        shot(first_run, "relay-address-placeholder")
        page.invitation.setText((await council.invitation("giin1")).text())  # no relay in it

        for typed, words in (
            ("http://meet.example.jp", "暗号化されない"),
            ("meet example.jp", "サーバーのアドレスとして読めませんでした"),
        ):
            page.relay.setText(typed)
            first_run.notice.hide()
            QTest.mouseClick(page.enrol, Qt.MouseButton.LeftButton)
            await until(lambda: first_run.notice.isVisible() and page.enrol.isEnabled(), WAIT)
            shown = first_run.notice.text.text()
            assert words in shown and "://" not in shown.split("\n")[0], shown
            assert first_run.current is page and first_run.account is None
        shot(first_run, "relay-address-refused")

        host = council.url.removeprefix("ws://")  # 「127.0.0.1:port」, as a host is given
        page.relay.setText(host)
        QTest.mouseClick(page.enrol, Qt.MouseButton.LeftButton)
        await until(lambda: first_run.current is first_run.waiting, WAIT)
        assert page.relay.text() == council.url and first_run.account is not None
        assert first_run.account.relay_url == council.url
        await first_run.close_ops()
        first_run.close()


def test_the_error_presenter_words_both_refusals() -> None:
    presenter = ErrorPresenter()
    invalid = presenter.present(RelayAddressInvalid("meet example"))
    plain = presenter.present(RelayAddressUnencrypted("http://meet.example.jp"))
    assert invalid.message == "サーバーのアドレスとして読めませんでした。"
    assert "例：meet.example.jp" in invalid.next_step
    assert plain.message == "このアドレスでは通信が暗号化されないため、つなぎません。"
