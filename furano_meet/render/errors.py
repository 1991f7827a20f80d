"""Errors of the page-render service, each with whose fault it is.

A document that cannot be opened or a page that cannot be drawn is the document's (``THEIRS``:
whoever published it); asking for a document that is not open, a page that does not exist or an
absurd render is our bug (``OURS``).
"""

from __future__ import annotations

from typing import Any

from furano_meet.errors import Fault, FuranoError


def _restore(cls: type[RenderError], args: tuple[Any, ...], state: dict[str, Any]) -> RenderError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class RenderError(FuranoError):
    """Base of the render service's errors."""

    code = "render_error"

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross from the render process to the app by pickle, and most of these take
        # other arguments than the message that ``Exception`` pickles: rebuild them as they were.
        return _restore, (type(self), self.args, self.__dict__)


class DocumentNotOpen(RenderError):
    """A request named a document (id, version) that is not open in the service."""

    code = "document_not_open"

    def __init__(self, doc_id: str, version: int) -> None:
        super().__init__(f"Document {doc_id} version {version} is not open.")


class PageOutOfRange(RenderError):
    """A request named a page the document does not have."""

    code = "page_out_of_range"

    def __init__(self, page: int, page_count: int) -> None:
        super().__init__(f"Page index {page} is out of range (the document has {page_count}).")


class BadRenderRequest(RenderError):
    """A request no renderer should accept: a bad scale or rotation, a tile outside the page,
    more pixels in one piece than :data:`~.types.MAX_PIXELS` (tile it), an empty query."""

    code = "render_request_invalid"


class ServiceClosed(RenderError):
    """The service was shut down; nothing more is rendered."""

    code = "render_service_closed"

    def __init__(self) -> None:
        super().__init__("The page-render service has been shut down.")


class DocumentDamaged(RenderError):
    """The PDF cannot be opened at all (empty, not a PDF, broken beyond repair)."""

    code = "document_damaged"
    fault = Fault.THEIRS

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"This PDF is damaged and cannot be shown ({detail}).",
            "Ask the clerk to publish it again.",
        )


class DocumentLocked(RenderError):
    """The PDF needs a password to open, and none (or a wrong one) was given."""

    code = "document_locked"
    fault = Fault.THEIRS

    def __init__(self, *, wrong_password: bool) -> None:
        if wrong_password:
            super().__init__(
                "The password for this PDF is not correct.", "Check the password and try again."
            )
            self.fault = Fault.USER
        else:
            super().__init__(
                "This PDF is password-protected.",
                "Ask the clerk for a copy without a password.",
            )
        self.wrong_password = wrong_password


class RenderFailed(RenderError):
    """One page (or its text) could not be drawn or read; the rest of the document still can.

    ``page`` is ``None`` when the work was not about one page (the outline, a ``call``) and it
    crashed or hung the render process."""

    code = "render_failed"
    fault = Fault.THEIRS

    def __init__(self, page: int | None, detail: str) -> None:
        if page is None:
            message = f"This part of the PDF could not be read ({detail})."
        else:
            message = f"Page {page + 1} of this PDF could not be shown ({detail})."
        super().__init__(message, "The other pages are not affected.")
        self.page = page
