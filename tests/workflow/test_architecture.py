"""Model dimensions from config.json and parameter counts derived from them, against the published counts."""

from __future__ import annotations

from typing import Any

import pytest

from workflow.core.architecture import Architecture, architecture_from_config, parameter_count, scaled_split
from workflow.fact_store import (
    dataset_facts_from_json,
    dataset_facts_to_json,
    model_facts_from_json,
    model_facts_to_json,
)
from workflow.facts import DatasetFacts
from workflow.models import Tensor, model_facts

# Values of each model's published config.json; counts are the totals of their safetensors weights.
LLAMA_3_2_1B = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 2048,
    "intermediate_size": 8192,
    "num_attention_heads": 32,
    "num_hidden_layers": 16,
    "num_key_value_heads": 8,
    "head_dim": 64,
    "vocab_size": 128256,
    "tie_word_embeddings": True,
    "max_position_embeddings": 131072,
    "torch_dtype": "bfloat16",
}
LLAMA_3_1_8B = {
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}
QWEN2_5_0_5B = {
    "model_type": "qwen2",
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_attention_heads": 14,
    "num_hidden_layers": 24,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
}
MISTRAL_7B = {
    "model_type": "mistral",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}
GEMMA_2B = {
    "model_type": "gemma",
    "hidden_size": 2048,
    "intermediate_size": 16384,
    "num_attention_heads": 8,
    "num_hidden_layers": 18,
    "num_key_value_heads": 1,
    "head_dim": 256,
    "vocab_size": 256000,
    "torch_dtype": "bfloat16",
}
PHI_3_MINI = {
    "model_type": "phi3",
    "hidden_size": 3072,
    "intermediate_size": 8192,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "vocab_size": 32064,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}
GPT2 = {"model_type": "gpt2", "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024, "vocab_size": 50257}


@pytest.mark.parametrize(
    ("config", "published"),
    [
        (LLAMA_3_2_1B, 1_235_814_400),  # meta-llama/Llama-3.2-1B: 1.236 B
        (LLAMA_3_1_8B, 8_030_261_248),  # meta-llama/Llama-3.1-8B: 8.03 B
        (QWEN2_5_0_5B, 494_032_768),  # Qwen/Qwen2.5-0.5B: 494 M
        (MISTRAL_7B, 7_241_732_096),  # mistralai/Mistral-7B-v0.1: 7.24 B
        (GEMMA_2B, 2_506_172_416),  # google/gemma-2b: 2.51 B
        (PHI_3_MINI, 3_821_079_552),  # microsoft/Phi-3-mini-4k-instruct: 3.82 B
        (GPT2, 124_439_808),  # openai-community/gpt2: 124 M
    ],
    ids=["llama-3.2-1b", "llama-3.1-8b", "qwen2.5-0.5b", "mistral-7b", "gemma-2b", "phi-3-mini", "gpt2"],
)
def test_derived_parameter_count_matches_the_published_one(config: dict[str, Any], published: int) -> None:
    arch = architecture_from_config(config)
    assert arch is not None
    assert parameter_count(arch) == pytest.approx(published, rel=1e-4)


def test_the_config_is_read() -> None:
    arch = architecture_from_config(LLAMA_3_2_1B)
    assert arch == Architecture(
        model_type="llama",
        hidden_size=2048,
        num_layers=16,
        num_attention_heads=32,
        num_key_value_heads=8,
        head_dim=64,
        intermediate_size=8192,
        vocab_size=128256,
        tied_embeddings=True,
        dtype="bf16",
        max_positions=131072,
    )
    assert arch.kv_size == 512
    assert arch.block_linears()["k_proj"] == (2048, 512)


def test_defaults_and_nested_text_configs() -> None:
    gpt2 = architecture_from_config(GPT2)
    assert gpt2 is not None
    assert (gpt2.intermediate_size, gpt2.tied_embeddings, gpt2.mlp, gpt2.num_key_value_heads) == (
        3072,
        True,
        "plain",
        12,
    )
    nested = architecture_from_config(
        {"model_type": "gemma3", "text_config": {**MISTRAL_7B, "model_type": "gemma3_text"}}
    )
    assert nested is not None
    assert (nested.model_type, nested.hidden_size) == ("gemma3_text", 4096)
    assert architecture_from_config({"model_type": "llama", "hidden_size": 64}) is None
    assert architecture_from_config({**LLAMA_3_1_8B, "num_hidden_layers": "32"}) is None


def test_an_unknown_family_has_no_derived_count() -> None:
    arch = architecture_from_config({**LLAMA_3_1_8B, "model_type": "mixtral"})
    assert arch is not None
    assert parameter_count(arch) is None


def test_a_stated_count_scales_the_body_not_the_embeddings() -> None:
    arch = architecture_from_config(LLAMA_3_1_8B)
    assert arch is not None
    split = scaled_split(arch, 9_000_000_000)
    assert split.total == 9_000_000_000
    assert split.embedding == split.head == 128256 * 4096
    assert scaled_split(arch, None) == scaled_split(arch, 8_030_261_248)


def test_model_facts_carry_the_architecture_and_derive_the_count_without_weights() -> None:
    without = model_facts(
        sha="a" * 40, tensors={}, config=LLAMA_3_2_1B, licence="llama3.2", gated=True, size_bytes=None
    )
    assert without.arch == architecture_from_config(LLAMA_3_2_1B)
    assert without.parameter_count == 1_235_814_400
    tensors = {"model.layers.0.mlp.up_proj.weight": Tensor("BF16", (8192, 2048))}
    counted = model_facts(sha="a" * 40, tensors=tensors, config=LLAMA_3_2_1B, licence=None, gated=False, size_bytes=1)
    assert counted.parameter_count == 8192 * 2048
    unknown = model_facts(
        sha="a" * 40, tensors={}, config={"model_type": "bert"}, licence=None, gated=False, size_bytes=1
    )
    assert (unknown.arch, unknown.parameter_count) == (None, None)


def test_stored_model_facts_round_trip_and_old_ones_still_load() -> None:
    facts = model_facts(sha="b" * 40, tensors={}, config=QWEN2_5_0_5B, licence="apache-2.0", gated=False, size_bytes=9)
    stored = model_facts_to_json(facts)
    assert model_facts_from_json(stored) == facts
    old = {key: value for key, value in stored.items() if key != "arch"}
    assert model_facts_from_json(old).arch is None


def test_stored_dataset_facts_keep_token_statistics_and_old_ones_still_load() -> None:
    facts = DatasetFacts(columns=frozenset({"text"}), rows=10, token_mean=12.5, token_p95=30, token_max=41)
    stored = dataset_facts_to_json(facts)
    assert dataset_facts_from_json(stored) == facts
    old = {key: value for key, value in stored.items() if not key.startswith("token")}
    assert dataset_facts_from_json(old).token_mean is None
