"""Tesseract (through tesserocr, in this process and in memory: no file is written) for the page's
orientation (osd) and its text (chi_sim). Without tesserocr or the language data, `find_engine()`
returns None and the checks say that recognition is off.

One Tesseract instance is not safe across threads: each thread gets its own (the chat runs checks
in a small pool of worker threads)."""

from __future__ import annotations

import glob
import os
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from PIL import Image

LANGUAGE = "chi_sim"
NEEDED = ("chi_sim", "osd")
# Where distributions put the language data (Debian/Ubuntu: tesseract-ocr-chi-sim, -osd).
TESSDATA_GLOBS = (
    "/usr/share/tesseract-ocr/*/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
# Tesseract reads best at text 20-40 px high: pages are brought to this many pixels on the long side.
OCR_SIDE = 1600
MIN_OCR_SIDE = 1200


class OcrTimeout(Exception):
    """Recognition did not finish within the time given."""


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float  # mean word confidence, 0-100


def _tessdata_dirs() -> list[str]:
    dirs = []
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        dirs += [prefix, os.path.join(prefix, "tessdata")]
    for pattern in TESSDATA_GLOBS:
        dirs += sorted(glob.glob(pattern), reverse=True)
    return dirs


# Tesseract's PageOrientation (where the top of the text points) -> degrees clockwise to turn upright.
_UPRIGHT_TURN = {0: 0, 1: 270, 2: 180, 3: 90}


class TesseractEngine:
    """Orientation through Tesseract's layout analysis with orientation detection (psm 1), text through
    recognition of one column (psm 4: reads certificates with borders and seals in order). Both release
    Python's GIL while they work (DetectOrientationScript does not: it would stall the chat's event loop)."""

    def __init__(self, tessdata: str) -> None:
        self.tessdata = tessdata
        self._local = threading.local()

    def _api(self) -> Any:
        api = getattr(self._local, "api", None)
        if api is None:
            from tesserocr import PSM, PyTessBaseAPI

            api = self._local.api = PyTessBaseAPI(path=self.tessdata, lang=LANGUAGE, psm=PSM.SINGLE_COLUMN)
        return api

    def orientation(self, image: Image.Image) -> int | None:
        """Degrees clockwise that turn the page upright, or None when there is too little text to tell."""
        from tesserocr import PSM

        api = self._api()
        api.SetPageSegMode(PSM.AUTO_OSD)
        try:
            api.SetImage(for_ocr(image))
            layout = api.AnalyseLayout()
            return None if layout is None else _UPRIGHT_TURN.get(int(layout.Orientation()[0]))
        finally:
            api.Clear()
            api.SetPageSegMode(PSM.SINGLE_COLUMN)

    def read(self, image: Image.Image, timeout: float) -> Reading:
        """The page's text (upright), within `timeout` seconds, else OcrTimeout."""
        if timeout <= 0:
            raise OcrTimeout()
        api = self._api()
        api.SetImage(for_ocr(image))
        try:
            if not api.Recognize(timeout=max(1, int(timeout * 1000))):
                raise OcrTimeout()
            return Reading(text=api.GetUTF8Text(), confidence=float(api.MeanTextConf()))
        finally:
            api.Clear()


def for_ocr(image: Image.Image) -> Image.Image:
    """Grey, long side brought between MIN_OCR_SIDE and OCR_SIDE pixels."""
    gray = image.convert("L")
    side = max(gray.size)
    target = OCR_SIDE if side > OCR_SIDE else MIN_OCR_SIDE if side < MIN_OCR_SIDE else side
    if target != side:
        factor = target / side
        gray = gray.resize(
            (max(1, round(gray.width * factor)), max(1, round(gray.height * factor))), Image.Resampling.LANCZOS
        )
    return gray


@cache
def find_engine() -> TesseractEngine | None:
    """Tesseract with chi_sim and osd, or None (recognition off). ZHICHENG_OCR=off turns it off."""
    if os.environ.get("ZHICHENG_OCR", "").lower() in ("off", "0", "no", "false"):
        return None
    try:
        import tesserocr
    except ImportError:
        return None
    for directory in _tessdata_dirs():
        if all(os.path.isfile(os.path.join(directory, f"{lang}.traineddata")) for lang in NEEDED):
            path = directory.rstrip("/") + "/"
            try:
                _, languages = tesserocr.get_languages(path)
            except RuntimeError:
                continue
            if all(lang in languages for lang in NEEDED):
                return TesseractEngine(path)
    return None
