"""Errors of the annotation model: an annotation that does not check out, or one too new to read.

Whose fault depends on where the bad value came from, so it is set per instance: building an
annotation from the app's own values is our bug (``OURS``) except a note text that is too long,
which the person typed (``USER``); decoding bytes from another device is the peer's (``THEIRS``).
"""

from __future__ import annotations

from furano_meet.errors import Fault, FuranoError, SchemaTooNew


class AnnotationError(FuranoError):
    """Base of the annotation model's errors."""

    code = "annotation_error"


class AnnotationInvalid(AnnotationError):
    """An annotation broke a rule of the model (a value out of range, a malformed payload)."""

    code = "annotation_invalid"

    def __init__(self, message: str, *, fault: Fault = Fault.OURS, next_step: str = "") -> None:
        super().__init__(message, next_step)
        self.fault = fault


class AnnotationTooNew(AnnotationError, SchemaTooNew):
    """The payload was written by a newer major version (or uses a kind this version lacks).

    Not a broken payload: the app shows a placeholder ("a note from a newer version") and keeps
    the op, so nothing is lost once this device is updated. A :class:`SchemaTooNew` like a
    newer database, with ``found`` and ``supported``.
    """

    code = "annotation_too_new"
    fault = Fault.ENVIRONMENT
