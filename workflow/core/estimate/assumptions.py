"""An assumption behind an estimate, as data: shown next to the numbers it shaped (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Assumption:
    """One thing the estimate took as given: a stable ``key``, its ``value`` and a sentence saying why."""

    key: str
    value: str
    note: str

    def to_json(self) -> dict[str, str]:
        """The client-visible form."""
        return {"key": self.key, "value": self.value, "note": self.note}
