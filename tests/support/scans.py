"""A generated set of scans with FAKE data for the upload checks (tests and benchmarks/uploads.py).

Each document the checklist names is drawn in the CJK font (fonts-noto-cjk) as a page or card:
继续教育培训合格证书 (专业科目 and 公需科目), 专业技术人员业务考核登记表, 职称证书, 毕业证书, 学位证书,
an ID-card-like card, 委托评审函, 公示结果 (附件1), 承诺书 (附件2), 免试审批表 (附件3), and an unrelated
page. Every name, number and unit is invented. A scan is the page upright, turned by 90/180/270°,
blurred or at a low resolution, saved as PNG, JPEG or PDF, and knows what the checks should find:
its item, year, rotation and legibility.

    small_set()  a few dozen scans for the test suite (built once per session)
    full_set()   every kind × right and wrong years × every variant × every format (the benchmark)
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
SERIF = FONT_DIR / "NotoSerifCJK-Regular.ttc"
SANS = FONT_DIR / "NotoSansCJK-Regular.ttc"
SANS_BOLD = FONT_DIR / "NotoSansCJK-Bold.ttc"

# The item of the bundled notice each kind of document belongs to (None: no item).
ITEM_OF_KIND: dict[str, str | None] = {
    "ce_specialty": "ce_specialty_2021",
    "ce_public": "ce_public_2016_2020",
    "assessment": "assessment_2018_2020",
    "title": "title_certificate",
    "diploma": "education_certificates",
    "degree": "education_certificates",
    "id_card": "id_card_and_photo",
    "entrustment": "entrustment_upload",
    "publicity": "publicity_result_upload",
    "commitment": "commitment_letter_upload",
    "exemption_form": "ce_exemption_form_upload",
    "unrelated": None,
}
# Years written on each dated kind: those the notice asks for, and wrong ones.
RIGHT_YEARS = {"ce_specialty": (2021,), "ce_public": (2016, 2018, 2020), "assessment": (2018, 2019, 2020)}
WRONG_YEARS = {"ce_specialty": (2020,), "ce_public": (2015, 2021), "assessment": (2017, 2021)}
KINDS = tuple(ITEM_OF_KIND)
VARIANTS = ("upright", "rot90", "rot180", "rot270", "blurred", "lowres")
FORMATS = ("png", "jpeg", "pdf")

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ("建国", "红梅", "伟", "芳", "明", "帆", "磊", "丽娜", "志强", "秀英", "海燕", "文博", "晓东", "雪", "俊杰")
UNITS = (
    "新疆某某有色金属有限责任公司（示例）",
    "某某矿业集团有限公司（示例）",
    "某某冶炼厂（示例）",
    "某某有色地质勘查院（示例）",
)
SPECIALTIES = ("有色金属冶炼", "采矿工程", "选矿工程", "金属材料", "地质勘查")


@dataclass(frozen=True)
class Scan:
    name: str
    kind: str  # one of KINDS
    item: str | None  # the checklist item it should be recognised as
    year: int | None  # the year written on it (dated kinds)
    variant: str  # one of VARIANTS, or "exif" (upright pixels turned by an EXIF orientation tag)
    format: str  # png, jpeg or pdf
    rotation: int  # degrees clockwise that turn it upright
    legible: bool
    filename: str
    content: bytes
    id_number: str | None = None  # the fake ID number drawn on it (to prove it is never kept)


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return _font_cached(str(path), size)


@cache
def _font_cached(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _id_number(rng: random.Random) -> str:
    birth = f"{rng.randint(1965, 1995)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return f"65{rng.randint(1000, 9999)}{birth}{rng.randint(100, 999)}{rng.choice('0123456789X')}"


class _Page:
    """A page to draw on: lines of text, headings, simple tables."""

    def __init__(self, size: tuple[int, int], tone: int = 255) -> None:
        self.image = Image.new("RGB", size, (tone, tone, max(tone - 6, 0)))
        self.draw = ImageDraw.Draw(self.image)
        self.width, self.height = size

    def center(self, y: int, text: str, size: int, bold: bool = False) -> None:
        font = _font(SANS_BOLD if bold else SERIF, size)
        self.draw.text((self.width // 2, y), text, font=font, fill=(20, 20, 20), anchor="mm")

    def text(self, xy: tuple[int, int], text: str, size: int, font: Path = SERIF) -> None:
        self.draw.text(xy, text, font=_font(font, size), fill=(25, 25, 25))

    def paragraph(self, x: int, y: int, text: str, size: int, width: int, indent: bool = True) -> int:
        """Wraps `text` at `width` pixels; returns the y below it."""
        font = _font(SERIF, size)
        line = "\u3000\u3000" if indent else ""
        for char in text:
            if font.getlength(line + char) > width:
                self.draw.text((x, y), line, font=font, fill=(25, 25, 25))
                y += int(size * 1.6)
                line = ""
            line += char
        if line:
            self.draw.text((x, y), line, font=font, fill=(25, 25, 25))
            y += int(size * 1.6)
        return y

    def table(self, x: int, y: int, rows: list[list[str]], widths: list[int], row_height: int, size: int) -> int:
        for row in rows:
            cx = x
            for cell, w in zip(row, widths, strict=False):
                self.draw.rectangle((cx, y, cx + w, y + row_height), outline=(30, 30, 30), width=2)
                self.draw.text(
                    (cx + 10, y + row_height // 2), cell, font=_font(SERIF, size), fill=(25, 25, 25), anchor="lm"
                )
                cx += w
            y += row_height
        return y

    def border(self, margin: int, color: tuple[int, int, int] = (150, 40, 40)) -> None:
        self.draw.rectangle((margin, margin, self.width - margin, self.height - margin), outline=color, width=6)
        self.draw.rectangle(
            (margin + 14, margin + 14, self.width - margin - 14, self.height - margin - 14), outline=color, width=2
        )

    def seal(self, center: tuple[int, int], radius: int, text: str) -> None:
        cx, cy = center
        self.draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=(200, 40, 40), width=5)
        self.draw.text((cx, cy), "★", font=_font(SANS, radius // 2), fill=(200, 40, 40), anchor="mm")
        self.draw.text((cx, cy + radius // 2), text, font=_font(SANS, radius // 5), fill=(200, 40, 40), anchor="mm")


# --- the documents, each drawn upright and sharp ---


def _ce_certificate(rng: random.Random, year: int, subject: str) -> Image.Image:
    page = _Page((1600, 1131), tone=rng.randint(244, 255))
    page.border(40)
    page.center(190, "继续教育培训合格证书", 84, bold=True)
    name = _name(rng)
    y = page.paragraph(170, 330, f"{name}同志：", 40, 1260, indent=False)
    body = (
        f"于{year}年度参加专业技术人员{subject}继续教育培训，完成规定学时{rng.choice((30, 60, 90))}学时，"
        "经考核合格，特发此证。"
    )
    y = page.paragraph(170, y + 10, body, 40, 1260)
    page.text((170, y + 40), f"证书编号：XJJX{year}{rng.randint(100000, 999999)}", 32)
    issued = year + 1 if rng.random() < 0.3 else year  # some are issued early the next year
    page.text((960, 860), "某某专业技术人员继续教育基地（示例）", 32)
    page.text((1080, 920), f"{issued}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日", 32)
    page.seal((1180, 860), 110, "培训专用章")
    return page.image


def _assessment(rng: random.Random, year: int) -> Image.Image:
    page = _Page((1240, 1754), tone=rng.randint(244, 255))
    page.center(130, "专业技术人员业务考核登记表", 56, bold=True)
    page.center(210, f"（{year}年度）", 38)
    name = _name(rng)
    rows = [
        ["姓名", name, "性别", rng.choice("男女")],
        ["工作单位", rng.choice(UNITS), "", ""],
        ["现任专业技术职务", rng.choice(("工程师", "助理工程师", "高级工程师")), "考核年度", f"{year}年度"],
        ["从事专业", rng.choice(SPECIALTIES), "考核等次", rng.choice(("合格", "优秀"))],
    ]
    y = page.table(100, 280, rows, [260, 430, 180, 170], 90, 30)
    page.text((110, y + 30), "本人年度工作总结：", 32)
    y = page.paragraph(
        110,
        y + 90,
        "本年度认真履行岗位职责，参与生产工艺改进和技术攻关，完成单位下达的各项任务，"
        "注重业务学习，严格遵守安全生产规定，取得了较好的工作成绩。",
        30,
        1000,
    )
    page.text((110, y + 40), "单位考核意见：经考核，该同志本年度考核合格。", 32)
    page.text((700, y + 160), f"（盖章）    {year + 1}年1月{rng.randint(5, 28)}日", 30)
    page.seal((820, y + 150), 100, "人事部门")
    return page.image


def _title_certificate(rng: random.Random) -> Image.Image:
    page = _Page((1240, 1754), tone=rng.randint(244, 255))
    page.border(50, (120, 20, 20))
    heading = rng.choice(("职称证书", "专业技术职务任职资格证书"))
    page.center(260, heading, 76 if len(heading) < 6 else 60, bold=True)
    year = rng.randint(2012, 2019)
    rows = [
        ("姓名", _name(rng)),
        ("工作单位", rng.choice(UNITS)),
        ("专业", rng.choice(SPECIALTIES)),
        ("资格名称", rng.choice(("工程师", "助理工程师"))),
        ("评审机构", "某某专业职称评审委员会（示例）"),
        ("批准文号", f"新色职字〔{year}〕{rng.randint(10, 99)}号"),
        ("取得时间", f"{year}年{rng.randint(1, 12)}月"),
    ]
    y = 460
    for label, value in rows:
        page.text((180, y), f"{label}：{value}", 36)
        y += 110
    page.text((180, y + 40), f"证书编号：XS{year}{rng.randint(100000, 999999)}", 30)
    page.seal((880, y + 200), 120, "职称专用章")
    return page.image


def _diploma(rng: random.Random) -> Image.Image:
    page = _Page((1600, 1131), tone=rng.randint(244, 255))
    page.center(160, "普通高等学校", 44)
    page.center(250, "毕 业 证 书", 84, bold=True)
    start = rng.randint(2000, 2012)
    body = (
        f"学生{_name(rng)}，性别{rng.choice('男女')}，于{start}年9月至{start + 4}年7月在本校"
        f"{rng.choice(SPECIALTIES)}专业四年制本科学习，修完教学计划规定的全部课程，成绩合格，准予毕业。"
    )
    page.paragraph(180, 380, body, 40, 1240)
    page.text((180, 820), "校（院）长：某某某", 34)
    page.text((180, 890), f"证书编号：10{rng.randint(10**14, 10**15 - 1)}", 30)
    page.text((1000, 890), f"{start + 4}年7月1日", 34)
    page.seal((1150, 800), 110, "某某大学（示例）")
    return page.image


def _degree(rng: random.Random) -> Image.Image:
    page = _Page((1600, 1131), tone=rng.randint(244, 255))
    page.center(210, "学士学位证书", 80, bold=True)
    year = rng.randint(2004, 2016)
    body = (
        f"{_name(rng)}，{rng.choice('男女')}，{year - 22}年{rng.randint(1, 12)}月生。在某某大学（示例）"
        f"{rng.choice(SPECIALTIES)}专业完成了本科学习计划，业已毕业，经审核符合《中华人民共和国学位条例》的规定，"
        "授予工学学士学位。"
    )
    page.paragraph(180, 360, body, 40, 1240)
    page.text((180, 860), "学位评定委员会主席：某某某", 34)
    page.text((1000, 930), f"{year}年6月30日", 34)
    page.text((180, 930), f"证书编号：1075{rng.randint(10**11, 10**12 - 1)}", 30)
    return page.image


def _id_card(rng: random.Random, number: str) -> Image.Image:
    page = _Page((1012, 638), tone=rng.randint(232, 246))
    page.draw.rounded_rectangle((6, 6, 1006, 632), radius=36, outline=(120, 150, 170), width=4)
    page.text((60, 60), "姓名", 30, SANS)
    page.text((170, 52), _name(rng), 40, SANS_BOLD)
    page.text((60, 140), "性别", 30, SANS)
    page.text((170, 140), rng.choice("男女"), 34, SANS)
    page.text((300, 140), "民族", 30, SANS)
    page.text((410, 140), rng.choice(("汉", "维吾尔", "哈萨克", "回")), 34, SANS)
    birth = number[6:14]
    page.text((60, 220), "出生", 30, SANS)
    page.text((170, 220), f"{birth[:4]}年{int(birth[4:6])}月{int(birth[6:])}日", 34, SANS)
    page.text((60, 300), "住址", 30, SANS)
    page.paragraph(170, 300, "新疆乌鲁木齐市某某区某某路1号（示例）", 34, 520, indent=False)
    page.text((60, 520), "公民身份号码", 30, SANS)
    page.text((300, 514), number, 40, SANS_BOLD)
    page.draw.rectangle((720, 60, 960, 360), fill=(205, 212, 220))  # the photo
    page.text((770, 190), "照片", 40, SANS)
    return page.image


def _letter(rng: random.Random, heading: str, salutation: str, body: str, signer: str, year: int) -> Image.Image:
    page = _Page((1240, 1754), tone=rng.randint(244, 255))
    page.center(200, heading, 64, bold=True)
    page.text((110, 330), salutation, 36)
    y = page.paragraph(110, 410, body, 36, 1020)
    page.text((620, y + 120), signer, 34)
    page.text((700, y + 190), f"{year}年{rng.randint(6, 9)}月{rng.randint(1, 28)}日", 34)
    page.seal((800, y + 150), 110, "公章")
    return page.image


def _entrustment(rng: random.Random) -> Image.Image:
    body = (
        f"我单位{_name(rng)}同志，现任{rng.choice(('工程师', '高级工程师'))}，从事{rng.choice(SPECIALTIES)}工作。"
        "经研究，同意该同志参加2021年度自治区工程系列有色金属专业职称评审，现委托贵办组织评审，"
        "评审结果我部予以认可。特此函告。"
    )
    return _letter(
        rng, "委托评审函", "新疆维吾尔自治区专业技术人员职称办公室：", body, "某某省人力资源和社会保障厅（示例）", 2021
    )


def _publicity(rng: random.Random) -> Image.Image:
    name = _name(rng)
    body = (
        f"{name}同志（身份证号码：{_id_number(rng)}）申报材料于2021年9月{rng.randint(14, 20)}日至2021年9月"
        f"{rng.randint(23, 28)}日在本单位公示5天，公示期间未收到投诉、举报，公示无异议。该同志申报材料真实、完整、"
        f"有效，同意推荐{name}同志申报工程系列有色金属专业{rng.choice('高中初')}级专业技术任职资格。"
    )
    return _letter(rng, "公 示 结 果", "", body, "单位名称（公章）" + rng.choice(UNITS)[:6], 2021)


def _commitment(rng: random.Random) -> Image.Image:
    page = _Page((1240, 1754), tone=rng.randint(244, 255))
    page.center(170, "专业技术职务任职资格评审材料真实性", 46, bold=True)
    page.center(260, "承  诺  书", 60, bold=True)
    level = rng.choice(("中", "副高"))
    y = page.paragraph(
        110,
        380,
        f"本人申报工程系列有色金属专业{level}级专业技术职务任职资格。本人承诺："
        "所提供的个人信息、相关证书、文件、业绩成果、论文等证明材料真实有效，并已如实填报任职以来所有奖惩情况。"
        "如有任何不实或违反有关规定的，五年内不得申报相应职称评审并承担一切责任。",
        34,
        1020,
    )
    page.text((700, y + 40), f"申报人：{_name(rng)}", 34)
    page.text((700, y + 110), f"2021年9月{rng.randint(1, 28)}日", 34)
    y = page.paragraph(
        110,
        y + 260,
        f"兹证明{_name(rng)}同志确系本单位在职专业技术人员，所报材料经审核属实。如有隐瞒，愿承担相应责任。",
        34,
        1020,
    )
    page.text((700, y + 40), "负责人（签字）：某某某", 34)
    page.text((700, y + 110), "单  位（盖章）：", 34)
    return page.image


def _exemption_form(rng: random.Random) -> Image.Image:
    page = _Page((1240, 1754), tone=rng.randint(244, 255))
    page.center(120, "参加自治区“访惠聚”工作驻村等人员评审", 42, bold=True)
    page.center(190, "继续教育学习免试审批表", 50, bold=True)
    rows = [
        ["姓名", _name(rng), "性别", rng.choice("男女")],
        ["出生年月", f"{rng.randint(1970, 1992)}年{rng.randint(1, 12)}月", "学历", "大学本科"],
        ["现工作单位", rng.choice(UNITS)[:12], "", ""],
        ["现有专业技术职务", "工程师", "拟申报专业技术职务", "高级工程师"],
        ["免考理由", "2021年参加“访惠聚”驻村工作", "", ""],
    ]
    y = page.table(80, 260, rows, [280, 360, 300, 140], 100, 28)
    page.text((100, y + 40), "所在地同级“访惠聚”办公室审核意见：", 30)
    page.text((760, y + 160), "公 章    2021年9月1日", 28)
    page.text((100, y + 280), "地州市或自治区区属主管单位人事（职称）部门审核、或审批意见：", 30)
    page.text((760, y + 400), "公 章    2021年9月8日", 28)
    return page.image


def _unrelated(rng: random.Random) -> Image.Image:
    body = (
        "为做好本季度安全生产工作，定于下周三上午九时在三楼会议室召开安全生产例会，请各车间负责人准时参加，"
        "并提前准备本车间的隐患排查情况汇报材料。会议期间请将手机调至静音。"
    )
    return _letter(rng, "关于召开安全生产例会的通知", "各车间、各部门：", body, "综合办公室", 2021)


def render_document(kind: str, year: int | None, rng: random.Random) -> tuple[Image.Image, str | None]:
    """The document upright and sharp, and the fake ID number drawn on it (ID cards)."""
    makers: dict[str, Callable[[], Image.Image]] = {
        "ce_specialty": lambda: _ce_certificate(rng, year or 2021, "专业科目"),
        "ce_public": lambda: _ce_certificate(rng, year or 2020, "公需科目"),
        "assessment": lambda: _assessment(rng, year or 2020),
        "title": lambda: _title_certificate(rng),
        "diploma": lambda: _diploma(rng),
        "degree": lambda: _degree(rng),
        "entrustment": lambda: _entrustment(rng),
        "publicity": lambda: _publicity(rng),
        "commitment": lambda: _commitment(rng),
        "exemption_form": lambda: _exemption_form(rng),
        "unrelated": lambda: _unrelated(rng),
    }
    if kind == "id_card":
        number = _id_number(rng)
        return _id_card(rng, number), number
    return makers[kind](), None


# --- the variants ---


def _as_photo(image: Image.Image, rng: random.Random) -> Image.Image:
    """A little of what scanning does: a slight skew on a paper-coloured margin."""
    angle = rng.uniform(-1.2, 1.2)
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(236, 236, 230))


def variant_facts(variant: str) -> tuple[int, bool]:
    """The clockwise degrees that turn a scan of `variant` upright, and whether it is legible."""
    if variant.startswith("rot"):
        return int(variant[3:]), True
    return 0, variant not in ("blurred", "lowres")


def apply_variant(image: Image.Image, variant: str, rng: random.Random) -> tuple[Image.Image, int, bool]:
    """The image as the variant makes it, the clockwise degrees that turn it upright, and whether it is
    legible."""
    image = _as_photo(image, rng)
    rotation, legible = variant_facts(variant)
    if rotation:
        # Image.rotate turns counter-clockwise: the same number of degrees clockwise turns it back.
        return image.rotate(rotation, expand=True), rotation, legible
    if variant == "blurred":
        radius = max(image.size) * rng.uniform(0.0028, 0.004)  # 4.5-6.4 px on a 1600 px page
        return image.filter(ImageFilter.GaussianBlur(radius)), rotation, legible
    if variant == "lowres":
        factor = rng.uniform(0.18, 0.25)
        small = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
        return image.resize(small, Image.Resampling.LANCZOS), rotation, legible
    return image, rotation, legible


def encode(image: Image.Image, fmt: str, exif_orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    if fmt == "png":
        image.save(out, "PNG", compress_level=1)  # the same pixels, written faster
    elif fmt == "jpeg":
        exif = Image.Exif()
        if exif_orientation:
            exif[0x0112] = exif_orientation
        image.save(out, "JPEG", quality=88, exif=exif.tobytes())
    elif fmt == "pdf":
        image.save(out, "PDF", resolution=150.0)
    else:
        raise ValueError(fmt)
    return out.getvalue()


EXTENSIONS = {"png": "png", "jpeg": "jpg", "pdf": "pdf"}


def scan_name(kind: str, year: int | None, variant: str, fmt: str, seed: int) -> str:
    return f"{kind}-{year or 'x'}-{variant}-{fmt}-{seed}"


def make_scan(kind: str, year: int | None, variant: str, fmt: str, seed: int) -> Scan:
    rng = random.Random(f"{kind}/{year}/{variant}/{fmt}/{seed}")
    image, number = render_document(kind, year, rng)
    if variant == "exif":
        # Upright content stored turned (as a phone does), with the EXIF tag that turns it back for viewers
        # that honour it: orientation 6 = the stored pixels are to be turned 90° clockwise.
        stored = image.rotate(90, expand=True)
        content = encode(stored, "jpeg", exif_orientation=6)
        rotation, legible, fmt = 0, True, "jpeg"
    else:
        shown, rotation, legible = apply_variant(image, variant, rng)
        content = encode(shown, fmt)
    name = scan_name(kind, year, variant, fmt, seed)
    return Scan(
        name=name,
        kind=kind,
        item=ITEM_OF_KIND[kind],
        year=year,
        variant=variant,
        format=fmt,
        rotation=rotation,
        legible=legible,
        filename=f"{name}.{EXTENSIONS[fmt]}",
        content=content,
        id_number=number,
    )


def _years(kind: str) -> tuple[int | None, ...]:
    return RIGHT_YEARS.get(kind, (None,)) + WRONG_YEARS.get(kind, ())


def full_set(seeds: int = 1) -> Iterator[Scan]:
    """Every kind with each right and wrong year, in every variant and format (generated lazily)."""
    for seed in range(seeds):
        for kind in KINDS:
            for year in _years(kind):
                for variant in VARIANTS:
                    for fmt in FORMATS:
                        yield make_scan(kind, year, variant, fmt, seed)
            yield make_scan(kind, _years(kind)[0], "exif", "jpeg", seed)


@dataclass(frozen=True)
class ScanSpec:
    """What a scan of the small set is, known without drawing it (for test ids at collection)."""

    kind: str
    year: int | None
    variant: str
    format: str
    seed: int = 0

    @property
    def name(self) -> str:
        return scan_name(self.kind, self.year, self.variant, self.format, self.seed)

    @property
    def rotation(self) -> int:
        return 0 if self.variant == "exif" else variant_facts(self.variant)[0]

    @property
    def legible(self) -> bool:
        return self.variant == "exif" or variant_facts(self.variant)[1]

    def make(self) -> Scan:
        return make_scan(self.kind, self.year, self.variant, self.format, self.seed)


def small_set_specs() -> tuple[ScanSpec, ...]:
    """A few dozen scans for the test suite: each kind upright; each rotation; blurred and low
    resolution; each format; right and wrong years; an EXIF-turned photo."""
    specs = [ScanSpec(kind, _years(kind)[0], "upright", "png") for kind in KINDS]
    specs += [
        ScanSpec("ce_specialty", 2020, "upright", "jpeg"),  # a wrong year: 五（一）8 asks for 2021
        ScanSpec("ce_public", 2015, "upright", "png"),  # outside 2016-2020
        ScanSpec("ce_public", 2020, "upright", "jpeg"),
        ScanSpec("assessment", 2017, "upright", "jpeg"),  # outside 2018-2020
        ScanSpec("assessment", 2019, "upright", "pdf"),
        ScanSpec("ce_specialty", 2021, "rot90", "png"),
        ScanSpec("assessment", 2018, "rot180", "jpeg"),
        ScanSpec("title", None, "rot270", "png"),
        ScanSpec("ce_public", 2016, "rot90", "pdf"),
        ScanSpec("ce_specialty", 2021, "blurred", "jpeg"),
        ScanSpec("assessment", 2020, "blurred", "png"),
        ScanSpec("id_card", None, "blurred", "jpeg"),
        ScanSpec("ce_specialty", 2021, "lowres", "png"),
        ScanSpec("commitment", None, "lowres", "jpeg"),
        ScanSpec("ce_specialty", 2021, "upright", "jpeg"),  # accepted as it is
        ScanSpec("id_card", None, "upright", "jpeg"),
        ScanSpec("ce_specialty", 2021, "exif", "jpeg"),
    ]
    return tuple(specs)


@cache
def small_set() -> tuple[Scan, ...]:
    """The small set drawn (a few seconds: use small_set_specs where the specs are enough)."""
    return tuple(spec.make() for spec in small_set_specs())
