"""Secret values never come back in an error message.

graphql-core quotes the offending input when a variable or literal is malformed ("Variable
'$input' got invalid value {...}"), and such messages are answered and logged. For an operation
that sets a secret, every string it carries (in its variables or as a literal) is replaced in its
errors' messages before they are logged or sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.types import ExecutionContext

REDACTED = "[redacted]"
CARRIERS = ("setSecret",)
"""Root fields whose input holds a secret value."""
MIN_LENGTH = 4
"""Shorter strings are not looked for (they would blank out ordinary words)."""
_STRING_LITERAL = re.compile(r'"""(.*?)"""|"((?:[^"\\\n]|\\.)*)"', re.DOTALL)


def redact(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    """Replace, in place, every string a secret-carrying operation sent within its errors' messages."""
    if execution_context is None or not errors:
        return
    query = execution_context.query or ""
    if not any(carrier in query for carrier in CARRIERS):
        return
    candidates = {value for value in _strings(execution_context.variables) if len(value) >= MIN_LENGTH}
    for match in _STRING_LITERAL.finditer(query):
        literal = match.group(1) if match.group(1) is not None else match.group(2)
        if literal is not None and len(literal) >= MIN_LENGTH:
            candidates.add(literal)
    # As quoted by Python's repr and by JSON too (a backslash or a quote is escaped there); the
    # longest first, so a value containing another is replaced whole.
    forms = {form for value in candidates for form in _quoted_forms(value)}
    ordered = sorted(forms, key=len, reverse=True)
    for error in errors:
        message = error.message
        for value in ordered:
            message = message.replace(value, REDACTED)
        error.message = message


def _quoted_forms(value: str) -> set[str]:
    return {
        value,
        repr(value)[1:-1],
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
