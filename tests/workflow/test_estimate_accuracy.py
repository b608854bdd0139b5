"""The estimator against published, measured peak-memory figures (cases and sources in
``tests/support/published_memory.py``): the median error and the rule that it never says a
training fits a GPU whose memory the measured figure exceeds."""

from __future__ import annotations

import pytest

from tests.support.published_memory import (
    CASES,
    LLAMA_3_8B,
    PublishedCase,
    accuracy_rows,
    format_table,
    median_absolute_error,
)
from workflow.core.architecture import architecture_from_config
from workflow.core.estimate import EstimateInput, estimate
from workflow.core.estimate.memory import Stack
from workflow.core.hardware import DEFAULT_CATALOGUE, GIB
from workflow.core.training import plan_training
from workflow.steps import ConfigStepData


def test_median_absolute_error_is_within_a_quarter() -> None:
    rows = accuracy_rows()
    print("\n" + format_table(rows))
    assert len(rows) >= 10
    assert median_absolute_error(rows) <= 0.25


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_never_fits_where_the_measured_figure_exceeds_the_memory(case: PublishedCase) -> None:
    """Every GPU flavour smaller than the measured need must be refused by the estimate."""
    plan = plan_training(
        ConfigStepData.model_validate({"trainer": "SFT", "epochs": 1, "learningRate": 1e-4, **case.config})
    )
    arch = architecture_from_config(case.model)
    assert plan is not None and arch is not None
    result = estimate(EstimateInput(arch, plan, stack=case.stack))
    needed = case.measured_gib * GIB
    for flavour in DEFAULT_CATALOGUE.flavours:
        if flavour.has_gpu and flavour.memory_per_gpu_bytes < needed:
            assert not result.fits[flavour.name], (case.name, flavour.name)


def test_a_large_error_would_fail_the_median() -> None:
    """The median check can fail: doubling every estimate puts it far beyond a quarter."""
    rows = [{**row, "error": (1 + row["error"]) * 2 - 1} for row in accuracy_rows()]
    assert median_absolute_error(rows) > 0.25


def test_qlora_65b_fits_one_48_gb_gpu() -> None:
    """QLoRA paper (Dettmers et al., arXiv 2305.14314, abstract and §4): a 65B LLaMA finetunes on a
    single 48 GB GPU (r 64 on every linear layer, bf16 adapters as its reference code casts them,
    gradient checkpointing, paged 32-bit AdamW). The estimate, in that stack with float32 logits
    and counting the paged optimizer state as GPU memory, stays below 48 GB."""
    llama_65b = {
        "model_type": "llama",
        "hidden_size": 8192,
        "num_hidden_layers": 80,
        "num_attention_heads": 64,
        "intermediate_size": 22016,
        "vocab_size": 32000,
        "tie_word_embeddings": False,
    }
    plan = plan_training(
        ConfigStepData.model_validate(
            {
                "method": "QLORA",
                "quantBits": 4,
                "trainer": "SFT",
                "epochs": 1,
                "learningRate": 1e-4,
                "batchSize": 1,
                "maxSeqLength": 512,
                "gradientCheckpointing": True,
                "optimizer": "paged_adamw_32bit",
                "lora": {"r": 64, "dropout": 0.05},
            }
        )
    )
    arch = architecture_from_config(llama_65b)
    assert plan is not None and arch is not None
    result = estimate(EstimateInput(arch, plan, stack=Stack(loss="logits_fp32", adapter_dtype="bfloat16")))
    assert 35e9 < result.memory.total < 48 * GIB  # a "48 GB" RTX A6000 has 48 GiB


def test_the_default_stack_differs_from_the_published_one_where_it_should() -> None:
    """The same QLoRA run costs less on the pinned stack (tiled loss, bf16 adapters) than on the 2024 one."""
    case = next(case for case in CASES if case.name.endswith("fits 80 GB"))
    plan = plan_training(
        ConfigStepData.model_validate({"trainer": "SFT", "epochs": 1, "learningRate": 1e-4, **case.config})
    )
    arch = architecture_from_config(LLAMA_3_8B)
    assert plan is not None and arch is not None
    ours = estimate(EstimateInput(arch, plan)).memory.total
    assert ours < 0.5 * case.estimated_gib() * GIB
