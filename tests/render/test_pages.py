"""What the service reads from a page: exact pixels and tiles, text boxes, links, outline, labels."""

from __future__ import annotations

import pymupdf
import pytest

from furano_meet.errors import Fault
from furano_meet.pagespace import Point, Quad, Rect
from furano_meet.render import (
    DocumentDamaged,
    DocumentLocked,
    PixelRect,
    Pixels,
    RenderFailed,
    RenderRequest,
    RenderService,
    tile_grid,
)
from furano_meet.render.errors import BadRenderRequest
from furano_meet.render.service import Backend


def _edited(pdf: bytes, edit: object) -> bytes:
    """``pdf`` changed by ``edit(doc)`` in PyMuPDF (test set-up, on the test's thread)."""
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    try:
        edit(doc)  # type: ignore[operator]
        return bytes(doc.tobytes())
    finally:
        doc.close()


def _rotate_all(rotation: int) -> object:
    def edit(doc: pymupdf.Document) -> None:
        for index in range(doc.page_count):
            doc[index].set_rotation(rotation)

    return edit


def _assemble(tiles: list[Pixels], width: int, height: int) -> bytes:
    canvas = bytearray(b"\x00" * (width * height * 3))
    for tile in tiles:
        clip = tile.request.clip
        assert clip is not None and (tile.width, tile.height) == (clip.width, clip.height)
        for row in range(tile.height):
            start = ((clip.y + row) * width + clip.x) * 3
            canvas[start : start + tile.width * 3] = tile.data[
                row * tile.stride : row * tile.stride + tile.width * 3
            ]
    return bytes(canvas)


def _rotate_image_90(data: memoryview, width: int, height: int) -> bytes:
    """``data`` (RGB, width × height) turned 90° clockwise."""
    out = bytearray(len(data))
    for y in range(height):
        for x in range(width):
            src = (y * width + x) * 3
            dst = (x * height + (height - 1 - y)) * 3
            out[dst : dst + 3] = data[src : src + 3]
    return bytes(out)


def test_a_whole_page_is_exactly_what_get_pixmap_gives(service: RenderService, pack: bytes) -> None:
    service.open("p", 1, pack).result(30)
    doc = pymupdf.open(stream=pack, filetype="pdf")
    for page, scale in [(0, 1.0), (2, 1.37), (5, 0.21)]:
        expected = doc[page].get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
        pixels = service.render(RenderRequest("p", 1, page, scale)).result(30)
        assert (pixels.width, pixels.height) == (expected.width, expected.height)
        assert pixels.data == expected.samples
    doc.close()


def test_a_page_drawn_again_from_its_display_list_is_the_same(
    backend: Backend, pack: bytes
) -> None:
    with RenderService(cache_bytes=0, backend=backend) as uncached:
        uncached.open("p", 1, pack).result(30)
        request = RenderRequest("p", 1, 3, 0.83)
        first = bytes(uncached.render(request).result(30).data)  # straight from the page
        again = bytes(uncached.render(request).result(30).data)  # from the page's display list
        assert uncached.stats().renders == 2
    assert first == again and first.count(0xFF) < len(first)  # and not a blank page


@pytest.mark.parametrize(("own", "extra"), [(0, 0), (90, 0), (0, 270), (180, 90)])
def test_tiles_assemble_to_the_pixels_of_a_whole_render(
    service: RenderService, pack: bytes, own: int, extra: int
) -> None:
    pdf = _edited(pack, _rotate_all(own)) if own else pack
    info = service.open("t", 1, pdf).result(30)
    scale = 1.31  # not a round number: tile edges fall between page points
    width, height = info.pages[2].pixel_size(scale, extra)
    whole = service.render(RenderRequest("t", 1, 2, scale, rotation=extra)).result(30)
    assert (whole.width, whole.height) == (width, height)
    grid = tile_grid(width, height, 200)
    assert len(grid) > 8
    futures = [service.render(RenderRequest("t", 1, 2, scale, clip, extra)) for clip in grid]
    assert _assemble([f.result(30) for f in futures], width, height) == whole.data


def test_a_page_too_large_whole_renders_as_tiles_without_a_full_pixmap(
    service: RenderService, pack: bytes
) -> None:
    def a3(doc: pymupdf.Document) -> None:
        doc.new_page(width=842, height=1191)  # A3, appended as page 6
        doc[6].insert_text((100, 200), "A3 予算書 別表", fontname="japan", fontsize=40)

    info = service.open("a3", 1, _edited(pack, a3)).result(30)
    scale = 4 * 2  # 400 % on a 2× high-DPI screen
    width, height = info.pages[6].pixel_size(scale)
    assert width * height > 4096 * 4096
    with pytest.raises(BadRenderRequest, match="tiles"):
        service.render(RenderRequest("a3", 1, 6, scale)).result(30)
    # The tiles a 1920×1200 window shows around the text, rendered one by one.
    visible = [t for t in tile_grid(width, height, 512) if t.x < 1920 + 800 and t.y < 1200 + 1600]
    tiles = [service.render(RenderRequest("a3", 1, 6, scale, t)).result(30) for t in visible]
    assert max(t.nbytes for t in tiles) == 512 * 512 * 3
    assert any(bytes(t.data).count(b"\xff") < t.nbytes for t in tiles)  # the text is in some


def test_a_rotated_page_renders_as_the_unrotated_one_turned(
    service: RenderService, pack: bytes
) -> None:
    service.open("up", 1, pack).result(30)
    service.open("turned", 1, _edited(pack, _rotate_all(90))).result(30)
    up = service.render(RenderRequest("up", 1, 2, 1.0)).result(30)  # whole pixels: no offset
    turned = service.render(RenderRequest("turned", 1, 2, 1.0)).result(30)
    assert (turned.width, turned.height) == (up.height, up.width)
    # Anti-aliasing is not exactly rotation-invariant: compare, don't demand identity.
    expected = _rotate_image_90(up.data, up.width, up.height)
    mean_difference = (
        sum(abs(a - b) for a, b in zip(turned.data, expected, strict=True)) / turned.nbytes
    )
    ink = sum(255 - v for v in expected) / turned.nbytes
    assert ink > 5 and mean_difference < ink / 50
    # The reader's own rotation gives the same picture as the page's /Rotate.
    extra = service.render(RenderRequest("up", 1, 2, 1.0, rotation=90)).result(30)
    assert extra.data == turned.data


def test_words_and_hits_are_in_page_points_whatever_the_rotation(
    service: RenderService, pack: bytes
) -> None:
    service.open("up", 1, pack).result(30)
    service.open("turned", 1, _edited(pack, _rotate_all(270))).result(30)
    for query in ("予算", "市", "補正予算"):  # one and two characters included
        hits = service.search("up", 1, 2, query).result(30)
        assert hits, query
        turned = service.search("turned", 1, 2, query).result(30)
        flat = [v for q in turned for c in q for v in c]
        assert flat == pytest.approx([v for q in hits for c in q for v in c], abs=1e-3)
    assert service.words("turned", 1, 2).result(30) == service.words("up", 1, 2).result(30)


def test_a_hit_lands_on_ink_in_the_rendered_view(service: RenderService, pack: bytes) -> None:
    info = service.open("turned", 1, _edited(pack, _rotate_all(90))).result(30)
    hit = service.search("turned", 1, 2, "補正予算").result(30)[0]
    scale = 1.5
    box = info.pages[2].transform(scale).rect_to_view(hit.rect)
    clip = PixelRect(int(box.x0), int(box.y0), int(box.width), int(box.height))
    inked = service.render(RenderRequest("turned", 1, 2, scale, clip)).result(30)
    assert bytes(inked.data).count(b"\xff\xff\xff") < inked.width * inked.height * 0.9
    blank = PixelRect(2, 2, 20, 20)  # the margin of the turned page
    empty = service.render(RenderRequest("turned", 1, 2, scale, blank)).result(30)
    assert empty.data == b"\xff" * empty.nbytes


def test_every_word_of_a_hit_is_on_the_page(service: RenderService, pack: bytes) -> None:
    info = service.open("p", 1, pack).result(30)
    page_box = Rect(0, 0, info.pages[2].width, info.pages[2].height)
    words = service.words("p", 1, 2).result(30)
    assert "予算" in "".join(w.text for w in words)  # one character per word in Japanese
    hits = service.search("p", 1, 2, "予算").result(30)
    for quad in hits:
        centre = Point((quad.ul.x + quad.lr.x) / 2, (quad.ul.y + quad.lr.y) / 2)
        assert page_box.contains(centre)
        assert any(w.rect.contains(centre, 0.5) for w in words)
    with pytest.raises(BadRenderRequest):
        service.search("p", 1, 2, "   ").result(30)


def _with_links_outline_labels(doc: pymupdf.Document) -> None:
    page = doc[1]
    page.insert_link(
        {"kind": pymupdf.LINK_GOTO, "from": pymupdf.Rect(60, 100, 200, 120), "page": 4}
    )
    page.insert_link(
        {"kind": pymupdf.LINK_URI, "from": pymupdf.Rect(60, 130, 200, 150), "uri": "https://x"}
    )
    page.insert_link(
        {"kind": pymupdf.LINK_LAUNCH, "from": pymupdf.Rect(60, 160, 200, 180), "file": "calc.exe"}
    )
    page.insert_link(
        {
            "kind": pymupdf.LINK_GOTOR,
            "from": pymupdf.Rect(60, 190, 200, 210),
            "file": "o.pdf",
            "page": 0,
        }
    )
    page.set_rotation(90)
    doc.set_toc([[1, "議事日程", 2], [2, "議案第1号", 3], [1, "外部", -1]])
    doc.set_page_labels(
        [
            {"startpage": 0, "prefix": "表", "style": ""},
            {"startpage": 1, "style": "D", "firstpagenum": 1, "prefix": "資-"},
        ]
    )


def test_only_internal_links_are_returned_in_page_points(
    service: RenderService, pack: bytes
) -> None:
    service.open("l", 1, _edited(pack, _with_links_outline_labels)).result(30)
    links = service.links("l", 1, 1).result(30)
    assert len(links) == 1
    assert links[0].target_page == 4
    assert links[0].rect == pytest.approx(Rect(60, 100, 200, 120))  # unrotated, as inserted
    assert service.links("l", 1, 0).result(30) == ()


def test_web_links_are_http_only_and_nothing_else_is_returned(
    service: RenderService, pack: bytes
) -> None:
    """The page's URI link is a web link; its Launch and other-file links are never returned
    (the app asks before opening a web link: app/external_links.py)."""
    service.open("w", 1, _edited(pack, _with_links_outline_labels)).result(30)
    (web,) = service.web_links("w", 1, 1).result(30)
    assert web.url == "https://x"
    assert web.rect == pytest.approx(Rect(60, 130, 200, 150))  # unrotated, as inserted
    assert service.web_links("w", 1, 0).result(30) == ()


def test_outline_and_page_labels(service: RenderService, pack: bytes) -> None:
    info = service.open("l", 1, _edited(pack, _with_links_outline_labels)).result(30)
    outline = service.outline("l", 1).result(30)
    assert [(e.level, e.title, e.page) for e in outline][:2] == [
        (1, "議事日程", 1),
        (2, "議案第1号", 2),
    ]
    assert [p.label for p in info.pages] == ["表", "資-1", "資-2", "資-3", "資-4", "資-5"]
    assert info.pages[1].rotation == 90 and info.pages[1].width == 595
    plain = service.open("plain", 1, pack).result(30)
    assert [p.label for p in plain.pages] == ["1", "2", "3", "4", "5", "6"]
    assert service.outline("plain", 1).result(30) == ()


def test_broken_and_locked_documents_are_typed_errors(service: RenderService) -> None:
    for junk in (b"", b"%PDF-1.7\n garbage", b"\x00" * 100):
        with pytest.raises(DocumentDamaged):
            service.open("junk", 1, junk).result(30)
    doc = pymupdf.open()
    doc.new_page()
    aes: int = pymupdf.mupdf.PDF_ENCRYPT_AES_256
    locked = doc.tobytes(encryption=aes, user_pw="秘密", owner_pw="o")
    with pytest.raises(DocumentLocked) as caught:
        service.open("locked", 1, locked).result(30)
    assert not caught.value.wrong_password
    with pytest.raises(DocumentLocked) as wrong:
        service.open("locked", 1, locked, password="x").result(30)
    assert wrong.value.wrong_password
    assert service.open("locked", 1, locked, password="秘密").result(30).page_count == 1


def test_hits_are_quads(service: RenderService, pack: bytes) -> None:
    service.open("p", 1, pack).result(30)
    hit = service.search("p", 1, 2, "予算").result(30)[0]
    assert isinstance(hit, Quad) and hit.ur.x > hit.ul.x and hit.ll.y > hit.ul.y


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("資-", "資-"),
        ("<FEFF8CC7002D>", "資-"),
        ("<E8B3872D>", "資-"),
        ("<zz>", "<zz>"),
        ("<E9>", "é"),
    ],
)
def test_label_prefixes_in_every_pdf_string_form(raw: str, text: str) -> None:
    from furano_meet.render.pages import _pdf_text

    assert _pdf_text(raw) == text


def _cycle_in_page_tree(doc: pymupdf.Document) -> None:
    """Page 2 becomes a page-tree node that contains the tree's root: MuPDF refuses to load it."""
    pages = int(doc.xref_get_key(doc.pdf_catalog(), "Pages")[1].split()[0])
    doc.update_object(
        doc.page_xref(1), f"<< /Type /Pages /Kids [{pages} 0 R] /Count 1 /Parent {pages} 0 R >>"
    )


def test_a_page_that_fails_to_load_leaves_the_others(service: RenderService, pack: bytes) -> None:
    info = service.open("cycle", 1, _edited(pack, _cycle_in_page_tree)).result(30)
    assert [p.readable for p in info.pages] == [True, False, True, True, True, True]
    assert info.pages[1].width == info.pages[0].width  # a guess, so the layout holds
    with pytest.raises(RenderFailed) as failed:
        service.render(RenderRequest("cycle", 1, 1, 0.2)).result(30)
    assert failed.value.page == 1 and failed.value.fault is Fault.THEIRS
    with pytest.raises(RenderFailed):
        service.words("cycle", 1, 1).result(30)
    assert service.render(RenderRequest("cycle", 1, 2, 0.2)).result(30).width == 119
