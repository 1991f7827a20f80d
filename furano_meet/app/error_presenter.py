"""The one place where a failure becomes words on the screen (after Anki's ``aqt/errors.py``).

Every op (:mod:`.ops`) and every refusal the engine reports (:class:`DocumentRefused`) ends
here. The presenter turns a :class:`~furano_meet.errors.FuranoError`'s stable ``code`` into a
calm sentence and the next step, in the UI language — never the English ``message`` of the
core, never a traceback. Whose fault it was decides the tone: the environment's ("the relay
cannot be reached — you keep reading what is on this device"), the user's ("ask the chair"),
a peer's, or our own bug, which is logged with its traceback and named by its code so a report
can quote it.

Windows do not pop up dialogs: they show :class:`Notice` values in a banner (``notice_bar.py``),
so a meeting is never interrupted by a modal box. A notice that asks something of the reader
stays until dismissed; one that only says what the app is already doing about it
(:data:`SELF_RESOLVING`) folds away by itself after a readable time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Signal

from furano_meet.errors import Fault, FuranoError, describe

log = logging.getLogger("furano.app")

_CONTEXT = "ErrorPresenter"

_MESSAGES: dict[str, tuple[object, object]] = {
    "unreachable": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "サーバーにつながりません。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "この端末にある資料はそのまま読めます。つながると自動で同期します。"
        ),
    ),
    "connection_lost": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "サーバーとの接続が切れました。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "自動でつなぎ直します。資料はそのまま読めます。"),
    ),
    "offline": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この操作にはサーバーへの接続が必要です。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "接続が戻ってから、もう一度お試しください。"),
    ),
    "not_presenter": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この操作は発表者だけができます。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "委員長に発表者の役割をお願いしてください。"),
    ),
    "forbidden": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この操作は許可されていません。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "必要であれば議会事務局にお問い合わせください。"),
    ),
    "no_meeting_key": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この会議の鍵がまだ届いていません。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "届くと資料が自動で開けるようになります。"),
    ),
    "not_certified": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この端末はまだ管理者の承認を待っています。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "承認されると自動で使えるようになります。"),
    ),
    "disk_full": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "端末の保存領域がいっぱいです。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "不要なファイルを削除してから、もう一度お試しください。"
        ),
    ),
    "document_damaged": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この資料は壊れていて開けません。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "議会事務局に差し替えをお願いしてください。"),
    ),
    "document_locked": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この資料にはパスワードがかかっています。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "議会事務局にお問い合わせください。"),
    ),
    "render_failed": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "このページを表示できませんでした。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "ほかのページは読めます。議会事務局にお知らせください。"
        ),
    ),
    "wrong_passphrase": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "パスフレーズが違います。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "もう一度入力してください。"),
    ),
    # -- documents that went away (app tests: a withdrawn one read "app bug") --
    "document_withdrawn": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "表示中の資料は議会事務局により取り下げられました。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "開いているページはこのまま読めます。閉じると、もう開けません。"
        ),
    ),
    "document_unavailable": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この資料はこの端末にないため開けません。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter",
            "取り下げられたか、まだ届いていない資料です。一覧の表示をご確認ください。",
        ),
    ),
    # -- the recovery code (設定 → 回復コードを作る; polish: these read as the generic words) --
    "recovery_exists": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "回復コードは、この端末ですでに作ってあります。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter",
            "書き留めたコードはそのまま使えます。なくした場合は、議会事務局にご相談ください。",
        ),
    ),
    "recovery_box_missing": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "サーバーに、あなたのメモを戻すための鍵がありません。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter",
            "回復コードは、メモのある端末で 設定 → 回復コードを作る をしたあとに使えます。"
            "わからないときは議会事務局にご相談ください。",
        ),
    ),
    # -- the clerk's PDF check (sync/pdf_check.py): what is wrong with the chosen file --
    # (added by the app tests: these fell back to 「この操作はできません。」, which says nothing)
    "pdf_not_pdf": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "選んだファイルはPDFではありません。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "PDFとして保存してから、もう一度選んでください。"),
    ),
    "pdf_broken": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "このPDFは壊れていて読めません。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "作成したソフトで開き、PDFとして保存し直してください。"
        ),
    ),
    "pdf_password": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "このPDFにはパスワードがかかっています。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "パスワードを外したコピーを保存し、そちらを配布してください。"
        ),
    ),
    "pdf_empty": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "このPDFにはページがありません。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "資料のページが入ったファイルを選んでください。"),
    ),
    "pdf_pages_lost": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "このPDFは一部のページが欠けています。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "ファイルをもう一度コピーするか、PDFとして保存し直してください。"
        ),
    ),
    "pdf_too_costly": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "このPDFは重すぎて、タブレットでは表示できません。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "画像を小さく（300dpi程度に）して保存し直してください。"
        ),
    ),
    # -- the clerk's desk (clerk_publish.py): a file that cannot even be read or sent --
    "upload_too_large": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "このファイルは大きすぎて配布できません。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "画像を小さくして保存し直すか、資料をいくつかに分けてください。"
        ),
    ),
    "file_unreadable": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "選んだファイルを読み込めませんでした。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter",
            "ファイルが移動・削除されていないかご確認のうえ、もう一度選んでください。",
        ),
    ),
    # -- first run and the administrator's screen (first_run.py, admin_screen.py) --
    "passphrase_too_weak": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "このパスフレーズは推測されやすいため使えません。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter",
            "10文字以上で、よく使われる言葉や数字だけでないものにしてください。"
            "ご自分だけが思いつく短い文がおすすめです。",
        ),
    ),
    "invitation_invalid": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "招待の形が正しくないか、期限が切れています。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter",
            "もう一度そのまま貼り付けてください。期限切れの場合は議会事務局に新しい招待をお願いしてください。",
        ),
    ),
    # -- the relay's address as typed at first run (furano_meet/net/relay_address.py) --
    "relay_address_invalid": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "サーバーのアドレスとして読めませんでした。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter",
            "議会事務局から届いたアドレス（例：meet.example.jp）を、空白を入れずに入力してください。",
        ),
    ),
    "relay_address_unencrypted": (
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "このアドレスでは通信が暗号化されないため、つなぎません。"
        ),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter",
            "先頭の「http://」を消して入力してください（暗号化した接続を使います）。",
        ),
    ),
    # -- end relay address --
    "invitation_untrusted": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この招待は確認できなかったため、登録しませんでした。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "使わずに、情報システム担当にお知らせください。"),
    ),
    "root_fingerprint_mismatch": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この端末を承認した組織が、招待の組織と違います。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter",
            "議会事務局に新しい招待をお願いし、情報システム担当にお知らせください。",
        ),
    ),
    "certification_refused": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この端末は承認できません。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "承認せず、本人に確かめてから新しい招待を作ってください。"
        ),
    ),
    "key_substitution": (
        QT_TRANSLATE_NOOP("ErrorPresenter", "端末の指紋が、サーバーが示す鍵と一致しません。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "承認しないでください。情報システム担当にお知らせください。"
        ),
    ),
}

_REFUSED = (
    QT_TRANSLATE_NOOP("ErrorPresenter", "届いた資料の一つは確認に失敗したため、表示しません。"),
    QT_TRANSLATE_NOOP(
        "ErrorPresenter", "改ざんや通信の不具合の可能性があります。議会事務局にお知らせください。"
    ),
)

_BY_FAULT: dict[Fault, tuple[object, object]] = {
    Fault.ENVIRONMENT: (
        QT_TRANSLATE_NOOP(
            "ErrorPresenter", "端末または通信の状態により、操作を完了できませんでした。"
        ),
        QT_TRANSLATE_NOOP("ErrorPresenter", "しばらくしてから、もう一度お試しください。"),
    ),
    Fault.USER: (
        QT_TRANSLATE_NOOP("ErrorPresenter", "この操作はできません。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "必要であれば議会事務局にお問い合わせください。"),
    ),
    Fault.THEIRS: (
        QT_TRANSLATE_NOOP("ErrorPresenter", "受け取ったデータを確認できませんでした。"),
        QT_TRANSLATE_NOOP("ErrorPresenter", "議会事務局にお知らせください。"),
    ),
    Fault.OURS: (
        QT_TRANSLATE_NOOP("ErrorPresenter", "アプリの不具合で操作を完了できませんでした。"),
        QT_TRANSLATE_NOOP(
            "ErrorPresenter",
            "もう一度お試しください。続く場合はコードを添えて事務局にお知らせください。",
        ),
    ),
}


SELF_RESOLVING = frozenset({"unreachable", "connection_lost", "no_meeting_key", "not_certified"})
"""Codes whose next step is "this happens by itself" (つながると自動で…, 届くと自動で…): the
reader has nothing to do, so their notice need not wait for 閉じる. Chosen by code, not by
:class:`Fault`: ``disk_full`` is the environment's fault too, yet asks the reader to free
space, and ``offline`` asks them to try again — those stay until dismissed."""


def tr(text: object) -> str:
    """Translate a ``QT_TRANSLATE_NOOP`` source text (typed ``object`` by PySide6)."""
    return QCoreApplication.translate(_CONTEXT, str(text))


class DocumentUnavailable(FuranoError):
    """The viewer asked for a document this device no longer (or not yet) holds: withdrawn,
    shredded or still arriving. The engine says so with a ``LookupError``; the reader is
    told in words, not as an app bug."""

    code = "document_unavailable"
    fault = Fault.USER


@dataclass(frozen=True, slots=True)
class Notice:
    """What the banner shows: a calm sentence, the next step, and the code for a report."""

    code: str
    fault: Fault
    message: str
    next_step: str

    @property
    def text(self) -> str:
        return f"{self.message} {self.next_step}"

    @property
    def needs_action(self) -> bool:
        """Whether the reader must do something (so the notice waits for 閉じる)."""
        return self.code not in SELF_RESOLVING


class ErrorPresenter(QObject):
    """Translates failures into :class:`Notice` values; windows listen to :attr:`shown`."""

    shown = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last: Notice | None = None

    def present(self, error: BaseException) -> Notice:
        """Show ``error``; our own bugs (and anything not a FuranoError) are logged in full."""
        if isinstance(error, FuranoError):
            code, fault = error.code, error.fault
        else:
            code, fault = "error", Fault.OURS
        if fault is Fault.OURS:
            log.error("op failed (code %s)", code, exc_info=error)
        else:
            log.info("op failed (code %s): %s", code, error)
        return self.present_code(code, fault)

    def present_code(self, code: str, fault: Fault | None = None) -> Notice:
        """Show a code the engine reported as a value (an event, not an exception)."""
        fault = fault or describe(code).fault
        message, next_step = (tr(text) for text in _MESSAGES.get(code) or _BY_FAULT[fault])
        if fault is Fault.OURS and code not in _MESSAGES:
            next_step = tr(QT_TRANSLATE_NOOP("ErrorPresenter", "{step}（{code}）")).format(
                step=next_step, code=code
            )
        return self._show(Notice(code, fault, message, next_step))

    def document_refused(self, code: str) -> Notice:
        """A document failed verification: say so calmly, never show it. (Its title is inside
        the manifest that failed, so it is not named.)"""
        message, next_step = _REFUSED
        return self._show(Notice(code, describe(code).fault, tr(message), tr(next_step)))

    def _show(self, notice: Notice) -> Notice:
        self.last = notice
        self.shown.emit(notice)
        return notice
