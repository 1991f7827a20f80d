"""A web link in a document: offered only after 「外部のサイトを開きますか？」, showing where it goes.

Why a confirmation: a document is the clerk's, but its links go anywhere, and what the page
shows over a link need not be where it goes (a hostile page can read
「www.city.furano.hokkaido.jp」 over a link to another site). So a tap on a web link never opens
anything at once: :class:`LinkConfirm` shows the *target* — the site's name large and bold,
the whole address under it with the site emphasised — and opens it with the desktop's browser
(``QDesktopServices.openUrl``) only on 「ブラウザで開く」; 「やめる」 is the default.

What can be offered at all is decided where the link is read (the render process,
:mod:`furano_meet.render.web`: ``http``/``https`` to a named host, no user name before the
host) and checked again here with the same rule just before the address leaves the app.
Launch actions, JavaScript, ``file:`` addresses and embedded files never reach the app.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from furano_meet.render.web import web_address

from .labels import answers, label

CONFIRM_STYLE = """
#section { font-size: 18pt; font-weight: bold; }
#site { font-size: 20pt; font-weight: bold; color: #174ea6; }
#address { font-size: 14pt; background: #f1f3f4; border: 1px solid #dadce0;
    border-radius: 6px; padding: 8px; }
#explain { font-size: 14pt; color: #3c4043; }
"""
_BREAKS = "/?&=.-_#"
"""An address has no spaces: it may break after these (a zero-width space) to wrap whole."""


def site_of(url: str) -> str:
    """The host an address goes to, as the network will read it (an internationalised name in
    its ``xn--`` form, so a look-alike letter cannot pass for another)."""
    return QUrl(url).host(QUrl.ComponentFormattingOption.FullyEncoded)


def _breakable(text: str) -> str:
    return "".join(html.escape(ch) + ("\u200b" if ch in _BREAKS else "") for ch in text)


def emphasised(url: str) -> str:
    """The whole address as rich text, its host in bold, breakable after separators."""
    host = site_of(url)
    scheme, _, rest = url.partition("://")
    start = rest.lower().find(host.lower())
    if start < 0:  # an address Qt reads otherwise: shown whole, not emphasised
        return _breakable(url)
    before, after = f"{scheme}://{rest[:start]}", rest[start + len(host) :]
    return f"{_breakable(before)}<b>{html.escape(host)}</b>{_breakable(after)}"


class LinkConfirm(QDialog):
    """「外部のサイトを開きますか？」 with the site and the whole address; 「やめる」 by default."""

    def __init__(self, url: str, parent: QWidget) -> None:
        from .window import STYLE  # noqa: PLC0415 - the window imports the viewer, which imports this

        super().__init__(parent)
        self.url = url
        self.setWindowTitle(self.tr("外部のサイト"))
        self.setStyleSheet(STYLE + CONFIRM_STYLE)
        self.site = label(site_of(url), "site")
        self.site.setAccessibleName(self.tr("行き先のサイト"))
        self.address = QLabel(emphasised(url), self)
        self.address.setObjectName("address")
        self.address.setWordWrap(True)
        self.address.setAccessibleName(self.tr("開くアドレス"))
        self.address.setAccessibleDescription(url)
        self.open_button, self.keep, buttons = answers(
            self, self.tr("ブラウザで開く"), self.tr("やめる")
        )
        column = QVBoxLayout(self)
        column.addWidget(label(self.tr("外部のサイトを開きますか？"), "section"))
        column.addWidget(self.site)
        column.addWidget(self.address)
        column.addWidget(
            label(
                self.tr(
                    "資料に書かれた文字ではなく、実際に開くアドレスです。"
                    "心当たりのないサイトなら開かないでください。"
                    "開くと、この端末のブラウザで表示します。"
                ),
                "explain",
            )
        )
        column.addLayout(buttons)
        self.resize(640, 360)
        self.keep.setFocus()


class ExternalLinks:
    """Offers a page's web links: one confirmation at a time, the address opened on yes."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.confirm: LinkConfirm | None = None
        """The confirmation on screen (tests read it), ``None`` when there is none."""

    def offer(self, url: str) -> LinkConfirm | None:
        """Ask before opening ``url``; nothing is asked for an address that is not a plain web
        address (it should never have come this far)."""
        checked = web_address(url)
        if checked is None:
            return None
        if self.confirm is not None:
            self.confirm.close()
        confirm = LinkConfirm(checked, self.parent)
        confirm.accepted.connect(lambda: open_web(checked))
        confirm.finished.connect(lambda _result: self._closed(confirm))
        self.confirm = confirm
        confirm.open()  # window-modal, not exec(): the meeting goes on
        return confirm

    def _closed(self, confirm: LinkConfirm) -> None:
        if self.confirm is confirm:
            self.confirm = None


def open_web(url: str) -> bool:
    """Hand a checked web address to the desktop's browser (checked once more here)."""
    checked = web_address(url)
    return checked is not None and QDesktopServices.openUrl(
        QUrl(checked, QUrl.ParsingMode.StrictMode)
    )
