"""The training plan: one concrete run per complete step 2, defaults and precision rules spelled out."""

from __future__ import annotations

from typing import Any

import pytest

from workflow.core.training import ALL_LINEAR, OPTIMIZERS, plan_training, requirements
from workflow.steps import ConfigStepData

BASE: dict[str, Any] = {
    "method": "LORA",
    "trainer": "SFT",
    "epochs": 1,
    "learningRate": 2e-4,
    "batchSize": 4,
    "maxSeqLength": 512,
    "lora": {"r": 8},
}


def _plan(**changes: Any) -> Any:
    return plan_training(ConfigStepData.model_validate({**BASE, **changes}))


def test_defaults_are_filled_in() -> None:
    plan = _plan()
    assert plan.load_dtype == "bfloat16"
    assert plan.mixed_precision == "bf16"
    assert plan.optimizer is OPTIMIZERS["adamw_torch"]
    assert plan.gradient_accumulation == 1
    assert plan.scheduler == "linear"
    assert plan.lora.alpha == 16.0
    assert plan.lora.target_modules == (ALL_LINEAR,)
    assert plan.adapter_dtype == "float32"
    assert plan.trainable_dtype == "float32"
    assert not plan.reference_model_copy


@pytest.mark.parametrize(
    ("method", "precision", "load", "mixed"),
    [
        ("FULL", "bf16", "bfloat16", "bf16"),
        ("FULL", "fp16", "float32", "fp16"),
        ("FULL", "fp32", "float32", None),
        ("LORA", "fp16", "float16", "fp16"),
        ("QLORA", "bf16", "bfloat16", "bf16"),
    ],
)
def test_precision_decides_load_dtype_and_autocast(method: str, precision: str, load: str, mixed: str | None) -> None:
    plan = _plan(method=method, precision=precision, quantBits=4 if method == "QLORA" else None)
    assert (plan.load_dtype, plan.mixed_precision) == (load, mixed)


def test_qlora_adapters_are_bfloat16_as_trl_casts_them() -> None:
    assert _plan(method="QLORA", quantBits=4).adapter_dtype == "bfloat16"
    assert _plan(method="QLORA", quantBits=4, precision="fp16").trainable_dtype == "bfloat16"
    assert _plan(method="LORA", precision="fp16").adapter_dtype == "float32"
    assert _plan(method="FULL", precision="fp16").adapter_dtype is None


def test_qlora_quantises_in_4bit_nf4_and_needs_bitsandbytes() -> None:
    plan = _plan(method="QLORA", quantBits=4, precision="fp16")
    assert plan.quantization.bits == 4
    assert plan.quantization.quant_type == "nf4"
    assert plan.quantization.compute_dtype == "float16"
    assert any(line.startswith("bitsandbytes==") for line in requirements(plan))
    assert not any(line.startswith("bitsandbytes==") for line in requirements(_plan()))


def test_full_dpo_keeps_a_reference_copy_and_lora_dpo_does_not() -> None:
    assert _plan(method="FULL", trainer="DPO", lora=None).reference_model_copy
    assert not _plan(trainer="DPO").reference_model_copy


@pytest.mark.parametrize(
    "changes",
    [
        {"method": None},
        {"maxSeqLength": None},
        {"lora": None},
        {"optimizer": "no-such-optimizer"},
        {"method": "QLORA", "quantBits": 4, "precision": "fp32"},
        {"method": "QLORA", "quantBits": 8},
    ],
)
def test_an_incomplete_or_impossible_choice_has_no_plan(changes: dict[str, Any]) -> None:
    assert _plan(**changes) is None
