"""Printed page labels: the number on the paper, beside the page's place in the file.

A pack often numbers its pages differently from the file (a cover and a 目次 in roman
numerals, then 1, 2, …; or 「資-3」 per appendix). The chair says 「12ページをご覧ください」 from
the paper, so where a page's label (``PageInfo.label``, read by the render service) differs
from its place, the app shows both — in the viewer's indicator and under each thumbnail.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from furano_meet.render import PageInfo


def printed(page: PageInfo) -> str | None:
    """The page's printed label when it says something its place does not, else ``None``."""
    return page.label if page.label and page.label != str(page.index + 1) else None


def caption(page: PageInfo) -> str:
    """「12ページ」, or 「12ページ（印刷 10）」 when the paper says otherwise."""
    text = QCoreApplication.translate("PageLabels", "{page}ページ").format(page=page.index + 1)
    return text + indicator_suffix(page)


def indicator_suffix(page: PageInfo) -> str:
    """What the viewer adds after 「12 / 40」: 「（印刷 10）」, or nothing."""
    label = printed(page)
    if label is None:
        return ""
    return QCoreApplication.translate("PageLabels", "（印刷 {label}）").format(label=label)
