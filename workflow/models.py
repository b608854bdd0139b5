"""What a model's files say about it (pure): parameters, dtype, context length, LoRA targets.

Both resolvers (Hub and local directory) read the safetensors headers and ``config.json``;
this module turns those into ``ModelFacts`` the same way for both, the decoder's dimensions
included (``workflow.core.architecture``). The parameter count comes from the headers; without
weights it is derived from the config for the known decoder families.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import prod
from typing import Any

from workflow.core.architecture import architecture_from_config, parameter_count
from workflow.facts import ModelFacts

CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx", "max_seq_len")
DTYPE_NAMES = {"BF16": "bf16", "F16": "fp16", "F32": "fp32", "F64": "fp64", "I8": "int8", "U8": "uint8"}
# A module inside a repeated block: "model.layers.3.self_attn.q_proj.weight" → "q_proj".
BLOCK_MODULE = re.compile(r"\.(?:layers|h|blocks|layer)\.\d+\.(?:.+\.)?(?P<name>[A-Za-z0-9_]+)\.weight$")
NOT_LINEAR = ("norm", "embed", "wte", "wpe", "lm_head", "ln_")


@dataclass(frozen=True)
class Tensor:
    """One tensor of a safetensors header."""

    dtype: str
    shape: tuple[int, ...]


def lora_targets(tensors: Mapping[str, Tensor]) -> frozenset[str]:
    """Short names of the linear layers inside the repeated blocks (what LoRA can adapt)."""
    names = set()
    for name, tensor in tensors.items():
        match = BLOCK_MODULE.search(name)
        if match and len(tensor.shape) == 2 and not any(part in match["name"] for part in NOT_LINEAR):
            names.add(match["name"])
    return frozenset(names)


def parameters_by_dtype(tensors: Mapping[str, Tensor]) -> dict[str, int]:
    """Parameter counts per dtype (``bf16``, ``fp16`` …)."""
    counts: Counter[str] = Counter()
    for tensor in tensors.values():
        counts[DTYPE_NAMES.get(tensor.dtype, tensor.dtype.lower())] += prod(tensor.shape)
    return dict(counts)


def context_length(config: Mapping[str, Any]) -> int | None:
    """The longest sequence the model was built for, from the first known config key."""
    for key in CONTEXT_KEYS:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    nested = config.get("text_config")
    return context_length(nested) if isinstance(nested, Mapping) else None


def model_facts(
    *,
    sha: str,
    tensors: Mapping[str, Tensor],
    config: Mapping[str, Any],
    licence: str | None,
    gated: bool,
    size_bytes: int | None,
) -> ModelFacts:
    """The resolved model, as the rules and the step summary see it."""
    by_dtype = parameters_by_dtype(tensors)
    arch = architecture_from_config(config)
    counted = sum(by_dtype.values())
    derived = parameter_count(arch) if arch is not None else None
    architectures: Sequence[str] = config.get("architectures") or []
    return ModelFacts(
        resolved_sha=sha,
        context_length=context_length(config),
        module_names=lora_targets(tensors),
        parameter_count=counted if counted else derived,
        licence=licence,
        gated=gated,
        dtype=max(by_dtype, key=by_dtype.__getitem__) if by_dtype else None,
        architecture=architectures[0] if architectures else None,
        model_type=config.get("model_type") if isinstance(config.get("model_type"), str) else None,
        size_bytes=size_bytes,
        parameters_by_dtype=by_dtype,
        arch=arch,
    )
