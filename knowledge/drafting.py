"""A draft knowledge file for next year's notice, built on the old one (`zhicheng-bot knowledge draft`).

Every entry of the old file is looked up in the new text by its quotes:
- a quote found verbatim: the entry is carried over as it is;
- found with only numbers and dates different (dates in any of their forms, Arabic or Chinese
  numerals): the quote is cut from the new text and the entry's data follow it (deadlines, copy
  counts, certificate years, working days, years in ids and texts, clause numbers). Each change
  is reported with the new sentence it comes from;
- not found, or changed beyond numbers: the entry keeps the old data and is marked
  `review: <reason>`; the report shows the closest new sentence.
Texts without quotes (questions, interpretations, answers to typed questions) follow the changes
the quotes establish for the whole notice: the year of the evaluation, the deadlines (and dates
worked out from them, such as the day before a deadline), counts of the clauses they cite.
What cannot be carried safely is marked for review rather than guessed. New sentences that no
entry quotes are listed with their clause.

Nothing here knows this notice: it compares two texts and walks the file's structure.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.draft_changes import Substitution, Votes, clause_heading, depth, map_clauses
from knowledge.draft_entries import (
    NUMBER_FIELDS,
    Entry,
    FieldPath,
    cited_refs,
    entries,
    field_name,
    get_at,
    quote_fields,
    set_at,
    text_fields,
)
from knowledge.draft_report import DraftReport, NewSentence, ReviewItem, Update, report_text
from knowledge.lexicon import draft_lexicon, read_lexicon_data, retarget
from knowledge.loader import REVIEW_KEY, load_notice, read_data, squash
from knowledge.numerals import Token, render_like, tokens
from knowledge.textmatch import Found, NoticeText, fold, mask
from knowledge.yaml_edit import YamlEditError, YamlEditor, load_strings

__all__ = ["Draft", "DraftError", "DraftReport", "NewSentence", "ReviewItem", "Update", "draft_notice", "report_text"]

HEADER_FIELDS = ("number", "title", "issuer", "conditions_document", "platform")
MIN_FOUND = 0.25  # below this share of the old quotes found, the new text is not the same kind of notice
_SPLIT_NAMES = re.compile(r"[\s、，,；;/]+")


class DraftError(Exception):
    """The draft cannot be made (the old notice does not load, no id for the new one …)."""


@dataclass
class Draft:
    data: dict[str, Any]  # the draft's data, review marks included
    yaml_text: str
    report: DraftReport
    lexicon: dict[str, Any] | None = None  # the old notice's lexicon for the new one (notice.lexicon_file)
    lexicon_removed: tuple[str, ...] = ()  # what of it pointed at what the new notice no longer has

    def write(self, path: Path) -> list[Path]:
        """The draft at `path`, and its lexicon beside it under the name notice.lexicon_file gives."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.yaml_text, encoding="utf-8")
        written = [path]
        if self.lexicon is not None:
            lexicon = path.parent / self.data["notice"]["lexicon_file"]
            lexicon.write_text(
                LEXICON_HEADER + yaml.safe_dump(self.lexicon, allow_unicode=True, sort_keys=False, width=120),
                encoding="utf-8",
            )
            written.append(lexicon)
        return written


LEXICON_HEADER = (
    "# The words people type about this notice, carried over from the old notice's lexicon by\n"
    "# `zhicheng-bot knowledge draft`; adapt it to the new notice\n"
    "# (README: Questions in plain Chinese).\n"
)


# --- the drafter ---


@dataclass
class _QuoteResult:
    path: FieldPath
    old: str
    status: str  # exact, numbers, missing, ambiguous
    new: str | None = None
    found: Found | None = None
    start: int = -1  # folded span in the new text
    end: int = -1
    sentence: str = ""
    clause: str = ""
    reason: str = ""
    closest: str = ""
    closest_clause: str = ""


class _Drafter:
    def __init__(self, data: dict[str, Any], old_text: str, new_text: str, new_id: str | None, text_file: str) -> None:
        self.old_data = data
        self.data = copy.deepcopy(data)
        self.old = NoticeText(old_text)
        self.new = NoticeText(new_text)
        self.new_squashed = squash(new_text)
        self.old_squashed = squash(old_text)
        self.requested_id = new_id
        self.text_file = text_file
        self.votes = Votes()
        self.updates: list[Update] = []
        self.reviews: list[ReviewItem] = []
        self.review_marks: dict[FieldPath, list[str]] = defaultdict(list)
        self.covered: list[tuple[int, int]] = []
        self.names: dict[str, str] = {}
        self.header_years: dict[int, int] = {}  # the years of the notice's number and title
        self.clause_map, self.gone_clauses, self.added_clauses = map_clauses(self.old, self.new)
        self.dates: dict[dt.date, tuple[dt.date, str]] = {}
        self.ambiguous_dates: set[dt.date] = set()
        self.years: dict[int, tuple[int, str]] = {}
        self.ambiguous_years: set[int] = set()
        refs = [c["ref"] for c in data["clauses"]]
        self._ref_pattern = re.compile(
            "|".join(
                re.escape(r) + r"(?!\d)"
                for r in sorted(refs, key=len, reverse=True)
                if depth(r) in ("paragraph", "point", "annex")
            )
        )

    # --- quotes ---

    def match_quote(self, path: FieldPath, quote: str, expected_clause: str) -> _QuoteResult:
        result = _QuoteResult(path, quote, "missing")
        if squash(quote) in self.new_squashed:
            hits = self.new.exact(quote)
            if hits:
                result.status, result.new = "exact", quote
                result.start, result.end = hits[0], hits[0] + len(fold(quote))
                for t in tokens(fold(quote)):
                    self.votes.add(t, t, self.new.clause_at(result.start, result.end), "", fold(quote))
                return result
        found = self.new.with_numbers(quote)
        hits = self.new.exact(quote)
        if hits and not found:  # the same words, but punctuation or width written differently
            found = [Found(hits[0], hits[0] + len(fold(quote)), ())]
        choices = {self.new.words(f.start, f.end): f for f in found}
        if len(choices) > 1:
            here = {w: f for w, f in choices.items() if self.new.clause_at(f.start, f.end) == expected_clause}
            choices = here if len(here) == 1 else choices
        if len(choices) > 1:
            result.status = "ambiguous"
            result.reason = (
                f"the sentence stands {len(choices)} times in the new notice with different numbers; "
                "choose the right one"
            )
            result.closest = " | ".join(list(choices)[:3])
            return result
        if not choices:
            score, sentence, difference = self.new.closest(quote)
            result.closest = sentence.text if sentence else ""
            result.closest_clause = sentence.clause if sentence else ""
            if score >= 0.5:
                result.reason = f"changed beyond numbers ({difference})" if difference else "changed beyond numbers"
            else:
                result.reason = f"not found in the new notice: gone? (closest sentence {score:.0%} alike)"
            return result
        ((words, f),) = choices.items()
        result.status, result.found, result.new = "numbers", f, words
        result.start, result.end = f.start, f.end
        sentences = self.new.sentences_over(f.start, f.end)
        result.sentence = " ".join(s.text for s in sentences)
        result.clause = self.new.clause_at(f.start, f.end)
        for old_t, new_t in f.pairs:
            self.votes.add(old_t, new_t, result.clause, result.sentence, fold(quote))
        return result

    def expected_clause(self, quote: str) -> str:
        hits = self.old.exact(quote)
        if not hits:
            return ""
        old_clause = self.old.clause_at(hits[0], hits[0] + len(fold(quote)))
        return self.clause_map.get(old_clause, "")

    def _sentence_votes(self) -> None:
        """Every sentence of the old notice found again, verbatim or with other numbers, says what its
        numbers became, even where no entry quotes it (连续三年 -> 连续四年 in a clause cited in words)."""
        self.numbers_only_sentences: set[tuple[int, int]] = set()
        for sentence in self.old.sentences:
            words = sentence.text
            if squash(words) in self.new_squashed:
                hits = self.new.exact(words)
                if hits:
                    clause = self.new.clause_at(hits[0], hits[0] + len(fold(words)))
                    for t in tokens(fold(words)):
                        self.votes.add(t, t, clause, "", fold(words))
                continue
            found = self.new.with_numbers(words)
            if len(found) == 1:
                f = found[0]
                clause = self.new.clause_at(f.start, f.end)
                new_words = " ".join(s.text for s in self.new.sentences_over(f.start, f.end))
                for old_t, new_t in f.pairs:
                    self.votes.add(old_t, new_t, clause, new_words, fold(words))
                self.numbers_only_sentences.add((f.start, f.end))

    # --- the notice's number, title, date … ---

    def header(self) -> None:
        info = self.old_data["notice"]
        entry = "notice"
        for key in HEADER_FIELDS:
            value = info[key]
            result = self.match_quote((key,), value, "")
            if result.status == "missing" or result.status == "ambiguous":
                self.flag(("notice",), entry, value, result.closest, f"{key}: {result.reason}", result.closest_clause)
                continue
            self.covered.append((result.start, result.end))
            if result.found is not None and key in ("number", "title"):
                self.header_years.update({o.as_int(): n.as_int() for o, n in result.found.pairs if o.kind == "year"})
            new_value = "".join((result.new or value).split()) if result.status == "numbers" else value
            if new_value != value:
                self.change(("notice",), entry, (key,), value, new_value, result.sentence)
        self._header_date()

    def _header_date(self) -> None:
        info = self.old_data["notice"]
        old_date = dt.date.fromisoformat(info["date"])
        text = self.old.text
        places = [t for t in tokens(text) if t.kind == "date" and t.value == old_date]
        for place in reversed(places):  # the date under the signature is the last one
            fragment = text[max(0, place.start - 10) : place.end + 4]
            found = self.new.with_numbers(fragment)
            if len(found) == 1:
                f = found[0]
                new_date = next(
                    (n.value for o, n in f.pairs if o.start == place.start - max(0, place.start - 10)), None
                )
                if isinstance(new_date, dt.date):
                    sentence = " ".join(s.text for s in self.new.sentences_over(f.start, f.end))
                    for o, n in f.pairs:
                        self.votes.add(o, n, "", sentence, fragment)
                    self.covered.append((f.start, f.end))
                    if new_date != old_date:
                        self.change(("notice",), "notice", ("date",), info["date"], new_date.isoformat(), sentence)
                    return
        self.flag(("notice",), "notice", info["date"], "", "date: the notice's date was not found in the new text")

    def notice_id(self) -> str:
        if self.requested_id:
            return self.requested_id
        old_id = self.old_data["notice"]["id"]
        years = [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", old_id)]
        for year in years:
            new_year = self.header_years.get(year, self.years.get(year, (year, ""))[0])
            if new_year != year:
                return re.sub(rf"(?<!\d){year}(?!\d)", str(new_year), old_id, count=1)
        raise DraftError(f"cannot work out an id for the new notice from '{old_id}': give one with --id")

    # --- contacts, read by their labels ---

    def contacts(self) -> None:
        old = self.old_data["contacts"]
        entry = "contacts"
        quote = fold(old["quote"])
        groups = [[fold(p) for p in old["people"]], [fold(p) for p in old["phones"]], [fold(old["address"])]]
        labels, pos = [], 0
        for values in groups:
            start = quote.find(values[0], pos)
            end = start + len(values[0])
            for value in values[1:]:
                at = quote.find(value, end)
                end = at + len(value) if at >= 0 else -1
            if start < 0 or end < 0:
                self._contacts_by_quote(old)
                return
            labels.append(quote[pos:start])
            pos = end
        if not all(labels):
            self._contacts_by_quote(old)
            return
        text = self.new.text
        starts = []
        at = text.find(labels[0])
        for label in labels:
            at = text.find(label, at) if at >= 0 else -1
            if at < 0:
                self._contacts_by_quote(old)
                return
            starts.append(at)
            at += len(label)
        source, folded = self.new.source, self.new.folded

        def between(a: int, b: int) -> str:
            oa, ob = folded.original(a, b)
            return source[oa:ob]

        people = [p for p in _SPLIT_NAMES.split(between(starts[0] + len(labels[0]), starts[1]).strip()) if p]
        phones = [p for p in _SPLIT_NAMES.split(between(starts[1] + len(labels[1]), starts[2]).strip()) if p]
        address_at = starts[2] + len(labels[2])
        line_start = folded.original(address_at, address_at + 1)[0] if address_at < len(text) else len(source)
        line_end = source.find("\n", line_start)
        address = source[line_start : line_end if line_end >= 0 else len(source)].strip()
        end = address_at + len(fold(address))
        if (
            not people
            or not phones
            or not address
            or text[address_at:end] != fold(address)
            or not all(any(c.isdigit() for c in p) for p in phones)
        ):
            self._contacts_by_quote(old)
            return
        a0 = starts[0]
        new_quote = self.new.words(a0, end)
        sentence = new_quote
        self.covered.append((a0, end))
        for key, new_value in (("people", people), ("phones", phones), ("address", address)):
            if new_value != old[key]:
                self.change(("contacts",), entry, (key,), old[key], new_value, sentence)
                if isinstance(new_value, list) and len(new_value) == len(old[key]):
                    self.names.update({o: n for o, n in zip(old[key], new_value, strict=True) if o != n})
                elif isinstance(new_value, str):
                    self.names[old[key]] = new_value
        if squash(new_quote) != squash(old["quote"]):
            self.change(("contacts",), entry, ("quote",), old["quote"], new_quote, sentence)

    def _contacts_by_quote(self, old: dict[str, Any]) -> None:
        result = self.match_quote(("quote",), old["quote"], "联系方式")
        if result.status == "exact":
            self.covered.append((result.start, result.end))
            return
        closest = result.closest or result.new or ""
        self.flag(
            ("contacts",),
            "contacts",
            old["quote"],
            closest,
            "the contacts could not be read from the new notice by their labels: check people, phones, "
            "address and quote",
            result.closest_clause,
        )

    # --- recording ---

    def change(self, base: FieldPath, entry: str, path: FieldPath, old: Any, new: Any, sentence: str) -> None:
        set_at(get_at(self.data, base), path, new)
        self.updates.append(Update(entry, field_name(path), old, new, sentence))

    def flag(self, base: FieldPath, entry: str, old_quote: str, closest: str, reason: str, clause: str = "") -> None:
        self.review_marks[base].append(reason)
        self.reviews.append(ReviewItem(entry, old_quote, closest, reason, clause))

    def rewrite_refs(self, text: str) -> tuple[str, list[tuple[str, str, str]], list[str]]:
        changes, problems = [], []

        def swap(m: re.Match[str]) -> str:
            ref = m.group()
            if ref in self.clause_map and self.clause_map[ref] != ref:
                changes.append((ref, self.clause_map[ref], ""))
                return self.clause_map[ref]
            if ref in self.gone_clauses and ref in self.old.clauses:
                problems.append(f"cites {ref}, which is not in the new notice")
            return ref

        out = self._ref_pattern.sub(swap, text) if self._ref_pattern.pattern else text
        return out, changes, problems

    def rewrite_names(self, text: str) -> tuple[str, list[tuple[str, str, str]]]:
        changes = []
        for old, new in self.names.items():
            if old in text:
                text = text.replace(old, new)
                changes.append((old, new, ""))
        return text, changes

    def new_ref(self, ref: str) -> str:
        return self.clause_map.get(ref, ref)

    # --- the run ---

    def run(self) -> Draft:
        all_entries = list(entries(self.old_data))
        results: dict[str, list[_QuoteResult]] = {}
        for entry in all_entries:
            section = entry.path[0]
            results[entry.name] = [
                self.match_quote(path, quote, self.expected_clause(quote))
                for path, quote in quote_fields(str(section), entry.data)
            ]
        quoted = [r for rs in results.values() for r in rs]
        found = sum(r.status in ("exact", "numbers") for r in quoted)
        if quoted and found < MIN_FOUND * len(quoted):
            raise DraftError(
                f"the new text has only {found} of the old notice's {len(quoted)} quotes, even with other "
                "numbers: is it the next notice of the same kind, saved as UTF-8 text?"
            )
        self._sentence_votes()
        self.header()
        self.contacts()
        self.dates, self.ambiguous_dates = self.votes.date_map()
        self.years, self.ambiguous_years = self.votes.year_map()
        new_id = self.notice_id()
        self.data["notice"]["id"] = new_id
        if new_id != self.old_data["notice"]["id"]:
            self.updates.insert(0, Update("notice", "id", self.old_data["notice"]["id"], new_id, ""))
        self.data["notice"]["text_file"] = self.text_file
        renamed = self._rename_items(all_entries, results)
        for entry in all_entries:
            if entry.name not in ("notice", "contacts") or entry.name == "notice":
                self._entry(entry, results[entry.name], renamed)
        self._pointing_at_flagged(all_entries)
        self._clauses()
        for base, reasons in self.review_marks.items():
            target = get_at(self.data, base)
            target[REVIEW_KEY] = "; ".join(dict.fromkeys(reasons))
        report = DraftReport(
            old_id=self.old_data["notice"]["id"],
            new_id=new_id,
            entries=len(all_entries),
            carried=0,
            updated_entries=0,
            updated=self.updates,
            review=self.reviews,
            new_sentences=self._new_sentences(all_entries, results),
        )
        flagged = {r.entry for r in self.reviews}
        touched = {u.entry for u in self.updates if u.entry in {e.name for e in all_entries}}
        report.updated_entries = len(touched - flagged)
        report.carried = len(all_entries) - len(flagged) - report.updated_entries
        return Draft(self.data, "", report)

    def _pointing_at_flagged(self, entries: list[Entry]) -> None:
        """An answer to a typed question that points at an entry marked for review is checked with it."""
        flagged = {r.entry for r in self.reviews}
        sections = {
            "item": "items",
            "rule": "rules",
            "note": "notes",
            "deadline": "deadlines",
            "question": "questions",
            "interpretation": "interpretations",
            "attachment": "attachments",
        }
        for entry in entries:
            if entry.path[0] != "topics" or entry.name in flagged or not ({"answer", "quote"} & set(entry.data)):
                continue  # an entry that only points at others shows their words
            targets = [
                f"{sections.get(kind, kind)}.{target_id}"
                for kind, _, target_id in (t.partition(":") for t in entry.data.get("points_to", []))
            ]
            marked = [t for t in targets if t in flagged]
            if marked:
                self.flag(
                    entry.path,
                    entry.name,
                    str(entry.data.get("quote", "")),
                    "",
                    f"points to {', '.join(marked)}, which is marked for review: check the answer with it",
                )

    def _rename_items(self, entries: list[Entry], results: dict[str, list[_QuoteResult]]) -> dict[str, str]:
        """Items whose id names years (assessment_2018_2020) get the new years' id."""
        renamed: dict[str, str] = {}
        ids = {e.data["id"] for e in entries if e.path[0] == "items"}
        for entry in entries:
            if entry.path[0] != "items" or any(r.status in ("missing", "ambiguous") for r in results[entry.name]):
                continue
            local = self._local_votes(results[entry.name])
            years, _ = local.year_map()
            parts = entry.data["id"].split("_")
            new_parts = []
            for part in parts:
                year = int(part) if re.fullmatch(r"\d{4}", part) else None
                if year is not None and year in years:
                    new_parts.append(str(years[year][0]))
                elif year is not None and year in self.years and year not in local.years:
                    new_parts.append(str(self.years[year][0]))
                else:
                    new_parts.append(part)
            new_id = "_".join(new_parts)
            if new_id != entry.data["id"] and new_id not in ids:
                renamed[entry.data["id"]] = new_id
        return renamed

    def _local_votes(self, results: list[_QuoteResult]) -> Votes:
        local = Votes()
        for r in results:
            if r.status == "numbers" and r.found is not None:
                for o, n in r.found.pairs:
                    local.add(o, n, r.clause, r.sentence, fold(r.old))
                local.add_range_interiors(fold(r.old), r.found.pairs, r.sentence)
            elif r.status == "exact":
                for t in tokens(fold(r.old)):
                    local.add(t, t, r.clause, "", fold(r.old))
        return local

    def _related_refs(self, entry: Entry) -> set[str]:
        refs = set()
        data = entry.data
        for key in ("ref", "exempt_ref"):
            if isinstance(data.get(key), str):
                refs.add(data[key])
        refs.update(data.get("see_also", []))
        refs.update(v["ref"] for v in data.get("variants", []) if "ref" in v)
        for target in data.get("points_to", []):
            kind, _, target_id = target.partition(":")
            section = {
                "item": "items",
                "rule": "rules",
                "note": "notes",
                "deadline": "deadlines",
                "question": "questions",
                "interpretation": "interpretations",
                "attachment": "attachments",
            }.get(kind)
            for other in self.old_data.get(section or "", []):
                if other["id"] == target_id:
                    refs.add(other["ref"])
        for _, text in text_fields(data):  # clauses the entry's own words name: 按五（一）8上传
            refs.update(m.group() for m in self._ref_pattern.finditer(text)) if self._ref_pattern.pattern else None
        return {self.new_ref(r) for r in refs}

    def _entry(self, entry: Entry, results: list[_QuoteResult], renamed: dict[str, str]) -> None:
        name, base = entry.name, entry.path
        bad = [r for r in results if r.status in ("missing", "ambiguous")]
        if bad:
            for r in bad:
                reason = r.reason
                ref = entry.data.get("ref")
                if isinstance(ref, str) and ref in self.gone_clauses:
                    reason += f"; its clause {ref} is not in the new notice"
                elif isinstance(ref, str) and self.new_ref(ref) != ref:
                    reason += f"; its clause {ref} is now {self.new_ref(ref)}"
                label = field_name(r.path)
                self.flag(base, name, r.old, r.closest, f"{label}: {reason}", r.closest_clause)
            return
        for r in results:
            if r.status == "numbers" and r.new is not None and r.new != r.old:
                self.change(base, name, r.path, r.old, r.new, r.sentence)
            if r.start >= 0:
                self.covered.append((r.start, r.end))
        local = self._local_votes(results)
        if entry.path[0] == "items" and entry.data["id"] in renamed:
            self.change(base, name, ("id",), entry.data["id"], renamed[entry.data["id"]], "")
        self._numbers(entry, results)
        problems = self._refs(entry)
        if entry.path[0] == "topics":
            for k, target in enumerate(entry.data.get("points_to", [])):
                kind, _, target_id = target.partition(":")
                if kind == "item" and target_id in renamed:
                    self.change(base, name, ("points_to", k), target, f"item:{renamed[target_id]}", "")
        related = self._related_refs(entry)
        primary = self.new_ref(entry.data["ref"]) if isinstance(entry.data.get("ref"), str) else ""
        days: dict[int, int] = {}
        for _ in range(2):  # the second pass knows the entry's moved days (30号 beside 10月30日)
            sub = Substitution(self, local, related, days, primary)
            rewrites = {
                path: sub.rewrite(text)
                for path, text in text_fields(entry.data)
                if not (entry.name == "notice" and path[0] in (*HEADER_FIELDS, "id", "date"))
            }
            for rewrite in rewrites.values():
                days.update(rewrite.days)
        replaced = {old: new for rewrite in rewrites.values() for old, new in rewrite.replaced.items()}
        fields_of: dict[str, list[str]] = {}
        for path, rewrite in rewrites.items():
            for t in rewrite.bare:  # a number left beside the same number changed: 不少于5 beside 5个工作日
                if t.value in replaced:
                    rewrite.problems.append(
                        f"still says {t.text} where {t.text} changed to "
                        f"{render_like(t, replaced[t.value])} elsewhere in the entry: check"
                    )
            old_text = get_at(entry.data, path)
            if rewrite.text != old_text:
                sentence = next((s for _, _, s in rewrite.changes if s), "")
                self.change(base, name, path, old_text, rewrite.text, sentence)
            for problem in rewrite.problems:
                fields_of.setdefault(problem, []).append(field_name(path))
        problems += [f"{', '.join(dict.fromkeys(fields))}: {problem}" for problem, fields in fields_of.items()]
        if problems:
            quote = next((r.old for r in results), "")
            closest = next((r.sentence for r in results if r.sentence), "")
            self.flag(base, name, quote, closest, "; ".join(dict.fromkeys(problems)))

    def _numbers(self, entry: Entry, results: list[_QuoteResult]) -> None:
        """Copies, working days and due dates follow the numbers of the entry's own quotes."""
        by_path = {r.path: r for r in results}
        data = entry.data

        def pairs_for(prefix: FieldPath) -> list[tuple[Token, Token, str]]:
            own = by_path.get((*prefix, "quote")) if prefix else None
            chosen = [own] if own else [r for r in results if len(r.path) == 1]
            out = []
            for r in chosen:
                if r.status == "numbers" and r.found is not None:
                    out += [(o, n, r.sentence) for o, n in r.found.pairs]
                elif r.status == "exact":
                    out += [(t, t, "") for t in tokens(fold(r.old))]
            return out

        targets: list[tuple[FieldPath, str, Any]] = [((key,), key, data[key]) for key in NUMBER_FIELDS if key in data]
        for j, variant in enumerate(data.get("variants", [])):
            targets += [(("variants", j, key), key, variant[key]) for key in NUMBER_FIELDS if key in variant]
        for path, key, value in targets:
            if not isinstance(value, int):
                continue
            prefix = path[:-1]
            pairs = [
                (o, n, s)
                for o, n, s in pairs_for(prefix)
                if o.kind == "count" and o.value == value and o.unit.startswith(NUMBER_FIELDS[key])
            ]
            news = {n.value for o, n, _ in pairs}
            if len(news) == 1:
                (new,) = news
                if new != value:
                    new_value = int(new) if isinstance(new, int | float) else value
                    self.change(entry.path, entry.name, path, value, new_value, next(s for *_, s in pairs))
            elif len(news) > 1:
                self.flag(
                    entry.path,
                    entry.name,
                    next((r.old for r in results), ""),
                    pairs[0][2],
                    f"{field_name(path)}: the quote gives {value} several times and the new notice changes "
                    "only some of them; set it by hand",
                )
        if isinstance(data.get("due"), str):
            old_due = dt.date.fromisoformat(data["due"])
            moved = [(n.value, s) for o, n, s in pairs_for(()) if o.kind == "date" and o.value == old_due]
            if moved and moved[0][0] != old_due and isinstance(moved[0][0], dt.date):
                self.change(entry.path, entry.name, ("due",), data["due"], moved[0][0].isoformat(), moved[0][1])
            elif not moved and old_due in self.dates:
                new_due, sentence = self.dates[old_due]
                self.change(entry.path, entry.name, ("due",), data["due"], new_due.isoformat(), sentence)

    def _refs(self, entry: Entry) -> list[str]:
        data = entry.data
        paths: list[FieldPath] = [(k,) for k in ("ref", "exempt_ref") if isinstance(data.get(k), str)]
        paths += [("see_also", i) for i in range(len(data.get("see_also", [])))]
        paths += [("variants", j, "ref") for j, v in enumerate(data.get("variants", [])) if "ref" in v]
        problems = []
        for path in paths:
            ref = get_at(data, path)
            if self.new_ref(ref) != ref:
                self.change(entry.path, entry.name, path, ref, self.new_ref(ref), "")
            elif ref in self.gone_clauses and ref in self.old.clauses:
                problems.append(f"{field_name(path)}: cites {ref}, which is not in the new notice")
        return problems

    def _clauses(self) -> None:
        """The list of clauses: renumbered refs follow, clauses gone and no longer cited leave, new
        clauses of the new notice join (with their first words as heading) so that entries can cite them."""
        old_list = self.old_data["clauses"]
        cited = cited_refs(self.data)
        taken = set(self.clause_map.values()) | set(self.added_clauses)  # refs the new notice gives
        rows: list[dict[str, str]] = []
        for clause in old_list:
            ref = clause["ref"]
            new = self.new_ref(ref)
            if new != ref:
                self.updates.append(Update(f"clauses.{ref}", "ref", ref, new, ""))
            if ref in self.gone_clauses and ref in self.old.clauses and (ref not in cited or ref in taken):
                # gone; while entries under review still cite it, it stays listed unless its number is reused
                self.updates.append(Update(f"clauses.{ref}", "ref", ref, None, ""))
                continue
            rows.append({"ref": new, "heading": clause["heading"]})
        have = {r["ref"] for r in rows}
        order = sorted(self.new.clauses, key=lambda ref: self.new.clauses[ref])
        for ref in self.added_clauses:
            if ref in have:
                continue
            heading = clause_heading(self.new, ref)
            rows.append({"ref": ref, "heading": heading})
            self.updates.append(Update(f"clauses.{ref}", "heading", None, heading, ""))
        self.data["clauses"] = _stable_order(rows, {ref: i for i, ref in enumerate(order)})

    def _new_sentences(self, entries: list[Entry], results: dict[str, list[_QuoteResult]]) -> list[NewSentence]:
        covered = [False] * len(self.new.text)
        flagged = {r.entry for r in self.reviews}
        for entry in entries:
            if entry.name in flagged:
                continue
            for path, _ in quote_fields(str(entry.path[0]), entry.data):
                quote = get_at(get_at(self.data, entry.path), path)
                for at in self.new.exact(quote):
                    for i in range(at, min(at + len(fold(quote)), len(covered))):
                        covered[i] = True
        for a, b in self.covered:
            for i in range(a, b):
                covered[i] = True
        old_masked = mask(self.old.text)
        closest = {r.closest for r in self.reviews if r.closest}
        out = []
        for s in self.new.sentences:
            chars = [i for i in range(s.start, s.end) if self.new.text[i].isalnum()]
            share = sum(covered[i] for i in chars) / len(chars) if chars else 1.0
            numbers_only = any(a <= s.start and s.end <= b for a, b in self.numbers_only_sentences)
            if (
                share >= 0.9
                or numbers_only
                or mask(self.new.text[s.start : s.end]) in old_masked
                or any(s.text in c for c in closest)
            ):
                continue
            out.append(NewSentence(s.clause, s.text))
        return out


def _stable_order(rows: list[dict[str, str]], rank: dict[str, int]) -> list[dict[str, str]]:
    """Clauses in the order of the new notice; those it no longer has stay after their old neighbour."""
    placed = [r for r in rows if r["ref"] in rank]
    placed.sort(key=lambda r: rank[r["ref"]])
    out = list(placed)
    for i, row in enumerate(rows):
        if row["ref"] in rank:
            continue
        before = next((rows[j]["ref"] for j in range(i - 1, -1, -1) if rows[j]["ref"] in rank), None)
        at = 0 if before is None else next(k for k, r in enumerate(out) if r["ref"] == before) + 1
        out.insert(at, row)
    return out


# --- writing the file ---


def render_yaml(
    old_yaml: str, old_data: dict[str, Any], draft: dict[str, Any], old_number: str, new_number: str
) -> str:
    """The draft as YAML: the old file with the changed values edited in place (comments and layout
    kept). Falls back to a plain dump if the edited text would not read back as the draft."""
    try:
        editor = YamlEditor(old_yaml)
        _edit(editor, old_data, draft, ())
        text = editor.result()
        if old_number != new_number:
            text = "\n".join(
                line.replace(old_number, new_number) if line.lstrip().startswith("#") else line
                for line in text.split("\n")
            )
        if load_strings(text) == draft:
            return text
    except YamlEditError:
        pass
    return yaml.safe_dump(draft, allow_unicode=True, sort_keys=False, width=1000)


def _edit(editor: YamlEditor, old: Any, new: Any, path: FieldPath) -> None:
    if path == ("clauses",) and old != new:
        editor.replace_lines(path, [f"{{ref: {c['ref']}, heading: {c['heading']}}}" for c in new])
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key, value in new.items():
            if key not in old:
                editor.insert_key(path, key, value)
            else:
                _edit(editor, old[key], value, (*path, key))
        return
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and len(old) == len(new)
        and not (path and path[-1] in ("people", "phones"))
    ):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _edit(editor, a, b, (*path, i))
        return
    if old != new:
        editor.set(path, new)


# --- the entry point ---


def draft_notice(old_path: Path | str, new_text: str, *, text_file: str, new_id: str | None = None) -> Draft:
    """The draft for the notice text `new_text`, built on the knowledge file at `old_path`.
    `text_file` is what the draft's notice.text_file says (the new text, relative to the draft)."""
    started = time.perf_counter()
    old_path = Path(old_path)
    try:
        old_notice = load_notice(old_path)
    except Exception as exc:
        raise DraftError(f"the old notice cannot be loaded: {exc}") from exc
    data = read_data(old_path)
    drafter = _Drafter(data, old_notice.text, new_text, new_id, text_file)
    draft = drafter.run()
    old_yaml = old_path.read_text(encoding="utf-8")
    lexicon_file = data["notice"].get("lexicon_file")
    if lexicon_file:  # the words people type carry over; a file of the new notice's name beside the draft
        new_lexicon = f"{draft.data['notice']['id']}.lexicon.yaml"
        draft.data["notice"]["lexicon_file"] = new_lexicon
        renamed = {
            f"item:{u.old}": f"item:{u.new}"
            for u in draft.report.updated
            if u.entry.startswith("items.") and u.field == "id"
        }
        old_lexicon = retarget(read_lexicon_data(old_path.parent / lexicon_file), renamed)
        draft.lexicon, removed = draft_lexicon(old_lexicon, _without_reviews(draft.data))
        draft.lexicon_removed = tuple(removed)
    draft.yaml_text = render_yaml(old_yaml, data, draft.data, data["notice"]["number"], draft.data["notice"]["number"])
    if lexicon_file:
        draft.yaml_text = draft.yaml_text.replace(
            f"lexicon_file: {lexicon_file}", f"lexicon_file: {draft.data['notice']['lexicon_file']}"
        )
    draft.report.seconds = time.perf_counter() - started
    return draft


def _without_reviews(data: dict[str, Any]) -> dict[str, Any]:
    """The draft's data as the lexicon checker reads a notice: its review marks left out."""
    result: dict[str, Any] = json.loads(
        json.dumps(data, default=str), object_hook=lambda d: {k: v for k, v in d.items() if k != REVIEW_KEY}
    )
    return result
