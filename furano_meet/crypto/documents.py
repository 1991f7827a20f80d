"""Where the document names were imported from before the stream and the manifest were split.

The chunked encrypted stream is :mod:`.stream` (format, :class:`DocumentEncryptor`) and
:mod:`.decryptor` (:class:`DocumentDecryptor`); the signed manifest is :mod:`.manifest`. New code
imports from those modules or from :mod:`furano_meet.crypto`; this module only keeps older
imports working, with exactly the public names of the three modules (their ``__all__``).
"""

from __future__ import annotations

from .decryptor import *  # noqa: F403 - a re-export is what this module is for
from .manifest import *  # noqa: F403
from .stream import *  # noqa: F403
