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
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from conversations.i18n import format_day
from conversations.interview import interview_for
from conversations.outcome import Outcome
from conversations.unit_duties import PublicityPeriod
from knowledge.loader import squash
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
    text = _replace_once(
        text,
        "于××××年××月××日至××××年××月××日",
        f"于{format_day(fill.period.start, 'zh_Hans')}至{format_day(fill.period.end, 'zh_Hans')}",
    )
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


_CLAUSE_REF = re.compile(r"（[一二三四五六七八九十]+（[一二三四五六七八九十]+）\d*）|（附件\d）")


def form_field(text: str) -> str:
    """A value for a field of a form: the applicant's facts only, never a clause reference."""
    return _CLAUSE_REF.sub("", text).strip()


def exemption_reason(notice: Notice, outcome: Outcome) -> str | None:
    """附件3's 免考理由: the applicant's answer to the question that exempts them (六（一）), in its words,
    without a clause reference; None without an exemption."""
    if not outcome.exemptions:
        return None
    exempted = {e.id for e in outcome.exemptions}
    predicates = interview_for(notice).predicates
    asked = {
        q.id
        for item in notice.items
        if item.id in exempted and item.exempt_when is not None
        for q in notice.questions
        if q.id in predicates.questions_of(item.exempt_when)
    }
    answered = [a for a in outcome.answers if a.id in asked]
    return "；".join(form_field(a.answer) for a in answered) or None


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
    return {field: form_field(value) for field, value in values.items()}


def annex_file_name(fill: AnnexFill, extension: str) -> str:
    """The file's name: whose attachments and which, for example 张三_附件1、附件2.docx."""
    refs = "、".join(a.ref for a in fill.attachments if a.ref != ANNEX1 or fill.period is not None)
    return f"{fill.identity.name}_{refs}.{extension}"


# --- the forms as the notice prints them: lines with their place, or a table ---


@dataclass(frozen=True)
class FormLine:
    text: str
    place: str  # "text": a paragraph of text (first line indented); "right" or "left": a line set there


@dataclass(frozen=True)
class Form:
    """One attachment laid out as the notice's template: its paragraphs as lines (附件1, 附件2), or its
    table of fields with the opinion rows and the notes under it (附件3). Blanks not filled stay as the
    template has them (××× or spaces), to be drawn as lines."""

    annex: Attachment
    lines: tuple[FormLine, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    opinions: tuple[str, ...] = ()
    seal_lines: tuple[str, ...] = ()  # what each opinion cell holds: 公 章, 年 月 日
    notes: tuple[str, ...] = ()

    @property
    def is_table(self) -> bool:
        return bool(self.rows)


LONG_PARAGRAPH = 30  # characters: a paragraph of text, not a signature, seal or date line
RIGHT_INDENT = 8  # spaces before a line in the notice's text: set on the right


@cache
def _places(notice: Notice, ref: str) -> tuple[str, ...]:
    """Where each paragraph of an attachment stands, read off the notice's text: text for a paragraph,
    right for a line the notice indents far (申报人：, 单位名称（公章）, a date), left for the others."""
    annex = notice.attachment(ref)
    assert annex is not None
    lines = notice.text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith(f"{ref}：")), 0)
    places = []
    for paragraph in annex.paragraphs:
        wanted = squash(paragraph)
        if len(wanted) > LONG_PARAGRAPH:
            places.append("text")
            continue
        found = next((i for i in range(start, len(lines)) if squash(lines[i]) == wanted), None)
        if found is None:
            places.append("left")
            continue
        start = found + 1
        indent = len(lines[found]) - len(lines[found].lstrip())
        places.append("right" if indent >= RIGHT_INDENT else "left")
    return tuple(places)


def _lined(notice: Notice, annex: Attachment, paragraphs: list[str]) -> tuple[FormLine, ...]:
    return tuple(FormLine(text, place) for text, place in zip(paragraphs, _places(notice, annex.ref), strict=True))


def _table_form(annex: Attachment, values: dict[str, str]) -> Form:
    return Form(
        annex,
        rows=tuple(annex3_rows(annex)),
        values=values,
        opinions=annex.paragraphs[:2],
        notes=annex.paragraphs[2:4],
        seal_lines=annex.paragraphs[4:6],
    )


def blank_forms(notice: Notice, attachments: tuple[Attachment, ...]) -> list[Form]:
    """The attachments as the notice prints them, every blank empty: for the applicant's checklist."""
    forms = []
    for annex in attachments:
        if annex.fields:
            forms.append(_table_form(annex, {}))
        else:
            forms.append(Form(annex, lines=_lined(notice, annex, list(annex.paragraphs))))
    return forms


def filled_forms(notice: Notice, fill: AnnexFill) -> list[Form]:
    """The attachments filled for one applicant (附件1 only with a publicity period)."""
    forms = []
    if fill.has(ANNEX1) and fill.period is not None:
        annex = notice.attachment(ANNEX1)
        assert annex is not None
        forms.append(Form(annex, lines=_lined(notice, annex, annex1_paragraphs(notice, fill))))
    if fill.has(ANNEX2):
        annex = notice.attachment(ANNEX2)
        assert annex is not None
        forms.append(Form(annex, lines=_lined(notice, annex, annex2_paragraphs(notice, fill))))
    if fill.has(ANNEX3):
        annex = notice.attachment(ANNEX3)
        assert annex is not None
        forms.append(_table_form(annex, annex3_values(fill)))
    return forms


# --- .docx ---

DOCUMENT_LANGUAGE = "zh-CN"  # LibreOffice and Word pick the simplified Chinese glyphs by it
TABLE_FONT_SIZE = 10.5  # 五号, the size of Chinese forms
# 附件3's six columns (label, value, label, value, label, value) on A4 within margins of 25 mm: the
# value beside 身份证号 holds 18 characters on one line.
TABLE_COLUMNS_MM = (20, 44, 18, 28, 20, 30)


def _language(properties: Any) -> None:
    """w:lang with the East Asian language in run properties (w:rPr of a run, a style or the defaults)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    lang = properties.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        properties.append(lang)  # after the properties python-docx sets: the schema's order
    lang.set(qn("w:val"), DOCUMENT_LANGUAGE)
    lang.set(qn("w:eastAsia"), DOCUMENT_LANGUAGE)


def annexes_docx(notice: Notice, fill: AnnexFill) -> bytes:
    """The needed attachments as one Word document, each on pages of its own, A4, in Chinese (zh-CN)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = Document()
    document.core_properties.language = DOCUMENT_LANGUAGE
    document.core_properties.title = "、".join(a.ref for a in fill.attachments)
    document.core_properties.author = ""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(25)
    normal = document.styles["Normal"]
    normal.font.size = Pt(14)
    normal.font.name = "SimSun"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    defaults = document.styles.element.find(qn("w:docDefaults"))
    default_run = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None else None
    if default_run is not None:
        _language(default_run)
    for style in document.styles:
        _language(style.element.get_or_add_rPr())
    places = {"right": WD_ALIGN_PARAGRAPH.RIGHT, "left": WD_ALIGN_PARAGRAPH.LEFT}

    def run_in(paragraph: Any, text: str, *, bold: bool = False, size: float | None = None) -> None:
        run = paragraph.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        _language(run._r.get_or_add_rPr())

    def line(
        text: str, *, place: str = "left", bold: bool = False, size: float | None = None, centred: bool = False
    ) -> None:
        paragraph = document.add_paragraph()
        run_in(paragraph, text, bold=bold, size=size)
        if centred:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif place in places:
            paragraph.alignment = places[place]
        if place == "text":
            paragraph.paragraph_format.first_line_indent = Pt(28)
        paragraph.paragraph_format.line_spacing = 1.5

    def cell_text(cell: Any, text: str, *, no_wrap: bool = False) -> None:
        paragraph = cell.paragraphs[0]
        for i, part in enumerate(text.split("\n")):
            if i:
                paragraph = cell.add_paragraph()
            run_in(paragraph, part, size=TABLE_FONT_SIZE)
        if no_wrap:  # an ID number stays on one line
            properties = cell._tc.get_or_add_tcPr()
            properties.append(OxmlElement("w:noWrap"))

    for index, form in enumerate(filled_forms(notice, fill)):
        if index:
            page_break = document.add_paragraph().add_run()
            page_break.add_break(WD_BREAK.PAGE)
            _language(page_break._r.get_or_add_rPr())
        annex = form.annex
        line(f"{annex.ref}：")
        for text in annex.heading or (annex.title,):
            line(text, bold=True, size=18, centred=True)
        for form_line in form.lines:
            line(form_line.text, place=form_line.place)
        if not form.is_table:
            continue
        table = document.add_table(rows=0, cols=len(TABLE_COLUMNS_MM))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for column, width in zip(table.columns, TABLE_COLUMNS_MM, strict=True):
            column.width = Mm(width)
        for row_fields in form.rows:
            cells = table.add_row().cells
            for cell, width in zip(cells, TABLE_COLUMNS_MM, strict=True):
                cell.width = Mm(width)
            if len(row_fields) == 1:  # a field whose value spans the row
                cell_text(cells[0], row_fields[0])
                cell_text(cells[1].merge(cells[5]), form.values.get(row_fields[0], ""))
            elif len(row_fields) == 2:
                cell_text(cells[0], row_fields[0])
                cell_text(cells[1].merge(cells[2]), form.values.get(row_fields[0], ""))
                cell_text(cells[3], row_fields[1])
                cell_text(cells[4].merge(cells[5]), form.values.get(row_fields[1], ""))
            else:
                for i, name in enumerate(row_fields):
                    cell_text(cells[2 * i], name)
                    cell_text(cells[2 * i + 1], form.values.get(name, ""), no_wrap=name == ID_FIELD)
        for opinion in form.opinions:
            cells = table.add_row().cells
            cell_text(cells[0].merge(cells[1]), opinion)
            seal = cells[2].merge(cells[5])
            cell_text(seal, "\n\n" + "\n\n".join(form.seal_lines))
            for paragraph in seal.paragraphs:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for number, note in enumerate(form.notes, start=1):
            line(("注：" if number == 1 else "") + f"{number}、{note}", size=10)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


ID_FIELD = "身份证号"


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
