"""Reusable, data-driven checks that the per-step rule modules are built from."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from workflow.issues import Issue, IssueCode

# owner/name as the Hugging Face Hub accepts it: no leading/trailing or doubled separators.
REPO_ID = re.compile(
    r"^(?=.{3,96}$)[A-Za-z0-9](?:[A-Za-z0-9]|[-_.](?=[A-Za-z0-9]))*/[A-Za-z0-9](?:[A-Za-z0-9]|[-_.](?=[A-Za-z0-9]))*$"
)
REPO_NAME = re.compile(r"^(?=.{1,96}$)[A-Za-z0-9](?:[A-Za-z0-9]|[-_.](?=[A-Za-z0-9]))*$")
GIT_REVISION = re.compile(r"^(?!.*\.\.)(?!/)(?!.*//)[A-Za-z0-9._/-]{1,200}(?<!/)(?<!\.lock)$")


@dataclass(frozen=True)
class Range:
    """A numeric bound on one field; ``None`` on a side means unbounded."""

    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True

    def holds(self, value: float) -> bool:
        """Whether ``value`` lies within the bound."""
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return not (self.high is not None and (value > self.high or (value == self.high and not self.high_inclusive)))

    def describe(self) -> str:
        """Human form, e.g. ``> 0 and ≤ 100``."""
        parts = []
        if self.low is not None:
            parts.append(f"{'≥' if self.low_inclusive else '>'} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'≤' if self.high_inclusive else '<'} {self.high:g}")
        return " and ".join(parts)


def check_range(path: str, value: float | None, bound: Range) -> Iterable[Issue]:
    """OUT_OF_RANGE when a set value breaks its bound."""
    if value is not None and not bound.holds(value):
        shown = str(value) if isinstance(value, int) else f"{value:g}"
        yield Issue(path, IssueCode.OUT_OF_RANGE, f"Must be {bound.describe()}; got {shown}.")


def require(path: str, value: object, what: str) -> Iterable[Issue]:
    """REQUIRED when a value needed for completion is missing or blank."""
    if value is None or (isinstance(value, str | list | dict) and not value):
        yield Issue(path, IssueCode.REQUIRED, f"{what} is required.")


def check_pattern(
    path: str, value: str | None, pattern: re.Pattern[str], code: IssueCode, what: str
) -> Iterable[Issue]:
    """``code`` when a set string does not match ``pattern``."""
    if value and not pattern.fullmatch(value):
        yield Issue(path, code, f"{value!r} is not a valid {what}.")
