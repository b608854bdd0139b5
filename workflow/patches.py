"""Merging a save's partial step data into the stored step data (pure).

A typed save is a *merge patch* in the sense of RFC 7396, on the camelCase JSON form of the
blocks: a field the patch leaves out is unchanged, a field set to ``None`` is cleared, an object
is merged field by field, and a list (dataset sources, target modules) is replaced whole. The
result is validated like any save, so a merge that names an unknown field or breaks a shape
rule is refused with field paths, and one that changes nothing is a no-op save.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow.presets import apply_preset
from workflow.steps import MAX_DATASET_SOURCES, Block, PackageContent, Step, parse_patch


def merge_patch(stored: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``stored`` with ``patch`` laid on top: ``None`` clears, objects merge, anything else replaces."""
    merged = dict(stored)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_patch(merged[key], value)
        elif isinstance(value, Mapping):
            merged[key] = merge_patch({}, value)
        else:
            merged[key] = value
    return merged


def merged_blocks(
    content: PackageContent,
    patch: Mapping[str, Any],
    *,
    config_preset: str | None = None,
    max_sources: int = MAX_DATASET_SOURCES,
) -> dict[Step, Block]:
    """The blocks a merge save stores: each patched step's stored block with its patch merged in.

    A step patched with ``None`` is cleared to an empty block. With ``config_preset``, step 2
    starts from the preset (which fills the block, as a preset does) and the patch's own config
    fields are merged on top of it, so they win.
    """
    raw: dict[str, Any] = {}
    for key, value in patch.items():
        step = _step(key)
        if step is None or not (value is None or isinstance(value, Mapping)):
            raw[key] = value  # parse_patch reports the unknown step or the malformed block
        else:
            raw[key] = {} if value is None else merge_patch(content.block(step).to_json(), value)
    if config_preset is not None:
        config = patch.get(Step.CONFIG.value)
        base = apply_preset(config_preset, None).to_json()
        raw[Step.CONFIG.value] = merge_patch(base, config) if isinstance(config, Mapping) else base
    return parse_patch(raw, max_sources=max_sources)


def _step(key: str) -> Step | None:
    try:
        return Step(key)
    except ValueError:
        return None
