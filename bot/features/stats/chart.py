"""/stats as a chart image (PNG for sendPhoto), drawn with matplotlib: the applicants by verdict
and the spread of checklist readiness. Labels are Chinese where a CJK font is installed (Debian's
fonts-noto-cjk), English otherwise, so that no label is drawn as empty boxes."""

from __future__ import annotations

import io
from functools import cache

from bot.store.population import READINESS_BANDS, Stats

VERDICT_LABELS = {
    "eligible": ("可以申报", "eligible"),
    "conditional": ("满足条件后可申报", "conditional"),
    "other_route": ("其他途径", "other route"),
    "ineligible": ("不能申报", "ineligible"),
    "not_covered": ("通知未涵盖", "not covered"),
}
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "SimHei")


@cache
def cjk_font() -> str | None:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def stats_chart(s: Stats) -> bytes:
    """A PNG with two bar charts: applicants by verdict, and finished applicants by readiness band."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    font = cjk_font()
    chinese = font is not None
    verdicts = [v for v in VERDICT_LABELS if s.by_verdict.get(v)]
    with plt.rc_context({"font.family": [font] if font else ["DejaVu Sans"], "axes.unicode_minus": False}):
        figure, (left, right) = plt.subplots(1, 2, figsize=(9, 4), dpi=120)
        left.bar([VERDICT_LABELS[v][0 if chinese else 1] for v in verdicts],
                 [s.by_verdict[v] for v in verdicts], color="#1f5fa8")
        left.set_title("结论分布" if chinese else "Verdicts")
        left.tick_params(axis="x", labelrotation=20)
        right.bar(list(READINESS_BANDS), [s.readiness.get(b, 0) for b in READINESS_BANDS], color="#2e8b57")
        right.set_title("材料准备进度（已完成访谈）" if chinese else "Checklist readiness (finished)")
        for axis in (left, right):
            axis.yaxis.get_major_locator().set_params(integer=True)
        figure.suptitle(f"申报人 {s.applicants}，已完成 {s.finished}" if chinese
                        else f"{s.applicants} applicants, {s.finished} finished")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        plt.close(figure)
    return buffer.getvalue()
