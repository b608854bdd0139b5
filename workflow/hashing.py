"""Content hashing: equal step data (after canonicalisation) gives an equal hash."""

from __future__ import annotations

import hashlib
import json

from workflow.steps import PackageContent


def canonical_json(content: PackageContent) -> str:
    """Sorted keys, no whitespace, unset fields dropped: the form that is hashed."""
    return json.dumps(_signless_zero(content.to_json()), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _signless_zero(value: object) -> object:
    """``-0.0`` as ``0.0``: equal content must hash equal, and ``-0.0 == 0.0``."""
    if isinstance(value, float) and value == 0:
        return 0.0
    if isinstance(value, dict):
        return {key: _signless_zero(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_signless_zero(item) for item in value]
    return value


def content_hash(content: PackageContent) -> str:
    """``sha256:<hex>`` of the canonical JSON of the four steps."""
    return "sha256:" + hashlib.sha256(canonical_json(content).encode()).hexdigest()
