"""A wizard's draft: a dataclass kept with the user while the wizard waits for input
(UserState.awaiting_data, as JSON), so that it survives a restart. A stored draft that does not
fit the dataclass any more (an older release's) reads as no draft: the wizard has expired."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Self


class Draft:
    """Base of the drafts: subclass and decorate with @dataclass; fields are JSON values."""

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Self | None:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        if not data or not set(data) <= names:
            return None
        try:
            return cls(**data)
        except TypeError:  # a required field missing
            return None

    def dump(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]
