"""A decoder's shape from its ``config.json``, and its parameter count derived from that shape (pure).

The estimator sizes weights, adapters and activations from these dimensions. Resolution reads
them from the model's config (both resolvers pass it); the parameter count normally comes from the
safetensors headers, and ``parameter_count`` derives it from the shape for the common decoder
families when no weights are at hand (a what-if, a config-only directory).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

MlpKind = Literal["gated", "plain"]

GATED_FAMILIES = frozenset(
    {
        "llama",
        "mistral",
        "qwen2",
        "qwen3",
        "gemma",
        "gemma2",
        "gemma3",
        "gemma3_text",
        "phi3",
        "olmo",
        "olmo2",
        "granite",
    }
)
PLAIN_FAMILIES = frozenset({"gpt2", "gpt_neox", "gptj", "starcoder2", "phi"})
# Extra norms per block beyond the two pre-norms: Gemma 2/3 also norm after attention and MLP.
_EXTRA_BLOCK_NORMS = {"gemma2": 2, "gemma3": 2, "gemma3_text": 2}
# Per-head query/key norms (head_dim weights each).
_QK_NORM_FAMILIES = frozenset({"qwen3", "gemma3", "gemma3_text", "olmo2"})
DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32", "bf16": "bf16", "fp16": "fp16", "fp32": "fp32"}


@dataclass(frozen=True)
class Architecture:
    """The dimensions of a decoder-only transformer, as its ``config.json`` states them."""

    model_type: str | None
    hidden_size: int
    num_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    tied_embeddings: bool
    dtype: str | None = None
    mlp: MlpKind = "gated"
    attention_bias: bool = False
    qkv_bias_only: bool = False
    max_positions: int | None = None

    @property
    def q_size(self) -> int:
        """Width of the query projection (heads × head dim)."""
        return self.num_attention_heads * self.head_dim

    @property
    def kv_size(self) -> int:
        """Width of the key (and of the value) projection (KV heads × head dim)."""
        return self.num_key_value_heads * self.head_dim

    def block_linears(self) -> dict[str, tuple[int, int]]:
        """``(in, out)`` features of each linear layer of one block, by its usual module name."""
        h, i = self.hidden_size, self.intermediate_size
        if self.model_type == "phi3":  # fused projections
            qkv = self.q_size + 2 * self.kv_size
            return {"qkv_proj": (h, qkv), "o_proj": (self.q_size, h), "gate_up_proj": (h, 2 * i), "down_proj": (i, h)}
        if self.model_type == "gpt2":  # Conv1D modules; "c_proj" names both output projections
            return {"c_attn": (h, 3 * h), "attn.c_proj": (h, h), "c_fc": (h, i), "mlp.c_proj": (i, h)}
        attention = {"q_proj": (h, self.q_size), "k_proj": (h, self.kv_size), "v_proj": (h, self.kv_size)}
        attention["o_proj"] = (self.q_size, h)
        if self.mlp == "gated":
            return {**attention, "gate_proj": (h, i), "up_proj": (h, i), "down_proj": (i, h)}
        return {**attention, "up_proj": (h, i), "down_proj": (i, h)}

    def to_json(self) -> dict[str, Any]:
        """The stored form (camelCase, like the other facts)."""
        return {
            "modelType": self.model_type,
            "hiddenSize": self.hidden_size,
            "numLayers": self.num_layers,
            "numAttentionHeads": self.num_attention_heads,
            "numKeyValueHeads": self.num_key_value_heads,
            "headDim": self.head_dim,
            "intermediateSize": self.intermediate_size,
            "vocabSize": self.vocab_size,
            "tiedEmbeddings": self.tied_embeddings,
            "dtype": self.dtype,
            "mlp": self.mlp,
            "attentionBias": self.attention_bias,
            "qkvBiasOnly": self.qkv_bias_only,
            "maxPositions": self.max_positions,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Architecture:
        """Inverse of ``to_json``."""
        return cls(
            model_type=raw.get("modelType"),
            hidden_size=int(raw["hiddenSize"]),
            num_layers=int(raw["numLayers"]),
            num_attention_heads=int(raw["numAttentionHeads"]),
            num_key_value_heads=int(raw["numKeyValueHeads"]),
            head_dim=int(raw["headDim"]),
            intermediate_size=int(raw["intermediateSize"]),
            vocab_size=int(raw["vocabSize"]),
            tied_embeddings=bool(raw["tiedEmbeddings"]),
            dtype=raw.get("dtype"),
            mlp="plain" if raw.get("mlp") == "plain" else "gated",
            attention_bias=bool(raw.get("attentionBias", False)),
            qkv_bias_only=bool(raw.get("qkvBiasOnly", False)),
            max_positions=raw.get("maxPositions"),
        )


@dataclass(frozen=True)
class ParameterSplit:
    """Parameters by role: the blocks' linear weights (what LoRA targets and QLoRA quantises), the
    input embedding, a separate output head (0 when tied) and the rest (norms, biases, positions)."""

    linear: int
    embedding: int
    head: int
    other: int

    @property
    def total(self) -> int:
        """Every parameter, each tied one once."""
        return self.linear + self.embedding + self.head + self.other


def _int(config: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def architecture_from_config(config: Mapping[str, Any]) -> Architecture | None:
    """The decoder's dimensions, or ``None`` when the config lacks a hidden size, layers, heads or vocabulary.

    Multimodal configs are read from their ``text_config``; GPT-2 style keys (``n_embd``, ``n_layer``,
    ``n_head``, ``n_inner``) are understood; a missing intermediate size defaults to 4 × hidden.
    """
    text = config.get("text_config")
    if isinstance(text, Mapping) and _int(config, "hidden_size", "n_embd") is None:
        merged = {**text, "model_type": text.get("model_type") or config.get("model_type")}
        merged.setdefault("vocab_size", config.get("vocab_size"))
        merged.setdefault("tie_word_embeddings", config.get("tie_word_embeddings"))
        merged.setdefault("torch_dtype", config.get("torch_dtype") or config.get("dtype"))
        return architecture_from_config(merged)
    model_type = config.get("model_type") if isinstance(config.get("model_type"), str) else None
    hidden = _int(config, "hidden_size", "n_embd", "d_model")
    layers = _int(config, "num_hidden_layers", "n_layer", "num_layers")
    heads = _int(config, "num_attention_heads", "n_head")
    vocab = _int(config, "vocab_size")
    if hidden is None or layers is None or heads is None or vocab is None:
        return None
    kv_heads = _int(config, "num_key_value_heads", "num_kv_heads") or heads
    head_dim = _int(config, "head_dim") or hidden // heads
    plain = model_type in PLAIN_FAMILIES
    intermediate = _int(config, "intermediate_size", "n_inner", "ffn_dim") or 4 * hidden
    tied_default = model_type in ("gpt2", "gemma", "gemma2", "gemma3", "gemma3_text")
    tied = config.get("tie_word_embeddings")
    raw_dtype = config.get("torch_dtype") or config.get("dtype")
    qkv_bias_only = model_type == "qwen2"
    return Architecture(
        model_type=model_type,
        hidden_size=hidden,
        num_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        head_dim=head_dim,
        intermediate_size=intermediate,
        vocab_size=vocab,
        tied_embeddings=tied if isinstance(tied, bool) else tied_default,
        dtype=DTYPES.get(raw_dtype) if isinstance(raw_dtype, str) else None,
        mlp="plain" if plain else "gated",
        attention_bias=bool(config.get("attention_bias", False)) or plain or qkv_bias_only,
        qkv_bias_only=qkv_bias_only,
        max_positions=_int(config, "max_position_embeddings", "n_positions"),
    )


def parameter_split(arch: Architecture) -> ParameterSplit:
    """Parameters by role, derived from the shape (the common decoder families' layouts)."""
    h, layers = arch.hidden_size, arch.num_layers
    linears = arch.block_linears()
    linear = sum(d_in * d_out for d_in, d_out in linears.values()) * layers
    bias = 0
    if arch.attention_bias:
        bias += arch.q_size + 2 * arch.kv_size + (0 if arch.qkv_bias_only else h)
    plain = arch.mlp == "plain"
    if plain:
        bias += arch.intermediate_size + h
    norm_weights = 2 + _EXTRA_BLOCK_NORMS.get(arch.model_type or "", 0)
    norms = norm_weights * h * (2 if plain else 1)
    if (arch.model_type or "") in _QK_NORM_FAMILIES:
        norms += 2 * arch.head_dim
    other = (bias + norms) * layers + h * (2 if plain else 1)
    if arch.model_type == "gpt2" and arch.max_positions:
        other += arch.max_positions * h
    embedding = arch.vocab_size * h
    head = 0 if arch.tied_embeddings else arch.vocab_size * h
    return ParameterSplit(linear, embedding, head, other)


def parameter_count(arch: Architecture) -> int | None:
    """The parameter count of a known decoder family (``GATED_FAMILIES`` / ``PLAIN_FAMILIES``), else ``None``."""
    if arch.model_type not in GATED_FAMILIES | PLAIN_FAMILIES:
        return None
    return parameter_split(arch).total


def scaled_split(arch: Architecture, parameters: int | None) -> ParameterSplit:
    """The split of ``parameters`` (e.g. counted in the safetensors headers) by role: the embedding and
    head as the shape says, the block linears and the rest scaled to make up the stated total."""
    derived = parameter_split(arch)
    if parameters is None or parameters <= 0 or parameters == derived.total:
        return derived
    fixed = derived.embedding + derived.head
    body = derived.linear + derived.other
    if parameters <= fixed or body == 0:
        return derived
    scale = (parameters - fixed) / body
    linear = round(derived.linear * scale)
    return ParameterSplit(linear, derived.embedding, derived.head, parameters - fixed - linear)
