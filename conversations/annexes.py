"""The notice's attachments filled in for one applicant, ready to print: 《公示结果》（附件1）,
the commitment letter (附件2) and, for those who need it, the exemption form (附件3), as a .docx
(python-docx) and as an HTML page, laid out as the notice's templates.

The applicant's name and ID number are typed by the unit's HR for one reply: they are arguments
here and go into the returned bytes only; nothing of them is kept. The rest comes from the
knowledge file (the templates' words, the level's word, the readings chosen where a template is
unclear) and from the applicant's outcome (level, which attachments are needed).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from conversations.i18n import format_day
from conversations.outcome import Outcome
from conversations.unit_duties import PublicityPeriod
from knowledge.model import Attachment, Notice

ANNEX1, ANNEX2, ANNEX3 = "附件1", "附件2", "附件3"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID = re.compile(r"^[0-9]{17}[0-9X]$")
_NAME = re.compile(r"^[\u3400-\u9fffA-Za-z·•．.]{2,30}$")
_DATE = re.compile(r"^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?$")
_SEPARATORS = re.compile(r"[\s,，、;；:：]+")
_BLANK_RUN = re.compile(r"[ \u3000]{3,}")


class AnnexInputError(ValueError):
    """What HR typed cannot fill the attachments. `problem`: name, id_number, id_checksum, date,
    too_many."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


@dataclass(frozen=True)
class Identity:
    """The applicant as HR typed them, for one reply only."""

    name: str
    id_number: str

    @property
    def birth(self) -> dt.date | None:
        try:
            return dt.date(int(self.id_number[6:10]), int(self.id_number[10:12]), int(self.id_number[12:14]))
        except ValueError:
            return None

    @property
    def sex(self) -> str:
        """男 or 女, from the 17th digit (GB 11643)."""
        return "男" if int(self.id_number[16]) % 2 else "女"


def id_number_valid(number: str) -> bool:
    """An 18-character resident ID number with a correct check character (GB 11643)."""
    if not _ID.fullmatch(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17]


def _date(token: str, year: int) -> dt.date | None:
    match = _DATE.fullmatch(token)
    if not match:
        return None
    try:
        return dt.date(int(match.group(1) or year), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse_annex_input(text: str, year: int) -> tuple[Identity, dt.date | None, dt.date | None]:
    """Name, ID number and optionally the first (and last) day of the publicity, in one message:
    `张三 650102199001011234 2021年10月11日`. Dates without a year take `year`."""
    tokens = [t for t in _SEPARATORS.split(text.strip().upper().replace("Ｘ", "X")) if t]
    name = next((t for t in tokens if _NAME.fullmatch(t) and not any(c.isdigit() for c in t)), None)
    number = next((t for t in tokens if t.isdigit() or (t[:-1].isdigit() and t.endswith("X"))), None)
    dates = [t for t in tokens if t not in (name, number)]
    if name is None:
        raise AnnexInputError("name")
    if number is None or not _ID.fullmatch(number):
        raise AnnexInputError("id_number")
    if not id_number_valid(number):
        raise AnnexInputError("id_checksum")
    if len(dates) > 2:
        raise AnnexInputError("too_many")
    days = [_date(t, year) for t in dates]
    if any(d is None for d in days):
        raise AnnexInputError("date")
    start = days[0] if days else None
    end = days[1] if len(days) > 1 else None
    return Identity(name.replace("•", "·").replace("．", "·"), number), start, end


def needed_attachments(notice: Notice, outcome: Outcome) -> tuple[Attachment, ...]:
    """The attachments the applicant's checklist asks for (附件3 only for the 六（一） group), as the
    checklist page decides it."""
    needed = []
    for attachment in notice.attachments:
        if any(attachment.ref in f"{it.title} {it.detail} {it.ref}" for it in outcome.checklist):
            needed.append(attachment)
    return tuple(needed)


@dataclass(frozen=True)
class AnnexFill:
    identity: Identity
    level_id: str
    level_name: str
    unit_name: str | None
    period: PublicityPeriod | None  # 附件1 is filled only with a period
    attachments: tuple[Attachment, ...]
    exemption_reason: str | None = None  # 附件3 免考理由

    def has(self, ref: str) -> bool:
        return any(a.ref == ref for a in self.attachments)


class TemplateMismatch(RuntimeError):
    """The knowledge file's template no longer has the blank this code fills."""


def _replace_once(text: str, old: str, new: str) -> str:
    if old not in text:
        raise TemplateMismatch(f"the template has no '{old}'")
    return text.replace(old, new, 1)


def level_word(attachment: Attachment, level_id: str) -> str:
    word = attachment.level_words.get(level_id)
    if word is None:
        raise TemplateMismatch(f"{attachment.ref} has no word for the level '{level_id}'")
    return word


def annex1_paragraphs(notice: Notice, fill: AnnexFill) -> list[str]:
    """附件1's paragraphs with the blanks filled: the text, the unit's seal line, the date line."""
    annex = notice.attachment(ANNEX1)
    if annex is None or fill.period is None:
        raise TemplateMismatch("附件1 is not in the knowledge file or there is no publicity period")
    name, number = fill.identity.name, fill.identity.id_number
    text = annex.paragraphs[0]
    text = _replace_once(text, "×××同志（身份证号码：××××××××）", f"{name}同志（身份证号码：{number}）")
    text = _replace_once(text, "于××××年××月××日至××××年××月××日",
                         f"于{format_day(fill.period.start, 'zh_Hans')}至{format_day(fill.period.end, 'zh_Hans')}")
    text = _replace_once(text, "公示××天", f"公示{fill.period.working_days}天")
    text = _replace_once(text, "同意推荐×××同志", f"同意推荐{name}同志")
    text = _replace_once(text, "×（高、中、初）级", f"{level_word(annex, fill.level_id)}级")
    seal = annex.paragraphs[1]
    if fill.unit_name:
        seal = _replace_once(seal, "单位名称", fill.unit_name)
    date_line = annex.paragraphs[2].replace("××", "    ")
    return [text, seal, date_line]


def annex2_paragraphs(notice: Notice, fill: AnnexFill) -> list[str]:
    """附件2's paragraphs: the level and the name filled; signatures, seal and dates left to write."""
    annex = notice.attachment(ANNEX2)
    if annex is None:
        raise TemplateMismatch("附件2 is not in the knowledge file")
    short = fill.level_name.removesuffix("级")
    result = []
    for paragraph in annex.paragraphs:
        if "级专业技术职务任职资格" in paragraph:
            paragraph = _BLANK_RUN.sub(f" {short} ", paragraph, count=1)
        elif paragraph.startswith("兹证明"):
            paragraph = _BLANK_RUN.sub(f" {fill.identity.name} ", paragraph, count=1)
        result.append(paragraph)
    return result


def annex3_values(fill: AnnexFill) -> dict[str, str]:
    """附件3's fields that follow from what HR typed and the applicant's answers; the others stay blank."""
    birth = fill.identity.birth
    values = {
        "姓名": fill.identity.name,
        "性别": fill.identity.sex,
        "出生年月": f"{birth.year}年{birth.month}月" if birth else "",
        "身份证号": fill.identity.id_number,
        "现工作单位": fill.unit_name or "",
        "拟申报专业技术职务": f"工程系列有色金属专业{fill.level_name}",
        "免考理由": fill.exemption_reason or "",
    }
    return values


# --- .docx ---


def annexes_docx(notice: Notice, fill: AnnexFill) -> bytes:
    """The needed attachments as one Word document, each on pages of its own, A4."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    normal = document.styles["Normal"]
    normal.font.size = Pt(14)
    normal.font.name = "SimSun"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")

    def line(text: str, *, align: WD_ALIGN_PARAGRAPH | None = None, bold: bool = False, size: int | None = None,
             indent: bool = False) -> None:
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if align is not None:
            paragraph.alignment = align
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(28)
        paragraph.paragraph_format.line_spacing = 1.5

    def heading(annex: Attachment) -> None:
        line(f"{annex.ref}：")
        for text in annex.heading or (annex.title,):
            line(text, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=18)

    first = True

    def new_page() -> None:
        nonlocal first
        if not first:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        first = False

    if fill.has(ANNEX1) and fill.period is not None:
        new_page()
        annex = notice.attachment(ANNEX1)
        assert annex is not None
        text, seal, date_line = annex1_paragraphs(notice, fill)
        heading(annex)
        line(text, indent=True)
        line("")
        line(seal, align=WD_ALIGN_PARAGRAPH.RIGHT)
        line(date_line, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if fill.has(ANNEX2):
        new_page()
        annex = notice.attachment(ANNEX2)
        assert annex is not None
        heading(annex)
        body, applicant, certificate, leader, seal = annex2_paragraphs(notice, fill)
        line(body, indent=True)
        line(applicant, align=WD_ALIGN_PARAGRAPH.RIGHT)
        line("年    月    日", align=WD_ALIGN_PARAGRAPH.RIGHT)
        line("")
        line(certificate, indent=True)
        line(leader)
        line(seal)
        line("年    月    日", align=WD_ALIGN_PARAGRAPH.RIGHT)
    if fill.has(ANNEX3):
        new_page()
        annex = notice.attachment(ANNEX3)
        assert annex is not None
        heading(annex)
        values = annex3_values(fill)
        table = document.add_table(rows=0, cols=6)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for row_fields in annex3_rows(annex):
            cells = table.add_row().cells
            if len(row_fields) == 1:  # a field whose value spans the row
                cells[0].text = row_fields[0]
                merged = cells[1].merge(cells[5])
                merged.text = values.get(row_fields[0], "")
            elif len(row_fields) == 2:
                cells[0].text = row_fields[0]
                cells[1].merge(cells[2]).text = values.get(row_fields[0], "")
                cells[3].text = row_fields[1]
                cells[4].merge(cells[5]).text = values.get(row_fields[1], "")
            else:
                for i, field in enumerate(row_fields):
                    cells[2 * i].text = field
                    cells[2 * i + 1].text = values.get(field, "")
        for opinion in annex.paragraphs[:2]:
            cells = table.add_row().cells
            cells[0].merge(cells[1]).text = opinion
            cells[2].merge(cells[5]).text = "\n\n公 章\n\n年    月    日"
        line("注：1、" + annex.paragraphs[2], size=10)
        line("2、" + annex.paragraphs[3], size=10)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def annex3_rows(annex: Attachment) -> list[tuple[str, ...]]:
    """附件3's fields in the rows of the notice's form: three pairs, two pairs, or one wide field."""
    fields = list(annex.fields)
    layout = (3, 3, 1, 2, 2, 1)
    rows: list[tuple[str, ...]] = []
    for size in layout:
        if not fields:
            break
        rows.append(tuple(fields[:size]))
        fields = fields[size:]
    rows.extend((f,) for f in fields)
    return rows


# --- the HTML page for printing ---


def annexes_html(notice: Notice, fill: AnnexFill, locale: str) -> str:
    """The same attachments as a page to open on a phone or print on A4."""
    from conversations.render import render

    annex1 = notice.attachment(ANNEX1) if fill.has(ANNEX1) and fill.period is not None else None
    annex2 = notice.attachment(ANNEX2) if fill.has(ANNEX2) else None
    annex3 = notice.attachment(ANNEX3) if fill.has(ANNEX3) else None
    text, seal, date_line = annex1_paragraphs(notice, fill) if annex1 is not None else ("", "", "")
    return render(
        "annexes.html", locale, notice=notice,
        annex1=annex1, annex1_text=text, annex1_seal=seal, annex1_date=date_line,
        annex2=annex2, annex2_text=annex2_paragraphs(notice, fill) if annex2 is not None else [],
        annex3=annex3, annex3_rows=annex3_rows(annex3) if annex3 is not None else [],
        annex3_values=annex3_values(fill),
    )
