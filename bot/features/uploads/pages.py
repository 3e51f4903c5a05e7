"""The pages of an upload as images (Pillow, pillow-heif for HEIC, pypdfium2 for PDF), the text of
documents (python-docx, pypdfium2's text layer, plain text), and the upright .jpg to send back.
Everything stays in memory."""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

from bot.features.uploads.sniff import decode_text
from conversations.uploads import MAX_PIXELS

if TYPE_CHECKING:
    import pypdfium2 as pdfium

try:  # HEIC (iPhone photos) through pillow-heif; without it HEIC is "unsupported"
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIC = True
except ImportError:  # pragma: no cover - a dependency; kept optional for odd platforms
    HEIC = False

# A PDF page rendered at the resolution of its scanned image, within these bounds.
PDF_DEFAULT_DPI = 150
PDF_MAX_SIDE = 2400
PDF_MAX_PAGES = 10  # pages rendered (converted and checked); a longer PDF: the first ten
DOCX_MAX_XML = 50 * 2**20  # uncompressed document.xml: a .docx above this is refused, not parsed
JPEG_QUALITY = 90
_EXIF_ORIENTATION = 0x0112


class Refused(Exception):
    """The file cannot be checked; `reason` is one of UploadReport.refused's values."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass
class Pages:
    images: list[Image.Image]  # as a viewer shows them (EXIF orientation applied), RGB
    count: int  # pages in the file (a PDF may have more than were rendered)
    exif_turned: bool = False  # a photo stored turned, with the EXIF tag that turns it back
    text: str = ""  # a PDF's text layer (empty for scans)


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise Refused("too_many_pixels")


def _rgb(image: Image.Image) -> Image.Image:
    """RGB, transparency flattened on white (a PNG with alpha would turn black in a JPEG)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def open_image(content: bytes) -> Pages:
    """An image file's first frame, as shown."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            _check_pixels(*image.size)
            image.seek(0)
            image.load()
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refused("too_many_pixels") from exc
    except Exception as exc:  # Pillow raises many kinds on damaged files (OSError, SyntaxError, ValueError …)
        raise Refused("unreadable") from exc
    orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    turned = orientation not in (None, 1)
    shown = ImageOps.exif_transpose(image) if turned else image
    return Pages(images=[_rgb(shown)], count=1, exif_turned=turned)


def _render_scale(page: pdfium.PdfPage) -> float:
    """Points to pixels: the resolution of the largest image on the page (a scan), else 150 dpi."""
    width_pt, height_pt = page.get_size()
    import pypdfium2 as pdfium  # PDFium and python-docx load when a file needs them, not at the bot's start

    scale = PDF_DEFAULT_DPI / 72
    best = 0.0
    for obj in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        px_w, _px_h = obj.get_px_size()
        if right - left > 1 and (right - left) * (top - bottom) > best:
            best = (right - left) * (top - bottom)
            scale = px_w / (right - left)
    scale = min(scale, PDF_MAX_SIDE / max(width_pt, height_pt, 1))
    return max(float(scale), 1.0)


def open_pdf(content: bytes, max_pages: int = PDF_MAX_PAGES) -> Pages:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(content)
    except pdfium.PdfiumError as exc:
        raise Refused("unreadable") from exc
    try:
        count = len(pdf)
        if count == 0:
            raise Refused("unreadable")
        images: list[Image.Image] = []
        texts: list[str] = []
        for index in range(count):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                texts.append(textpage.get_text_range())
                textpage.close()
                if index < max_pages:
                    scale = _render_scale(page)
                    width, height = page.get_size()
                    _check_pixels(int(width * scale), int(height * scale))
                    images.append(_rgb(page.render(scale=scale).to_pil()))
            finally:
                page.close()
        return Pages(images=images, count=count, text="\n".join(texts))
    except pdfium.PdfiumError as exc:
        raise Refused("unreadable") from exc
    finally:
        pdf.close()


def docx_text(content: bytes) -> str:
    """The text of a .docx: paragraphs, then the cells of its tables."""
    from docx import Document

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if archive.getinfo("word/document.xml").file_size > DOCX_MAX_XML:
                raise Refused("too_large")
        document = Document(io.BytesIO(content))
    except Refused:
        raise
    except Exception as exc:  # python-docx and lxml raise many kinds on damaged files
        raise Refused("unreadable") from exc
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def plain_text(content: bytes, filename: str) -> str:
    text = decode_text(content, filename)
    if text is None:
        raise Refused("unreadable")
    return text


def turned(image: Image.Image, clockwise: int) -> Image.Image:
    """The image turned by `clockwise` degrees (0, 90, 180, 270)."""
    ops = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    return image.transpose(ops[clockwise]) if clockwise in ops else image


def to_jpeg(image: Image.Image) -> bytes:
    """A baseline JPEG without EXIF (so no viewer turns it again)."""
    out = io.BytesIO()
    _rgb(image).save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
