"""Checks on input values that PostgreSQL (or JSON) cannot store as given.

PostgreSQL refuses the NUL character and lone UTF-16 surrogates in text, and numbers
beyond what a JSON client can round-trip (2^53) are refused too; each is reported as a
typed issue at its field path instead of failing deep in the database.
"""

from __future__ import annotations

from collections.abc import Iterator

from workflow.errors import ValidationFailedError
from workflow.issues import Issue, IssueCode

MAX_SAFE_INTEGER = 2**53


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or ``None``."""
    if "\x00" in text:
        return "Text cannot contain the NUL character."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must be valid Unicode (it contains a lone surrogate)."
    return None


def issues_in(value: object, path: str) -> Iterator[Issue]:
    """An issue for every string (key or value) or integer inside ``value`` that cannot be stored."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            yield Issue(path, IssueCode.INVALID_CHARACTER, problem)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            yield Issue(path, IssueCode.OUT_OF_RANGE, f"Numbers must lie within ±{MAX_SAFE_INTEGER}.")
    elif isinstance(value, dict):
        for key, item in value.items():
            key_problem = text_problem(key) if isinstance(key, str) else None
            if key_problem:
                yield Issue(f"{path}.{key!r}", IssueCode.INVALID_CHARACTER, key_problem)
                continue
            yield from issues_in(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from issues_in(item, f"{path}[{index}]")


def require_storable(**fields: object) -> None:
    """Refuse input that cannot be stored, naming each offending field."""
    issues = [issue for name, value in fields.items() for issue in issues_in(value, name)]
    if issues:
        raise ValidationFailedError(issues)


def require_length(path: str, value: str | None, limit: int) -> None:
    """Refuse a string longer than its column allows."""
    if value is not None and len(value) > limit:
        raise ValidationFailedError([Issue(path, IssueCode.TOO_LONG, f"At most {limit} characters.")])
