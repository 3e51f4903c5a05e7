"""The worked example's review items, settled as the office would: the draft of the 2022 example
notice (examples/notices/*-notice.txt), drafted from the bundled 2021 knowledge file, with these
decisions applied, is examples/notices/2022-xinjiang-nonferrous-example.yaml. When the 2021 file
changes, run this script to draft and settle the example anew (tests/test_notice_workflow.py checks
that the file is up to date):

    .venv/bin/python examples/notices/resolve_example.py
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
NEW_TEXT_FILE = HERE / "2022-xinjiang-nonferrous-example-notice.txt"
RESOLVED = HERE / "2022-xinjiang-nonferrous-example.yaml"
NEW_ID = "2022-xinjiang-nonferrous-example"
HEADER = """# 新色集函〔2022〕87号 as structured knowledge: a FICTIONAL next-year notice, the worked example of
# examples/notices/README.md (drafted from 2021-xinjiang-nonferrous, its review items resolved by
# examples/notices/resolve_example.py). Every quote is the notice's own words and must appear verbatim
# (whitespace aside) in text_file. Ids are the same in this file, the templates, the tests and the database.
"""


def resolve(data: dict[str, Any]) -> dict[str, Any]:
    """What the office decided for each review item (and the two new sentences), as edits of the draft."""
    data = copy.deepcopy(data)

    def entry(section: str, entry_id: str) -> dict[str, Any]:
        found: dict[str, Any] = next(e for e in data[section] if e["id"] == entry_id)
        return found

    def drop(section: str, *ids: str) -> None:
        data[section] = [e for e in data[section] if e["id"] not in ids]

    def settle(section: str, entry_id: str, **fields: Any) -> None:
        target = entry(section, entry_id)
        target.pop("review", None)
        target.update(fields)

    def insert_after(section: str, after: str, new_entry: dict[str, Any]) -> None:
        index = next(i for i, e in enumerate(data[section]) if e["id"] == after)
        data[section].insert(index + 1, new_entry)

    # 六（三） is gone: so is the question on a changed post, and all that rested on it
    drop("interpretations", "transfer_higher_only")
    drop("questions", "specialty_change")
    drop("rules", "same_level_transfer")
    drop("notes", "specialty_changed")
    drop("topics", "same_level_transfer")
    del data["predicates"]["specialty_changed"], data["predicates"]["same_level_transfer"]
    data["clauses"] = [c for c in data["clauses"] if c["ref"] != "六（三）"]
    next(c for c in data["clauses"] if c["ref"] == "五（五）4")["heading"] = "社会保险缴纳证明复印件"
    # 七（五）: the defence is on site
    settle("interpretations", "defence_exemption_open",
           choice="保留答辩事项，写明“可免除现场答辩”；免除如何办理，请向联系人确认，并留意答辩通知。副高级答辩期限（另行通知）照常列出。",
           reason="六（一）只免除“现场答辩”，而七（五）规定“答辩实行一票否决制”，并“答辩采取现场答辩方式进行”；"
                  "通知未说明免除现场答辩的人员如何答辩，也未说明免除如何申请。")
    on_site = ("自治区及地州市单位专业技术人员均参加答辩。答辩实行一票否决制。"
               "答辩采取现场答辩方式进行。答辩时间、地点另行通知。")
    settle("items", "defence", detail=on_site, quote=on_site)
    defence = entry("items", "defence")
    defence["variants"][0]["detail"] = defence["variants"][0]["detail"].replace(
        "适时采取现场或视频答辩方式进行；免除如何办理、是否仍须参加视频答辩", "采取现场答辩方式进行；免除如何办理")
    defence["variants"][1]["detail"] = defence["variants"][1]["detail"].replace("现场或视频方式", "现场答辩方式")
    settle("topics", "grassroots_defence",
           answer="六（一）规定可免除现场答辩，七（五）规定答辩采取现场答辩方式进行；免除如何办理，本通知未写明，请向联系人确认，并留意答辩通知。")
    settle("topics", "defence_others")
    settle("topics", "defence_other_levels")  # 七（五）'s scope of the defence is unchanged
    # 四（三）: returned after the 2nd submission now (was the 3rd)
    recognition = entry("interpretations", "recognition_independent")
    settle("interpretations", "recognition_independent",
           question=recognition["question"].replace("第3次", "第2次"))
    # 四（二）: PDF
    settle("items", "scans_as_jpg", id="scans_as_pdf", title="附件扫描为PDF格式并正向上传",
           detail="要求上传的附件材料扫描后保存为PDF格式，再正向上传；材料虚假、不清晰或漏报、错报导致无法评审的，后果由申报人承担。",
           quote="网上要求上传的附件材料，需扫描后保存为PDF格式再正向上传。")
    # the two new sentences: a new requirement, online and on paper
    insert_after("items", "aid_approval_upload", {
        "id": "social_insurance_upload", "stage": "online", "title": "近1年在现工作单位的社会保险缴纳证明",
        "detail": "上传近1年在现工作单位缴纳社会保险的证明。", "ref": "五（一）12",
        "quote": "12.社会保险缴纳证明：上传近1年在现工作单位缴纳社会保险的证明。"})
    insert_after("items", "paper_commitment_letter", {
        "id": "paper_social_insurance", "stage": "paper", "title": "社会保险缴纳证明复印件1份",
        "detail": "纸质复印件1份，由单位人事（职改）部门在“通过形式审核”后统一报送。", "ref": "五（五）4",
        "quote": "4.社会保险缴纳证明复印件1份。", "copies": 1})
    # 四（二）: the platform takes PDF scans now
    data["uploads"]["format"] = {"formats": ["pdf"], "label": "PDF", "ref": "四（二）",
                                 "quote": "网上要求上传的附件材料，需扫描后保存为PDF格式再正向上传。"}
    data["uploads"]["upright"] = {"ref": "四（二）", "quote": "需扫描后保存为PDF格式再正向上传"}
    entry("topics", "paper_list")["points_to"].append("item:paper_social_insurance")
    data["topics"].append({"id": "social_insurance",
                           "points_to": ["item:social_insurance_upload", "item:paper_social_insurance"]})
    return data


def resolve_lexicon(lexicon: dict[str, Any], resolved: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The draft's lexicon after the decisions: the renamed item followed, what was dropped left out,
    and the words for the new requirement."""
    from knowledge.lexicon import draft_lexicon, retarget

    lexicon = retarget(lexicon, {"item:scans_as_jpg": "item:scans_as_pdf"})
    lexicon["things"].append({"id": "social_insurance", "names": ["社会保险缴纳证明", "社保证明", "社保缴费证明",
                                                                    "社保缴费记录", "社保", "社会保险"],
                              "answers": {"default": "topic:social_insurance"}})
    return draft_lexicon(lexicon, resolved)


def main() -> None:
    sys.path.insert(0, str(REPO))
    from knowledge.drafting import draft_notice
    from knowledge.loader import notice_path

    draft = draft_notice(notice_path(), NEW_TEXT_FILE.read_text(encoding="utf-8"), text_file=NEW_TEXT_FILE.name,
                         new_id=NEW_ID)
    resolved = resolve(draft.data)
    RESOLVED.write_text(HEADER + yaml.safe_dump(resolved, allow_unicode=True, sort_keys=False, width=1000),
                        encoding="utf-8")
    print(f"wrote {RESOLVED.relative_to(REPO)}")
    if draft.lexicon is not None:
        lexicon, removed = resolve_lexicon(draft.lexicon, resolved)
        path = HERE / resolved["notice"]["lexicon_file"]
        path.write_text(yaml.safe_dump(lexicon, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
        print(f"wrote {path.relative_to(REPO)}" + "".join(f"\n  left out {r}" for r in [*draft.lexicon_removed,
                                                                                     *removed]))


if __name__ == "__main__":
    main()
