"""The Qt-free page-render service: PDF pages to RGB pixels, text boxes, links and outline.

Start a :class:`RenderService`, :meth:`~RenderService.open` a decrypted PDF from memory, then
ask for pages or tiles with :class:`RenderRequest` (awaitable, or ``.result()`` from a
thread). PyMuPDF runs in a render process by default, so rendering never stalls the app's
threads (``backend="thread"`` keeps it on a thread of this process). The app puts it behind Qt; tests use it headless. See ``docs/rendering.md``.
"""

from .errors import (
    BadRenderRequest,
    DocumentDamaged,
    DocumentLocked,
    DocumentNotOpen,
    PageOutOfRange,
    RenderError,
    RenderFailed,
    ServiceClosed,
)
from .service import DEFAULT_CACHE_BYTES, Backend, RenderFuture, RenderService, RenderStats
from .types import (
    MAX_PIXELS,
    MAX_SCALE,
    DocumentInfo,
    OutlineEntry,
    PageInfo,
    PageLink,
    PixelRect,
    Pixels,
    Priority,
    RenderRequest,
    WebLink,
    Word,
    page_pixel_size,
    tile_grid,
)

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "MAX_PIXELS",
    "MAX_SCALE",
    "Backend",
    "BadRenderRequest",
    "DocumentDamaged",
    "DocumentInfo",
    "DocumentLocked",
    "DocumentNotOpen",
    "OutlineEntry",
    "PageInfo",
    "PageLink",
    "PageOutOfRange",
    "PixelRect",
    "Pixels",
    "Priority",
    "RenderError",
    "RenderFailed",
    "RenderFuture",
    "RenderRequest",
    "RenderService",
    "RenderStats",
    "ServiceClosed",
    "WebLink",
    "Word",
    "page_pixel_size",
    "tile_grid",
]
