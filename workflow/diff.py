"""Field-by-field differences between two versions' step data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from workflow.steps import STEP_ORDER, PackageContent, Step

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"


class ChangeKind(StrEnum):
    """How a field differs between the two versions."""

    ADDED = "ADDED"
    REMOVED = "REMOVED"
    CHANGED = "CHANGED"


@dataclass(frozen=True)
class FieldChange:
    """One differing leaf, with its path (``config.lora.r``) and both values."""

    step: Step
    path: str
    kind: ChangeKind
    before: JSONValue
    after: JSONValue


def diff_content(before: PackageContent, after: PackageContent) -> list[FieldChange]:
    """Every leaf that differs, in step order then field order."""
    changes: list[FieldChange] = []
    old, new = before.to_json(), after.to_json()
    for step in STEP_ORDER:
        _walk(step, step.value, old[step.value], new[step.value], changes)
    return changes


def _walk(step: Step, path: str, old: JSONValue, new: JSONValue, out: list[FieldChange]) -> None:
    if old == new:
        return
    found = len(out)
    if isinstance(old, dict | None) and isinstance(new, dict | None):
        # A whole object added or removed is reported leaf by leaf, like any other change.
        old_fields, new_fields = old or {}, new or {}
        for key in [*old_fields, *(key for key in new_fields if key not in old_fields)]:
            _walk(step, f"{path}.{key}", old_fields.get(key), new_fields.get(key), out)
    elif _objects_or_none(old) and _objects_or_none(new):
        old_items, new_items = old or [], new or []
        assert isinstance(old_items, list)
        assert isinstance(new_items, list)
        for index in range(max(len(old_items), len(new_items))):
            _walk(
                step,
                f"{path}[{index}]",
                old_items[index] if index < len(old_items) else None,
                new_items[index] if index < len(new_items) else None,
                out,
            )
    if len(out) > found:
        return
    # A leaf, or an empty object or list against an absent one (it has no leaves to report).
    if old is None:
        out.append(FieldChange(step, path, ChangeKind.ADDED, None, new))
    elif new is None:
        out.append(FieldChange(step, path, ChangeKind.REMOVED, old, None))
    else:
        out.append(FieldChange(step, path, ChangeKind.CHANGED, old, new))


def _objects_or_none(value: JSONValue) -> bool:
    """A list of objects (diffed item by item) or an absent one."""
    return value is None or (isinstance(value, list) and all(isinstance(item, dict) for item in value))
