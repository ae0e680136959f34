"""PDF: the first page, rendered by PDFium at the large preview's size (white behind it)."""

from __future__ import annotations

import pypdfium2 as pdfium

from faceforge_adapters.previews.limits import DecodeRefused
from faceforge_adapters.previews.picture import LARGE, Decoded, from_array


def decode_pdf(path: str) -> Decoded:
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise DecodeRefused(f"PDFium cannot open this PDF ({exc})") from None
    try:
        if len(document) == 0:
            raise DecodeRefused("the PDF has no pages")
        page = document[0]
        width, height = page.get_size()
        if width <= 0 or height <= 0:
            raise DecodeRefused("the PDF's first page has no size")
        bitmap = page.render(scale=LARGE / max(width, height), rev_byteorder=True)  # RGB, not BGR
        return Decoded(from_array(bitmap.to_numpy()), comparable=False)
    finally:
        document.close()
