"""What a file is, from its first bytes (its name only breaks ties for plain text)."""

from __future__ import annotations

import io
import zipfile

# ISO base media brands of HEIF images (iPhone photos: heic; others: mif1 …).
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
_TEXT_ENCODINGS = ("utf-8-sig", "gb18030")  # Chinese Windows saves .txt as GBK (a subset of GB18030)


def detect_format(filename: str, content: bytes) -> str:
    """jpeg, png, gif, bmp, tiff, webp, heic, pdf, docx, txt, doc (old Word) or unknown."""
    head = content[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heic"
    if b"%PDF-" in content[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if _is_docx(content) else "unknown"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    if decode_text(content, filename) is not None:
        return "txt"
    return "unknown"


def _is_docx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def decode_text(content: bytes, filename: str = "") -> str | None:
    """Plain text, if the file is: UTF-8 (with or without BOM), UTF-16 with a BOM, or, for a file named
    .txt, GB18030. None for anything with control characters other than line breaks and tabs."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)
    elif filename.lower().endswith(".txt"):
        candidates = _TEXT_ENCODINGS
    else:
        candidates = ("utf-8-sig",)
    for encoding in candidates:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text and not any(ord(c) < 32 and c not in "\r\n\t\f" for c in text):
            return text
    return None
