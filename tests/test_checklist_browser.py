"""The HTML checklist in a real headless Chromium: screenshots on a phone (390 px) and a desktop
(1280 px) show CJK text, the verdict and checklist come before the answers, dates never break,
the blanks of the attachments stay visible, and an A4 print has no attachment title alone at the
bottom of a page. Skipped, with the reason, where Chromium (or poppler's pdftotext) is missing;
.ci/run installs both with a CJK font from Debian's packages."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from conversations.casefile import validate_case
from conversations.outcome import evaluate
from conversations.render import outcome_html
from knowledge import default_notice
from tests.support.yamlfast import safe_load

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "examples" / "cases"
WITH_ANNEX3 = CASES / "fanghuiju-associate-senior.yaml"  # the 六（一） group: 附件3 applies
WITHOUT_ANNEX3 = CASES / "xinjiang-associate-senior-engineer.yaml"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium fonts-noto-cjk; .ci/run does it)"
)
PHONE, DESKTOP = 390, 1280


def page(case: Path, locale: str = "zh_Hans") -> str:
    notice = default_notice()
    answers = validate_case(safe_load(case.read_text("utf-8")), notice).answers
    return outcome_html(notice, evaluate(notice, answers), locale)


def chromium(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env=env,
        )


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of RGBA/RGB pixels of an 8-bit non-interlaced PNG (Chromium's)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    size = 4 if colour == 6 else 3
    raw, stride, rows, previous = zlib.decompress(idat), width * size, [], bytearray(width * size)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - size] if x >= size else 0
            up, corner = previous[x], previous[x - size] if x >= size else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line[i] for i in range(stride) if i % size < 3))  # RGB only
        previous = line
    return width, height, rows


# Measures in the page as laid out: where sections are, whether CJK characters are drawn as glyphs
# (compared with the "tofu" box of a character no font has), dates on one line, blanks visible.
PROBE = """
<script>
window.addEventListener("load", () => {
  const top = (sel) => { const e = document.querySelector(sel); return e ? e.getBoundingClientRect().top : null; };
  const body = getComputedStyle(document.body);
  const draw = (ch) => {
    const c = document.createElement("canvas"); c.width = 64; c.height = 64;
    const x = c.getContext("2d"); x.font = "48px " + body.fontFamily; x.fillStyle = "#000";
    x.fillText(ch, 4, 52); return Array.from(x.getImageData(0, 0, 64, 64).data);
  };
  const tofu = draw("\\u{10FFFD}");
  const glyphs = Array.from("职称申报材料清单结论依据").map((ch) => {
    const img = draw(ch);
    return {ch, ink: img.filter((v, i) => i % 4 === 3 && v > 0).length,
            tofu: img.every((v, i) => v === tofu[i])};
  });
  const dates = Array.from(document.querySelectorAll(".date, .due")).map((e) => ({
    text: e.textContent, lines: e.getClientRects().length, nowrap: getComputedStyle(e).whiteSpace === "nowrap"}));
  const fontSize = parseFloat(body.fontSize);
  const blanks = Array.from(document.querySelectorAll(".annex .blank")).map((e) => ({
    width: e.getBoundingClientRect().width / fontSize,
    line: getComputedStyle(e).borderBottomStyle + " " + getComputedStyle(e).borderBottomWidth}));
  const annexes = Array.from(document.querySelectorAll(".annex .annex-doc")).map((a) => ({
    id: a.id, text: a.innerText,
    blanks: Array.from(a.querySelectorAll(".blank")).filter((e) => getComputedStyle(e).borderBottomStyle === "solid"
      && e.getBoundingClientRect().width > fontSize * 2).length,
    boxes: Array.from(a.querySelectorAll("td.value")).filter((td) => td.innerText.trim() === ""
      && getComputedStyle(td).borderTopStyle === "solid" && td.getBoundingClientRect().height > fontSize * 1.5).length,
    placed: Array.from(a.querySelectorAll("p.right, p.left, p.text")).map((p) => ({
      place: p.className, text: p.innerText.trim(), align: getComputedStyle(p).textAlign,
      indent: parseFloat(getComputedStyle(p).textIndent) / fontSize})),
    title: (a.querySelector(".annex-title") || {}).innerText || "",
    titleAlign: a.querySelector(".annex-title") ? getComputedStyle(a.querySelector(".annex-title")).textAlign : ""}));
  const result = {width: window.innerWidth, verdict: top(".verdict"), checklist: top(".checklist"),
                  situation: top(".situation"), glyphs, dates, blanks, annexes, fontFamily: body.fontFamily,
                  overflow: document.documentElement.scrollWidth - window.innerWidth};
  const out = document.createElement("pre"); out.id = "probe"; out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>
"""


def probe(html: str, tmp_path: Path, width: int, env: dict[str, str] | None = None) -> dict[str, object]:
    file = tmp_path / f"probe-{width}.html"
    file.write_text(html.replace("</body>", PROBE + "</body>"), "utf-8")
    dom = chromium(
        f"--window-size={width},844", "--virtual-time-budget=3000", "--dump-dom", file.as_uri(), env=env
    ).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    result: dict[str, object] = json.loads(
        found.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    )
    return result


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, object]]:
    """The probe's figures for the page with all three attachments, at both widths (measured once)."""
    html = page(WITH_ANNEX3)
    return {width: probe(html, tmp_path_factory.mktemp("probe"), width) for width in (PHONE, DESKTOP)}


@needs_chromium
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_a_screenshot_shows_the_page_with_cjk_glyphs_not_boxes(
    tmp_path: Path, width: int, measured: dict[int, dict[str, object]]
) -> None:
    html = tmp_path / "checklist.html"
    html.write_text(page(WITH_ANNEX3), "utf-8")
    shot = tmp_path / f"checklist-{width}.png"
    chromium(f"--window-size={width},1400", f"--screenshot={shot}", html.as_uri())
    shot_width, height, rows = png_pixels(shot)
    assert (shot_width, height) == (width, 1400)
    dark = sum(1 for row in rows for i in range(0, len(row), 3) if sum(row[i : i + 3]) < 300)
    assert dark > shot_width * height * 0.005, "the screenshot is (nearly) blank"
    accent = sum(1 for row in rows for i in range(0, len(row), 3) if row[i] > 110 and row[i + 1] < 60)
    assert accent > 100, "the verdict and the headings' red rules are not on the first screen"
    glyphs = measured[width]["glyphs"]
    assert isinstance(glyphs, list)
    assert all(g["ink"] > 40 and not g["tofu"] for g in glyphs), glyphs
    assert "Noto Sans CJK SC" in str(measured[width]["fontFamily"])
    assert measured[width]["overflow"] == 0  # nothing wider than the screen


@needs_chromium
def test_the_glyph_check_does_see_boxes_where_no_cjk_font_is_available(tmp_path: Path) -> None:
    """The control of the test above: the same page with fontconfig limited to fonts without CJK."""
    latin = [
        d for d in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation") if Path(d).is_dir()
    ]
    if not latin:
        pytest.skip("no font without CJK (DejaVu, Liberation) to compare with")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        "<?xml version='1.0'?><!DOCTYPE fontconfig SYSTEM 'fonts.dtd'><fontconfig>"
        + "".join(f"<dir>{d}</dir>" for d in latin)
        + f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>",
        "utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    glyphs = probe(page(WITH_ANNEX3), tmp_path, PHONE, env=env)["glyphs"]
    assert isinstance(glyphs, list) and all(g["tofu"] for g in glyphs), glyphs


@needs_chromium
def test_on_a_phone_the_verdict_and_checklist_come_first_and_the_answers_after(
    measured: dict[int, dict[str, object]],
) -> None:
    verdict, checklist, situation = (float(str(measured[PHONE][k])) for k in ("verdict", "checklist", "situation"))
    assert verdict < 844 / 2  # in the first half of the first screen
    assert verdict < checklist < situation


@needs_chromium
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_dates_never_break_inside(width: int, measured: dict[int, dict[str, object]]) -> None:
    dates = measured[width]["dates"]
    assert isinstance(dates, list) and len(dates) >= 4
    assert any("2021年10月20日" in d["text"] for d in dates)
    assert all(d["nowrap"] and d["lines"] == 1 for d in dates), dates


@needs_chromium
def test_the_blanks_of_the_attachments_are_visible_lines_to_fill_in(measured: dict[int, dict[str, object]]) -> None:
    blanks = measured[PHONE]["blanks"]
    assert isinstance(blanks, list) and len(blanks) >= 5  # 附件2: two gaps in the text, three signatures
    assert all(b["width"] >= 2.5 and b["line"].startswith("solid") for b in blanks), blanks


@needs_chromium
@pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="pdftotext is not installed (apt-get install poppler-utils; .ci/run does it)",
)
@pytest.mark.parametrize("case", [WITH_ANNEX3, WITHOUT_ANNEX3])
def test_an_a4_print_keeps_each_attachment_title_with_its_text(tmp_path: Path, case: Path) -> None:
    html = tmp_path / "checklist.html"
    html.write_text(page(case), "utf-8")
    pdf = tmp_path / "checklist.pdf"
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri())
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+59[45]\.\d+ x 84[12]\.\d+ pts \(A4\)", info), info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [[line.strip() for line in p.splitlines() if line.strip()] for p in text.split("\f")]
    notice = default_notice()
    shown = 0
    for attachment in notice.attachments:
        for lines in pages:
            for i, line in enumerate(lines):
                if line == f"{attachment.ref}：":  # the form begins as in the notice: 附件1： then its title
                    shown += 1
                    assert i < len(lines) - 2, f"{attachment.ref}'s title is alone at the bottom of its page"
                    heading = re.sub(r"\s", "", attachment.heading[0])
                    assert heading in re.sub(r"\s", "", lines[i + 1]), (attachment.ref, lines[i + 1])
    assert shown == (3 if case == WITH_ANNEX3 else 2)


def test_attachments_are_shown_only_to_those_who_need_them() -> None:
    with_annex3, without = page(WITH_ANNEX3), page(WITHOUT_ANNEX3)
    assert all(
        f'id="{a}"' in with_annex3
        for a in ("annex1_publicity_result", "annex2_commitment_letter", "annex3_ce_exemption_form")
    )
    assert 'id="annex1_publicity_result"' in without and 'id="annex2_commitment_letter"' in without
    assert "annex3_ce_exemption_form" not in without and "继续教育免试审批表" not in without.split('class="annex"')[-1]
    retiree = page(CASES / "retiree.yaml")  # no checklist: no attachment
    assert 'class="annex"' not in retiree


@pytest.mark.parametrize(("locale", "label"), [("zh_Hans", "依据："), ("en", "clause ")])
def test_every_clause_reference_is_labelled(locale: str, label: str) -> None:
    refs = re.findall(r'<span class="ref">(.*?)</span>', page(WITH_ANNEX3, locale), re.S)
    assert len(refs) > 20 and all(label in ref for ref in refs)


def test_blanks_are_gaps_of_three_spaces_or_more_and_labels_ending_in_a_colon() -> None:
    from conversations.render import html_blanks

    assert str(html_blanks("单  位（盖章）：")) == '单  位（盖章）：<span class="blank fill"></span>'
    assert str(html_blanks("专业       级")) == '专业<span class="blank" style="min-width:7em"></span>级'
    assert str(html_blanks("<b>2021年××月××日</b>")) == (
        '&lt;b&gt;<span class="date">2021年<span class="blank" '
        'style="min-width:2.5em"></span>月<span class="blank" '
        'style="min-width:2.5em"></span>日</span>&lt;/b&gt;'
    )
    assert str(html_blanks("×××同志（身份证号码：××××××××）")).count('class="blank"') == 2
    assert 'style="min-width:10em"' in str(html_blanks("××××××××"))  # wide enough for 18 characters
    assert str(html_blanks("年    月    日")).startswith('<span class="blank" style="min-width:3em"></span>年')
    assert "×" not in str(html_blanks("同意推荐×××同志申报…×（高、中、初）级"))


def _template_lines(clause: str) -> list[str]:
    """The lines of an attachment's template in the notice's text, whitespace and ××× taken out."""
    lines = [re.sub(r"[\s×]", "", line) for line in clause.splitlines()]
    return [line for line in lines if line and not line.isdigit()]  # the page number of the notice (7)


@needs_chromium
def test_the_attachments_are_the_notices_templates_word_for_word_with_lines_and_boxes_to_fill(
    measured: dict[int, dict[str, object]], clause_text: dict[str, str]
) -> None:
    annexes = measured[PHONE]["annexes"]
    assert isinstance(annexes, list)
    by_ref = {a["text"].split("：", 1)[0].strip(): a for a in annexes}
    assert set(by_ref) == {"附件1", "附件2", "附件3"}
    # Blank lines the notice's ××× and gaps ask for, and 附件3's empty boxes (12 fields).
    expected_blanks = {"附件1": 12, "附件2": 11, "附件3": 6}
    for ref, annex in by_ref.items():
        shown = re.sub(r"\s", "", annex["text"])
        missing = [line for line in _template_lines(clause_text[ref]) if line not in shown]
        assert missing == [], (ref, missing)
        assert "×" not in annex["text"], ref
        assert annex["blanks"] >= expected_blanks[ref], (ref, annex["blanks"])
        assert annex["titleAlign"] == "center"
    assert by_ref["附件3"]["boxes"] == 12
    assert sum(1 for line in by_ref["附件3"]["text"].splitlines() if line.strip() == "公 章") == 2
    places = {p["text"]: p for a in annexes for p in a["placed"]}
    for right in ("单位名称（公章）", "申报人："):
        assert places[right]["align"] == "right", places[right]
    assert places["负责人（签字）："]["align"] in ("left", "start")
    body = next(p for p in by_ref["附件1"]["placed"] if p["place"] == "text")
    assert body["indent"] >= 1.9  # two characters, as the notice's paragraphs
