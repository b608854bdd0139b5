"""Checks on free text that PostgreSQL cannot store (it refuses the NUL character)."""

from __future__ import annotations

from collections.abc import Iterator

from workflow.errors import ValidationFailedError
from workflow.issues import Issue, IssueCode


def nul_paths(value: object, path: str) -> Iterator[str]:
    """Paths of every string (key or value) inside ``value`` that contains a NUL character."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                yield f"{path}.{key!r}"
            yield from nul_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_paths(item, f"{path}[{index}]")


def require_storable(**fields: object) -> None:
    """Refuse input with NUL characters, naming each offending field."""
    issues = [
        Issue(path, IssueCode.INVALID_CHARACTER, "Text cannot contain the NUL character.")
        for name, value in fields.items()
        for path in nul_paths(value, name)
    ]
    if issues:
        raise ValidationFailedError(issues)
