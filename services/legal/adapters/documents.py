"""The signed document rendered to images on the server: what the console shows of it.

PDF pages are drawn by PDFium (``pypdfium2``: no script, no form, nothing fetched); images
are decoded and encoded again by Pillow, so that what reaches the browser is a plain PNG
without the original's metadata or whatever else its bytes held. PDFium is not thread-safe:
one worker thread renders, so that the event loop keeps serving while it does.
"""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor

import pypdfium2
from PIL import Image

from services.legal.core.documents import DocumentForm, Viewable

#: A page drawn at this scale of its size in points is about 100 pixels per inch: readable
#: on a 1280-pixel screen, small enough to send.
SCALE = 1.4
#: More pages than this are not drawn (the original can still be downloaded).
MAX_PAGES = 200
#: Pixels of an image document beyond which it is not decoded (a decompression bomb).
MAX_PIXELS = 40_000_000

_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="legal-render")


class RenderError(ValueError):
    """The document cannot be drawn (damaged, encrypted, or too large)."""


def _pages(shown: Viewable) -> int:
    if shown.form is DocumentForm.IMAGE:
        return 1
    if shown.form is not DocumentForm.PDF:
        return 0
    try:
        document = pypdfium2.PdfDocument(shown.content)
    except pypdfium2.PdfiumError as error:
        raise RenderError("the PDF cannot be opened") from error
    try:
        return min(len(document), MAX_PAGES)
    finally:
        document.close()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # Text pages compress well even at the fastest level; speed matters more here.
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _render(shown: Viewable, page: int) -> bytes:
    if not 1 <= page <= _pages(shown):
        raise RenderError("no such page")
    if shown.form is DocumentForm.IMAGE:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        try:
            with Image.open(io.BytesIO(shown.content)) as image:
                return _png(image.convert("RGB"))
        except (OSError, Image.DecompressionBombError) as error:
            raise RenderError("the image cannot be decoded") from error
    document = pypdfium2.PdfDocument(shown.content)
    try:
        bitmap = document[page - 1].render(scale=SCALE)
        return _png(bitmap.to_pil())
    finally:
        document.close()


async def page_count(shown: Viewable) -> int:
    """How many pages of the document can be shown (0: none)."""
    return await asyncio.get_running_loop().run_in_executor(_WORKER, _pages, shown)


async def render_page(shown: Viewable, page: int) -> bytes:
    """Page ``page`` (from 1) of the document as a PNG image."""
    return await asyncio.get_running_loop().run_in_executor(_WORKER, _render, shown, page)
