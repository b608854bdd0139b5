"""Resolve a LOCAL model: ``config.json`` and the safetensors headers of a directory."""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workers.integrations.errors import IntegrationError
from workers.integrations.local_paths import confined
from workflow.facts import ModelFacts
from workflow.models import Tensor, model_facts

HEADER_LIMIT = 100_000_000  # a safetensors header is JSON; anything bigger is not one


def resolve_local_model(path: str, roots: Sequence[Path]) -> ModelFacts:
    """The model in ``path`` (inside one of ``roots``); its "sha" is a digest of the config and
    headers (there is no commit). Files linked from outside the roots are refused too."""
    folder = confined(path, roots)
    if not folder.is_dir():
        raise IntegrationError("LOCAL_PATH_NOT_FOUND", f"No directory at {path!r}.")
    config_file = confined(folder / "config.json", roots)  # checked before it is even looked at
    if not config_file.is_file():
        raise IntegrationError("MODEL_CONFIG_MISSING", f"{path!r} has no config.json.")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IntegrationError("MODEL_CONFIG_INVALID", f"config.json is not valid JSON: {exc}.") from None
    if not isinstance(config, dict):
        raise IntegrationError("MODEL_CONFIG_INVALID", "config.json must hold a JSON object.")
    weights = [confined(weight, roots) for weight in sorted(folder.glob("*.safetensors"))]
    if not weights:
        raise IntegrationError("MODEL_WEIGHTS_MISSING", f"{path!r} holds no .safetensors weights.")
    digest = hashlib.sha256(config_file.read_bytes())
    tensors: dict[str, Tensor] = {}
    for weight in weights:
        header = read_header(weight)
        digest.update(json.dumps(header, sort_keys=True).encode())
        for name, entry in header.items():
            if name != "__metadata__":
                tensors[name] = Tensor(entry["dtype"], tuple(entry["shape"]))
    return model_facts(
        sha=digest.hexdigest()[:40],
        tensors=tensors,
        config=config,
        licence=config.get("license") if isinstance(config.get("license"), str) else "local",
        gated=False,
        size_bytes=sum(weight.stat().st_size for weight in weights),
    )


def read_header(file: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file (8-byte little-endian length, then the JSON)."""
    with file.open("rb") as stream:
        prefix = stream.read(8)
        if len(prefix) != 8:
            raise IntegrationError("MODEL_WEIGHTS_INVALID", f"{file.name} is not a safetensors file.")
        (length,) = struct.unpack("<Q", prefix)
        if length > HEADER_LIMIT:
            raise IntegrationError("MODEL_WEIGHTS_INVALID", f"{file.name} has an impossible header length.")
        try:
            header = json.loads(stream.read(length))
        except ValueError:
            raise IntegrationError("MODEL_WEIGHTS_INVALID", f"{file.name} has an unreadable header.") from None
    if not isinstance(header, dict):
        raise IntegrationError("MODEL_WEIGHTS_INVALID", f"{file.name} has an unreadable header.")
    end = _data_end(header)
    if end is None:
        raise IntegrationError("MODEL_WEIGHTS_INVALID", f"{file.name} has a malformed tensor entry in its header.")
    if file.stat().st_size < 8 + length + end:
        raise IntegrationError("MODEL_WEIGHTS_INVALID", f"{file.name} is truncated: its tensor data is incomplete.")
    return header


def _data_end(header: dict[str, Any]) -> int | None:
    """Where the last tensor's bytes end (relative to the data), or ``None`` if an entry is malformed."""
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("dtype"), str):
            return None
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not isinstance(shape, list) or not all(isinstance(dim, int) and dim >= 0 for dim in shape):
            return None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            return None
        if not 0 <= offsets[0] <= offsets[1]:
            return None
        end = max(end, offsets[1])
    return end
