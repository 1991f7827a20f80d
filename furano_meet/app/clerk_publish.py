"""The clerk's publishing form: a PDF chosen (or dropped on the desk), checked, described, sent.

One form serves both a new document and a 差し替え (the next version of one): what differs is
the :class:`Target` it is given. It goes through four calm steps, one visible at a time:

1. **choose** — 「PDFファイルを選ぶ…」 opens a non-modal file dialog (``QFileDialog.open``);
   a file dropped on the desk arrives through :meth:`PublishForm.take_file`.
2. **check** — the file is read and the PDF check (:func:`furano_meet.sync.documents.inspect_pdf`)
   runs on a worker thread through ``session.ops``: the GUI thread never reads the file. A
   refusal (not a PDF, broken, a password, too large, unreadable) goes to the one error
   presenter, which says it in plain words; the form names the file and stays ready for
   another. Nothing the clerk typed is lost.
3. **describe** — title (from the file's name), the agenda item's label (「議案第3号」, or one
   already in the pack) and its place in the agenda; the check's warnings (a repaired file)
   are shown *before* the clerk confirms.
4. **publish** — ``engine.publish_document`` encrypts, signs and uploads (its own threads),
   given the desk's check so it does not run it again;
   ``UploadProgress`` moves the bar. A failure (offline, the relay refuses) keeps the form as
   it was, so 「配布する」 can simply be pressed again.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from furano_meet.errors import Fault, FuranoError
from furano_meet.protocol import messages as m
from furano_meet.sync.delivery import DocumentDelivery
from furano_meet.sync.documents import CheckedPdf, check_pdf
from furano_meet.sync.events import SyncEvent, UploadProgress
from furano_meet.sync.pdf_check import PdfWarning

from .labels import label
from .session import Session

MiB: Final = 1024 * 1024
MAX_FILE_BYTES: Final = 512 * MiB
"""The largest file the desk reads: the relay's default ``max_document``. A larger one is
refused before it is read (``upload_too_large``), not after minutes of uploading."""

WARNINGS: dict[str, object] = {
    PdfWarning.REPAIRED: QT_TRANSLATE_NOOP(
        "PublishForm",
        "このファイルは一部が壊れていたため、自動で修復しました。ページは欠けていませんが、"
        "配布する前に内容を一度ご確認ください。",
    ),
}


class FileTooLarge(FuranoError):
    """The chosen file is larger than a document may be; it was not read."""

    code = "upload_too_large"
    fault = Fault.USER


class FileUnreadable(FuranoError):
    """The chosen file could not be read (moved, deleted, or no permission)."""

    code = "file_unreadable"
    fault = Fault.USER


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file the PDF check accepted: its bytes, pages and what the clerk should be told.

    The check itself (:class:`~furano_meet.sync.documents.CheckedPdf`) goes on to
    ``publish_document``, so the engine does not check the same bytes a second time.
    """

    name: str
    check: CheckedPdf

    @property
    def data(self) -> bytes:
        return self.check.data

    @property
    def pages(self) -> int:
        return self.check.inspection.page_count

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self.check.inspection.warnings)


def read_and_check(path: Path, max_bytes: int = MAX_FILE_BYTES) -> CheckedFile:
    """(Worker thread) Read ``path`` and run the PDF check; raises a :class:`FuranoError`."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FileTooLarge(
                f"“{path.name}” is {size:,} bytes; a document may be {max_bytes:,}.",
                "Save it with smaller images, or split it.",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise FileUnreadable(
            f"“{path.name}” cannot be read: {exc.strerror}", "Copy the file and choose it again."
        ) from exc
    return CheckedFile(path.name, check_pdf(data, path.name))


@dataclass(frozen=True, slots=True)
class Target:
    """Where the form publishes: a meeting, and the document it replaces (``None``: a new one)."""

    meeting_id: str
    replaces: DocumentDelivery | None
    items: tuple[str, ...]
    """The agenda items' labels already in the pack, offered in the item field."""
    next_position: int
    """The place after the last one: where a new document goes unless the clerk says."""

    @property
    def version(self) -> int:
        return 1 if self.replaces is None else self.replaces.version + 1


class PublishForm(QFrame):
    """See the module docstring: choose → check → describe → publish, for one :class:`Target`."""

    published = Signal(str, int)
    """(document id, version) the relay accepted."""
    closed = Signal()
    """「やめる」 or 「一覧に戻る」: the desk shows the pack again."""
    checking = Signal(str)
    """A file's name, as its check begins (an earlier file's refusal is no longer news)."""

    def __init__(
        self, session: Session, parent: QWidget | None = None, *, max_bytes: int = MAX_FILE_BYTES
    ) -> None:
        super().__init__(parent)
        self.setObjectName("deskPanel")
        self.session = session
        self.max_bytes = max_bytes
        self.target: Target | None = None
        self.checked: CheckedFile | None = None
        self.dialog: QFileDialog | None = None
        self.sending: tuple[str, int] | None = None
        """(document id, version) being uploaded: its progress moves the bar."""
        self.step = ""
        """choose / checking / describe / publishing / done (empty before :meth:`start`)."""
        self.heading = label("", "title")
        self.explain = label("", "explain")
        self.choose = QPushButton(self.tr("PDFファイルを選ぶ…"), self)
        self.choose.clicked.connect(self.open_dialog)
        self.file = label("", "fileLine")
        self.warning = label("", "warning")
        self.fields = self._fields()
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName(self.tr("配布の進み具合"))
        self.progress.setRange(0, 100)
        self.send = QPushButton(self.tr("配布する"), self)
        self.send.setObjectName("primary")
        self.send.clicked.connect(self.publish)
        self.back = QPushButton(self.tr("やめる"), self)
        self.back.clicked.connect(self.closed.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.send)
        buttons.addStretch(1)
        buttons.addWidget(self.back)
        column = QVBoxLayout(self)
        column.addWidget(self.heading)
        column.addWidget(self.explain)
        column.addWidget(self.choose)
        column.addWidget(self.file)
        column.addWidget(self.warning)
        column.addWidget(self.fields)
        column.addWidget(self.progress)
        column.addStretch(1)
        column.addLayout(buttons)
        session.engine_event.connect(self._on_event)

    def _fields(self) -> QWidget:
        box = QWidget(self)
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        self.title = QLineEdit(box)
        self.title.setAccessibleName(self.tr("資料の題名"))
        self.title.textChanged.connect(lambda _text: self._ready())
        self.item = QComboBox(box)
        self.item.setEditable(True)
        self.item.setAccessibleName(self.tr("議事（例：議案第3号）"))
        self.item.view().setAccessibleName(self.tr("配布済みの議事"))
        line = self.item.lineEdit()
        if line is not None:
            line.setPlaceholderText(self.tr("例：議案第3号"))
        self.position = QSpinBox(box)
        self.position.setRange(1, 999)
        self.position.setAlignment(Qt.AlignmentFlag.AlignCenter)  # not against the frame
        self.position.setAccessibleName(self.tr("資料の並び順（小さい番号が先）"))
        form.addRow(label(self.tr("資料の題名"), "field"), self.title)
        form.addRow(label(self.tr("議事"), "field"), self.item)
        form.addRow(label(self.tr("並び順（小さい番号が先）"), "field"), self.position)
        return box

    # -- the steps ---------------------------------------------------------------------------

    def start(self, target: Target) -> None:
        """A fresh form for ``target``: nothing chosen yet."""
        self.target, self.checked, self.sending = target, None, None
        doc = target.replaces
        if doc is None:
            self.heading.setText(self.tr("新しい資料を配布する"))
            self.explain.setText(
                self.tr(
                    "PDFファイルを選ぶか、この画面にドラッグしてください。"
                    "配布する前に、すべての委員の端末で開けるかを確かめます。"
                )
            )
        else:
            self.heading.setText(
                self.tr("差し替え：{title}（いまは第{v}版）").format(title=doc.title, v=doc.version)
            )
            self.explain.setText(
                self.tr(
                    "新しいPDFを選んでください。第{v}版として配布します。委員が書いたメモは"
                    "新しい版に引き継がれます。ページが変わって位置を確かめたほうがよいメモは、"
                    "各委員の「確認」に一覧で表示されます。"
                ).format(v=target.version)
            )
        self.item.clear()
        self.item.addItems(list(target.items))
        # a 差し替え keeps the item, the place and the title (the clerk may change them)
        self.item.setEditText(doc.agenda_item or "" if doc else "")
        kept = doc.agenda_position if doc is not None else None
        self.position.setValue(kept or target.next_position)
        self.title.setText(doc.title if doc else "")
        self.file.setText(self.tr("まだファイルを選んでいません。"))
        self.warning.setText("")
        self._show_step("choose")

    def open_dialog(self) -> None:
        """The file dialog, non-modal: the desk and the meeting stay usable while it is open."""
        dialog = QFileDialog(self, self.tr("配布するPDFを選ぶ"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters([self.tr("PDF (*.pdf)"), self.tr("すべてのファイル (*)")])
        dialog.fileSelected.connect(lambda path: self.take_file(Path(path)))
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: QFileDialog) -> None:
        """Qt's own dialog goes once answered (its unnamed inner lists are not the desk's)."""
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def take_file(self, path: Path) -> None:
        """Check ``path`` off the GUI thread; the form waits, the desk stays usable."""
        if self.target is None or self.sending is not None:
            return
        self.checked = None
        self.checking.emit(path.name)
        self.file.setText(self.tr("「{name}」を確かめています…").format(name=path.name))
        self._show_step("checking")
        self.session.ops.run(
            asyncio.to_thread(read_and_check, path, self.max_bytes),
            on_done=self._checked,
            on_failed=lambda: self._refused(path.name),
        )

    def _refused(self, name: str) -> None:
        """The presenter said why; the form names the file and waits for another."""
        self.file.setText(
            self.tr(
                "「{name}」は配布できません（理由は上のお知らせのとおりです）。"
                "別のファイルを選んでください。"
            ).format(name=name)
        )
        self._show_step("choose")

    def _checked(self, checked: CheckedFile) -> None:
        self.checked = checked
        self.file.setText(
            self.tr("「{name}」— {pages}ページ。すべての端末で開けることを確かめました。").format(
                name=checked.name, pages=checked.pages
            )
        )
        if not self.title.text().strip():
            self.title.setText(Path(checked.name).stem)
        self.warning.setText(
            "\n".join(
                QCoreApplication.translate("PublishForm", str(WARNINGS[w]))
                for w in checked.warnings
                if w in WARNINGS
            )
        )
        self._show_step("describe")
        self.title.setFocus()

    def publish(self) -> None:
        """Encrypt, sign and upload; the bar follows the upload."""
        target, checked = self.target, self.checked
        if target is None or checked is None or not self._ready():
            return
        doc = target.replaces
        document_id = doc.document_id if doc is not None else f"doc-{uuid.uuid4().hex[:16]}"
        self.sending = (document_id, target.version)
        self.progress.setValue(0)
        self.file.setText(self.tr("暗号化して配布しています…"))
        self._show_step("publishing")
        self.session.ops.run(
            self.session.engine.publish_document(
                target.meeting_id,
                checked.data,
                title=self.title.text().strip(),
                agenda_item=self.item.currentText().strip(),
                agenda_position=self.position.value(),
                document_id=document_id,
                version=target.version,
                file_name=checked.name,
                checked=checked.check,  # checked once, here on the desk
            ),
            on_done=self._done,
            on_failed=self._not_sent,
        )

    def _not_sent(self) -> None:
        """Nothing is lost: the same file and words, ready to send again."""
        self.sending = None
        self.file.setText(
            self.tr("配布できませんでした。内容はそのまま残っています。もう一度お試しください。")
        )
        self._show_step("describe")

    def _done(self, info: m.DocumentInfo) -> None:
        self.sending = None
        self.checked = None
        self.progress.setValue(100)
        self.file.setText(
            self.tr("配布しました：{title}（第{v}版）").format(
                title=self.title.text().strip(), v=info.version
            )
        )
        self.heading.setText(self.tr("配布しました"))
        self.explain.setText(
            self.tr(
                "委員の端末に届くと、一覧の「受け取り」の人数が増えます。"
                "続けて配布するときは、次のPDFをこの画面にドラッグしてください。"
            )
        )
        self._show_step("done")
        self.published.emit(info.document_id, info.version)

    def _on_event(self, event: SyncEvent) -> None:
        if (
            isinstance(event, UploadProgress)
            and (event.document_id, event.version) == self.sending
            and event.total > 0
        ):
            self.progress.setValue(int(100 * event.sent / event.total))

    # -- what is shown at each step ----------------------------------------------------------

    def _ready(self) -> bool:
        ready = self.checked is not None and bool(self.title.text().strip())
        self.send.setEnabled(ready and self.sending is None)
        return ready

    def _show_step(self, step: str) -> None:
        described = step in ("describe", "publishing")
        self.choose.setVisible(step in ("choose", "checking", "describe"))
        self.choose.setText(
            self.tr("別のファイルを選ぶ…") if step == "describe" else self.tr("PDFファイルを選ぶ…")
        )
        self.choose.setEnabled(step != "checking")
        self.fields.setVisible(described)
        self.fields.setEnabled(step == "describe")
        self.warning.setVisible(described and bool(self.warning.text()))
        self.progress.setVisible(step in ("publishing", "done"))
        self.send.setVisible(described)
        self.back.setText(self.tr("一覧に戻る") if step == "done" else self.tr("やめる"))
        self.back.setEnabled(step != "publishing")
        self.step = step
        self._ready()
