"""/stats as a chart image (PNG for sendPhoto), drawn with matplotlib: the applicants by verdict
and the spread of checklist readiness, in the words of the message (bot.features.stats.words).
Labels are in the user's language where a CJK font is found (Debian's fonts-noto-cjk), English
otherwise, so that no label is drawn as empty boxes.

matplotlib knows the fonts of its cache, built once; fonts installed after that are not in it.
When the cache names no CJK font, the system's font files (fontconfig's list and the usual
folders) are read once and added, so a CJK font installed later is found at the next start."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from bot.chat.texts import gettext
from bot.features.broadcast.audiences import VERDICT_NAMES
from bot.features.stats import words
from bot.store.population import READINESS_BANDS, Stats

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger("zhicheng.stats")

# Preferred first: simplified Chinese glyphs, then any other CJK family that has them.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Serif CJK JP",
    "AR PL UMing CN",
)
# Font files worth reading when the cache knows none of the above (file names, lower case).
CJK_FILE_HINTS = (
    "cjk",
    "sourcehan",
    "notosanssc",
    "notoserifsc",
    "wqy",
    "wenquanyi",
    "droidsansfallback",
    "msyh",
    "simhei",
    "simsun",
    "pingfang",
    "uming",
    "ukai",
)


def _known(font_manager: ModuleType) -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _add_font_files(font_manager: ModuleType) -> int:
    """Add the system's CJK font files that matplotlib's cache does not know; returns how many."""
    manager = font_manager.fontManager
    known = {f.fname for f in manager.ttflist}
    added = 0
    for path in font_manager.findSystemFonts():
        name = path.replace("-", "").replace("_", "").lower()
        if path in known or not any(hint in name for hint in CJK_FILE_HINTS):
            continue
        try:
            manager.addfont(path)
            added += 1
        except (OSError, RuntimeError, ValueError) as exc:  # an unreadable or unsupported file
            log.info("font %s not usable: %s", path, exc)
    return added


@cache
def cjk_font() -> str | None:
    """The CJK font family the chart uses, or None (English labels)."""
    from matplotlib import font_manager

    found = _known(font_manager)
    if found is None and _add_font_files(font_manager):
        found = _known(font_manager)
    return found


@dataclass(frozen=True)
class ChartLabels:
    title: str
    verdict_title: str
    verdicts: list[tuple[str, int]]  # (verdict as /stats names it, applicants)
    readiness_title: str


def chart_labels(s: Stats, locale: str) -> ChartLabels:
    """The chart's words: the user's language where a CJK font is found, English otherwise."""
    shown = locale if cjk_font() is not None else "en"

    def _(text: str) -> str:
        return gettext(shown, text)

    title = _("%(applicants)s: %(a)s; %(finished)s: %(f)s") % {
        "applicants": _(words.APPLICANTS),
        "a": s.applicants,
        "finished": _(words.FINISHED),
        "f": s.finished,
    }
    verdicts = [(_(name), s.by_verdict[v]) for v, name in VERDICT_NAMES.items() if s.by_verdict.get(v)]
    return ChartLabels(title, _(words.BY_VERDICT), verdicts, _(words.READINESS))


def draw(s: Stats, locale: str = "zh_Hans") -> Figure:
    """The chart as a matplotlib Figure (close it with pyplot.close when done)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    font = cjk_font()
    labels = chart_labels(s, locale)
    with plt.rc_context({"font.family": [font] if font else ["DejaVu Sans"], "axes.unicode_minus": False}):
        figure, (left, right) = plt.subplots(1, 2, figsize=(9, 4), dpi=120)
        left.bar([name for name, _ in labels.verdicts], [n for _, n in labels.verdicts], color="#1f5fa8")
        left.set_title(labels.verdict_title)
        left.tick_params(axis="x", labelrotation=20)
        right.bar(list(READINESS_BANDS), [s.readiness.get(b, 0) for b in READINESS_BANDS], color="#2e8b57")
        right.set_title(labels.readiness_title)
        for axis in (left, right):
            axis.yaxis.get_major_locator().set_params(integer=True)
        figure.suptitle(labels.title)
        figure.tight_layout()
    return figure


def stats_chart(s: Stats, locale: str = "zh_Hans") -> bytes:
    """A PNG with two bar charts: applicants by verdict, and finished applicants by readiness band."""
    from matplotlib import pyplot as plt

    figure = draw(s, locale)
    font = cjk_font()
    with plt.rc_context({"font.family": [font] if font else ["DejaVu Sans"], "axes.unicode_minus": False}):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
