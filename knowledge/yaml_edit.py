"""Changing values of a YAML file in place, keeping its comments, order and layout.

PyYAML's composer gives every node its place in the text; an edit replaces a node's text or inserts
a key. The result is checked by parsing it again (knowledge.drafting compares it with the data it
meant to write)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

Path = tuple[str | int, ...]


class YamlEditError(Exception):
    pass


class YamlEditor:
    def __init__(self, text: str) -> None:
        self.text = text
        root = yaml.compose(text, Loader=_SAFE)  # marks count characters (libyaml's too, for str input)
        if not isinstance(root, yaml.MappingNode):
            raise YamlEditError("the file is not a mapping")
        self.root = root
        self.edits: list[tuple[int, int, str]] = []

    def _find(self, path: Path) -> tuple[yaml.Node, bool]:
        """The node at `path` and whether it sits inside a flow collection."""
        node: yaml.Node = self.root
        flow = False
        for step in path:
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                flow = flow or bool(node.flow_style)
                node = next((v for k, v in node.value if k.value == step), None)  # type: ignore[assignment]
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                flow = flow or bool(node.flow_style)
                node = node.value[step]
            else:
                node = None  # type: ignore[assignment]
            if node is None:
                raise YamlEditError(f"no node at {path!r}")
        return node, flow

    def set(self, path: Path, value: Any) -> None:
        node, flow = self._find(path)
        style = node.style if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, list):
            text = "[" + ", ".join(render_scalar(v, flow=True) for v in value) + "]"
        else:
            text = render_scalar(value, flow=flow, style=style)
        self.edits.append((node.start_mark.index, node.end_mark.index, text))

    def insert_key(self, path: Path, key: str, value: Any) -> None:
        """Add `key: value` to the mapping at `path`, right after its first pair."""
        node, flow = self._find(path)
        if not isinstance(node, yaml.MappingNode) or not node.value:
            raise YamlEditError(f"no mapping with a first key at {path!r}")
        first_key, first_value = node.value[0]
        if node.flow_style:
            at = first_value.end_mark.index
            self.edits.append((at, at, f", {key}: {render_scalar(value, flow=True)}"))
            return
        line_end = self.text.find("\n", first_value.end_mark.index)
        at = len(self.text) if line_end < 0 else line_end
        indent = " " * first_key.start_mark.column
        self.edits.append((at, at, f"\n{indent}{key}: {render_scalar(value, flow=flow)}"))

    def replace_lines(self, path: Path, lines: Sequence[str]) -> None:
        """Replace a block sequence by these item lines (each written `- …` at the sequence's indent)."""
        node, _ = self._find(path)
        if not isinstance(node, yaml.SequenceNode) or node.flow_style:
            raise YamlEditError(f"no block sequence at {path!r}")
        start = self.text.rfind("\n", 0, node.start_mark.index) + 1
        indent = " " * node.start_mark.column
        last = node.value[-1].end_mark.index if node.value else node.start_mark.index
        line_end = self.text.find("\n", last)
        end = len(self.text) if line_end < 0 else line_end
        self.edits.append((start, end, "\n".join(f"{indent}- {line}" for line in lines)))

    def result(self) -> str:
        out = self.text
        last = len(out) + 1
        for start, end, text in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            if end > last:
                raise YamlEditError(f"overlapping edits at {start}")
            out = out[:start] + text + out[end:]
            last = start
        return out


_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it


class _StringDates(_SAFE):  # type: ignore[valid-type,misc]
    """Dates stay strings, as the knowledge loader reads them."""


_StringDates.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_strings(text: str) -> Any:
    return yaml.load(text, Loader=_StringDates)


def render_scalar(value: Any, *, flow: bool, style: str | None = None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return "null"
    text = str(value)
    if style in (None, "") and _plain_ok(text, flow):
        return text
    if style == "'" and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=False)


def _plain_ok(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or "\n" in text or " #" in text or ": " in text:
        return False
    if flow and any(ch in text for ch in ",[]{}"):
        return False
    try:
        parsed = load_strings(f"k: [{text}]" if flow else f"k: {text}")
    except yaml.YAMLError:
        return False
    return bool(parsed == {"k": [text] if flow else text})
