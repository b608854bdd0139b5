"""A small, deterministic YAML writer for flat configuration files and front matter.

The bundle's YAML is flat: keys with scalars, flow lists of scalars and flow mappings of
scalars, with comment lines between groups. Writing it here rather than through a YAML library
keeps the bytes fixed by this code alone: strings are always double-quoted with escapes (so no
value is ever read back as another type), and floats always carry a dot (PyYAML, which TRL
uses, reads ``1e-05`` as a string but ``1.0e-05`` as a float).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Scalar = str | int | float | bool | None
Value = Scalar | Sequence[Scalar] | Mapping[str, Scalar]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Bare words that a YAML 1.1 reader (PyYAML) takes for booleans or null, even as keys.
_RESERVED = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


@dataclass(frozen=True)
class Comment:
    """A comment line (``# text``); one that starts a ``group`` is preceded by a blank line."""

    text: str
    group: bool = True


Entry = tuple[str, Value] | Comment


def render_yaml(entries: Sequence[Entry]) -> str:
    """The document for ``entries``, one ``key: value`` per line, in the given order."""
    lines: list[str] = []
    seen: set[str] = set()
    for entry in entries:
        if isinstance(entry, Comment):
            if lines and entry.group:
                lines.append("")
            lines.append(f"# {entry.text}".rstrip())
            continue
        key, value = entry
        if not _KEY.fullmatch(key) or key in seen:
            raise ValueError(f"invalid or repeated key {key!r}")
        seen.add(key)
        lines.append(f"{key_text(key)}: {value_text(value)}")
    return "\n".join(lines) + "\n"


def key_text(key: str) -> str:
    """A key as written: bare, unless a reader would take the bare word for a boolean or null."""
    return quote(key) if key.lower() in _RESERVED else key


def value_text(value: Value) -> str:
    """One value in flow style."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{quote(str(k))}: {scalar_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + ", ".join(scalar_text(item) for item in value) + "]"
    return scalar_text(value)


def scalar_text(value: Scalar) -> str:
    """A scalar that YAML 1.1 and 1.2 readers both read back as the same value and type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    return quote(value)


def float_text(value: float) -> str:
    """The shortest repr, with a dot in the mantissa: ``0.0002``, ``1.0e-05``, ``3.0``."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} has no YAML form here")
    text = repr(value + 0.0)  # -0.0 + 0.0 is 0.0: equal values write equal text
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}e{exponent}" if exponent else mantissa


def quote(text: str) -> str:
    """A double-quoted YAML string: printable ASCII as is, everything else escaped."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)
