"""Tiny but real model repositories: a ``config.json``, safetensors weights with Llama-like
tensor names (optionally sharded), a ``pytorch_model.bin`` decoy and tokenizer files.

The builders return what they wrote next to the expectations a test checks against
(parameter counts, LoRA targets, context length), so tests do not restate them.
"""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DTYPE_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
TORCH_DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}
LLAMA_TARGETS = frozenset({"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"})

Tensors = dict[str, tuple[str, tuple[int, ...]]]


@dataclass(frozen=True)
class TinyModel:
    """A model repository's files and what a resolver should find in them."""

    files: dict[str, bytes]
    tensors: Tensors
    dtype: str
    context_length: int
    lora_targets: frozenset[str] = LLAMA_TARGETS
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def parameter_count(self) -> int:
        """Elements over every tensor."""
        return sum(_elements(shape) for _, shape in self.tensors.values())

    @property
    def safetensors_bytes(self) -> int:
        """Bytes of the safetensors files."""
        return sum(len(content) for name, content in self.files.items() if name.endswith(".safetensors"))

    def write(self, directory: Path) -> Path:
        """Write the files under ``directory`` (a LOCAL model) and return it."""
        for name, content in self.files.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return directory


def llama_tensors(
    *, layers: int = 2, hidden: int = 16, intermediate: int = 32, vocab: int = 64, dtype: str = "BF16"
) -> Tensors:
    """Tensor names and shapes of a Llama-like decoder."""
    tensors: Tensors = {"model.embed_tokens.weight": (dtype, (vocab, hidden))}
    for i in range(layers):
        block = f"model.layers.{i}"
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            tensors[f"{block}.self_attn.{name}.weight"] = (dtype, (hidden, hidden))
        tensors[f"{block}.mlp.gate_proj.weight"] = (dtype, (intermediate, hidden))
        tensors[f"{block}.mlp.up_proj.weight"] = (dtype, (intermediate, hidden))
        tensors[f"{block}.mlp.down_proj.weight"] = (dtype, (hidden, intermediate))
        tensors[f"{block}.input_layernorm.weight"] = (dtype, (hidden,))
        tensors[f"{block}.post_attention_layernorm.weight"] = (dtype, (hidden,))
    tensors["model.norm.weight"] = (dtype, (hidden,))
    tensors["lm_head.weight"] = (dtype, (vocab, hidden))
    return tensors


def safetensors_file(tensors: Mapping[str, tuple[str, tuple[int, ...]]], *, seed: int = 0) -> bytes:
    """A real safetensors file: 8-byte little-endian header length, JSON header, tensor bytes."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = _elements(shape) * DTYPE_SIZES[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    return struct.pack("<Q", len(encoded)) + encoded + random.Random(seed).randbytes(offset)


def tiny_llama(
    *,
    layers: int = 2,
    hidden: int = 16,
    intermediate: int = 32,
    vocab: int = 64,
    dtype: str = "BF16",
    context_key: str = "max_position_embeddings",
    context_length: int = 2048,
    shards: int = 1,
    bin_decoy: bool = True,
    tokenizer: bool = True,
    config_overrides: Mapping[str, Any] | None = None,
) -> TinyModel:
    """A complete tiny Llama-like model repo."""
    tensors = llama_tensors(layers=layers, hidden=hidden, intermediate=intermediate, vocab=vocab, dtype=dtype)
    return _model(tensors, dtype, context_key, context_length, shards, bin_decoy, tokenizer, config_overrides)


def large_model(size_mb: float, *, shards: int = 1, dtype: str = "BF16", bin_decoy: bool = True) -> TinyModel:
    """A Llama-like model whose embedding makes the weights about ``size_mb`` MB, for download tests."""
    hidden = 64
    vocab = max(64, int(size_mb * 1024 * 1024 / (hidden * DTYPE_SIZES[dtype])))
    tensors = llama_tensors(layers=2, hidden=hidden, intermediate=128, vocab=vocab, dtype=dtype)
    del tensors["lm_head.weight"]  # tied embeddings: one large tensor, not two
    if shards > 1:
        # Spread the size: the embedding alone would leave the other shards tiny.
        tensors = {name: spec for name, spec in tensors.items() if name != "model.embed_tokens.weight"}
        for shard in range(shards):
            tensors[f"model.extra_{shard}.weight"] = (dtype, (vocab // shards, hidden))
        tensors = {"model.embed_tokens.weight": (dtype, (64, hidden)), **tensors}
    return _model(tensors, dtype, "max_position_embeddings", 4096, shards, bin_decoy, True, None)


def _model(
    tensors: Tensors,
    dtype: str,
    context_key: str,
    context_length: int,
    shards: int,
    bin_decoy: bool,
    tokenizer: bool,
    config_overrides: Mapping[str, Any] | None,
) -> TinyModel:
    config: dict[str, Any] = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        context_key: context_length,
        "torch_dtype": TORCH_DTYPES.get(dtype, dtype.lower()),
        "hidden_size": next(shape[-1] for _, shape in tensors.values()),
        **(config_overrides or {}),
    }
    files: dict[str, bytes] = {"config.json": json.dumps(config, indent=2).encode()}
    if shards <= 1:
        files["model.safetensors"] = safetensors_file(tensors)
    else:
        names = list(tensors)
        weight_map: dict[str, str] = {}
        total = 0
        for shard in range(shards):
            filename = f"model-{shard + 1:05d}-of-{shards:05d}.safetensors"
            part = {name: tensors[name] for name in names[shard::shards]}
            files[filename] = safetensors_file(part, seed=shard)
            weight_map.update(dict.fromkeys(part, filename))
            total += sum(_elements(shape) * DTYPE_SIZES[d] for d, shape in part.values())
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        files["model.safetensors.index.json"] = json.dumps(index, indent=2).encode()
    if bin_decoy:
        files["pytorch_model.bin"] = b"PK\x03\x04 not a real pickle " * 64
    if tokenizer:
        files["tokenizer.json"] = json.dumps({"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0}}}).encode()
        files["tokenizer_config.json"] = json.dumps({"model_max_length": context_length}).encode()
        files["special_tokens_map.json"] = json.dumps({"eos_token": "</s>"}).encode()
    files["README.md"] = b"---\nlicense: apache-2.0\n---\n# A tiny test model\n"
    return TinyModel(files=files, tensors=tensors, dtype=dtype, context_length=context_length, config=config)


def _elements(shape: tuple[int, ...]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count
