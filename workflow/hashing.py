"""Content hashing: equal step data (after canonicalisation) gives an equal hash."""

from __future__ import annotations

import hashlib
import json

from workflow.steps import PackageContent


def canonical_json(content: PackageContent) -> str:
    """Sorted keys, no whitespace, unset fields dropped: the form that is hashed."""
    return json.dumps(content.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(content: PackageContent) -> str:
    """``sha256:<hex>`` of the canonical JSON of the four steps."""
    return "sha256:" + hashlib.sha256(canonical_json(content).encode()).hexdigest()
