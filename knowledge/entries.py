"""Readable names for places in a knowledge file, for the messages that refuse one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def entry_name(data: Any, path: Iterable[Any]) -> str:
    """A readable name for a place in the file: items[3] (id=awards).when."""
    parts: list[str] = []
    node = data
    for step in path:
        if isinstance(step, int):
            label = f"[{step}]"
            try:
                node = node[step]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label += f" (id={node['id']})"
            except (IndexError, KeyError, TypeError):
                node = None
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(step))
            try:
                node = node[step]
            except (KeyError, TypeError):
                node = None
    return "".join(parts) or "(top level)"
