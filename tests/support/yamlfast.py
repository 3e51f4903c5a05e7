"""YAML read with libyaml's parser where PyYAML has it, as the knowledge loader does: the pure-Python
parser takes seconds on the notice's file, and the test modules read it at import in every worker."""

from __future__ import annotations

from typing import Any

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """What PyYAML's safe_load gives, faster."""
    return yaml.load(text, Loader=_SafeLoader)
