"""The estimator's behaviour: memory by method and settings, per-flavour fit, time, cost, the
recommendation, the assumptions, and the path from a package's content and facts."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from tests.workflow.test_architecture import LLAMA_3_1_8B, LLAMA_3_2_1B
from workflow.core.architecture import Architecture, architecture_from_config
from workflow.core.estimate import Estimate, EstimateError, EstimateInput, estimate, estimate_for_package
from workflow.core.estimate.cost import STARTUP_MINUTES
from workflow.core.estimate.workload import DataVolume, SourceTokens, volume_from_profiles
from workflow.core.hardware import DEFAULT_CATALOGUE, FLAVOURS_BY_NAME, GIB
from workflow.core.training import TrainingPlan, plan_training
from workflow.facts import DatasetFacts, Facts, ModelFacts
from workflow.steps import ConfigStepData, DatasetStepData, PackageContent

BASE: dict[str, Any] = {"trainer": "SFT", "epochs": 1, "learningRate": 2e-4, "batchSize": 4, "maxSeqLength": 1024}


def _arch(config: dict[str, Any] = LLAMA_3_2_1B) -> Architecture:
    arch = architecture_from_config(config)
    assert arch is not None
    return arch


def _plan(**changes: Any) -> TrainingPlan:
    settings = {**BASE, "method": "LORA", "lora": {"r": 16}, **changes}
    plan = plan_training(ConfigStepData.model_validate(settings))
    assert plan is not None
    return plan


def _estimate(config: dict[str, Any] = LLAMA_3_2_1B, tokens: float | None = None, **changes: Any) -> Estimate:
    return estimate(EstimateInput(_arch(config), _plan(**changes), tokens=tokens))


def test_memory_falls_from_full_to_lora_to_qlora() -> None:
    full = _estimate(method="FULL").memory
    lora = _estimate().memory
    qlora = _estimate(method="QLORA", quantBits=4).memory
    assert full.total > lora.total > qlora.total
    assert full.gradients + full.optimizer > 4 * 1.2e9  # bf16 moments and gradients of 1.24 B parameters
    assert qlora.weights < 0.5 * lora.weights
    assert lora.adapters > 0 and full.adapters == 0


def test_activations_follow_batch_sequence_and_checkpointing() -> None:
    small = _estimate().memory.activations
    assert _estimate(batchSize=8).memory.activations == pytest.approx(2 * small, rel=0.01)
    assert _estimate(maxSeqLength=2048).memory.activations == pytest.approx(2 * small, rel=0.01)
    assert _estimate(gradientCheckpointing=True).memory.activations < small / 4


def test_breakdown_sums_to_the_peak() -> None:
    memory = _estimate(method="FULL").memory
    assert sum(memory.terms().values()) == pytest.approx(memory.total)
    assert memory.device_independent == pytest.approx(memory.total - memory.overhead)


def test_a_full_bf16_finetune_of_8b_does_not_fit_80_gb_but_lora_does() -> None:
    full = _estimate(LLAMA_3_1_8B, method="FULL", batchSize=1)
    assert not full.fits["a100-large"]
    assert full.memory.phase == "optimizer step"
    lora = _estimate(LLAMA_3_1_8B, batchSize=1, gradientCheckpointing=True)
    assert lora.fits["a100-large"] and lora.fits["l40sx1"]


def test_cpu_never_fits_and_t4_has_no_bfloat16() -> None:
    bf16 = _estimate()
    assert not bf16.fits["cpu-basic"] and not bf16.fits["cpu-upgrade"]
    t4 = bf16.flavour("t4-small")
    assert t4 is not None and not t4.fits and "bfloat16" in (t4.reason or "")
    fp16 = _estimate(precision="fp16")
    assert fp16.fits["t4-small"]


def test_a_too_small_gpu_says_how_much_is_needed() -> None:
    result = _estimate(LLAMA_3_1_8B, method="FULL", batchSize=1)
    a10g = result.flavour("a10g-small")
    assert a10g is not None and not a10g.fits
    assert "GiB per GPU" in (a10g.reason or "") and "22.5 GiB" in (a10g.reason or "")


def test_multi_gpu_fit_is_per_gpu_with_ddp_buckets() -> None:
    result = _estimate(method="FULL")
    single, multi = result.flavour("a10g-large"), result.flavour("a10g-largex2")
    assert single is not None and multi is not None
    assert multi.peak_bytes > single.peak_bytes
    assert multi.memory_per_gpu_bytes == single.memory_per_gpu_bytes
    assert multi.hours is None


def test_time_and_cost_are_billed_per_minute() -> None:
    result = _estimate(tokens=50_000_000)
    for item in result.flavours:
        if item.hours is None:
            assert not FLAVOURS_BY_NAME[item.name].has_gpu
            continue
        minutes = item.hours * 60
        assert minutes == round(minutes) and minutes > STARTUP_MINUTES
        assert item.usd == pytest.approx(item.hours * FLAVOURS_BY_NAME[item.name].usd_per_hour)
    a100, l4 = result.flavour("a100-large"), result.flavour("l4x1")
    assert a100 is not None and l4 is not None and a100.hours is not None and l4.hours is not None
    assert a100.hours < l4.hours


def test_full_costs_about_half_again_lora_and_checkpointing_a_third_more() -> None:
    def train_minutes(**changes: Any) -> float:
        item = _estimate(tokens=2_000_000_000, **changes).flavour("a100-large")
        assert item is not None and item.hours is not None
        return item.hours * 60 - STARTUP_MINUTES

    lora = train_minutes()
    assert train_minutes(method="FULL") / lora == pytest.approx(1.5, rel=0.02)
    assert train_minutes(method="FULL", gradientCheckpointing=True) / train_minutes(method="FULL") == pytest.approx(
        4 / 3, rel=0.02
    )


def test_recommended_is_the_cheapest_flavour_that_fits() -> None:
    result = _estimate(LLAMA_3_1_8B, tokens=100_000_000, batchSize=1, gradientCheckpointing=True)
    assert result.recommended is not None
    chosen = result.flavour(result.recommended)
    assert chosen is not None and chosen.fits and chosen.usd is not None
    assert all(item.usd is None or item.usd >= chosen.usd for item in result.flavours if item.fits)
    without_tokens = _estimate(LLAMA_3_1_8B, batchSize=1, gradientCheckpointing=True)
    prices = {item.name: FLAVOURS_BY_NAME[item.name].usd_per_hour for item in without_tokens.flavours if item.fits}
    assert without_tokens.recommended == min(prices, key=lambda name: (prices[name], name))


def test_nothing_fits_means_no_recommendation() -> None:
    huge = {**LLAMA_3_1_8B, "num_hidden_layers": 400}
    result = _estimate(huge, method="FULL", batchSize=1)
    assert result.recommended is None and not any(result.fits.values())


def test_dpo_full_keeps_a_reference_copy() -> None:
    sft = _estimate(method="FULL").memory
    dpo = _estimate(method="FULL", trainer="DPO").memory
    assert dpo.weights == pytest.approx(2 * sft.weights)


def test_assumptions_are_data_next_to_the_numbers() -> None:
    result = _estimate(tokens=1_000_000)
    keys = {assumption.key for assumption in result.assumptions}
    assert {"tokens", "sequence", "weights", "adapters", "optimizer", "activations", "logits", "overhead"} <= keys
    assert {"flops", "utilisation", "multiGpu", "billing", "cpu", "catalogue"} <= keys
    document = result.to_json()
    assert set(document) >= {"peakMemoryGiB", "breakdownGiB", "flavours", "recommended", "assumptions"}
    assert set(document["breakdownGiB"]) == {
        "weights",
        "adapters",
        "gradients",
        "optimizer",
        "activations",
        "logits",
        "overhead",
    }
    assert document["flavours"][0].keys() >= {"name", "fits", "hours", "usd"}
    assert document["peakMemoryGiB"] == round(result.memory.total / GIB, 2)


def test_an_unknown_family_needs_a_stated_count() -> None:
    arch = _arch({**LLAMA_3_1_8B, "model_type": "mixtral"})
    with pytest.raises(EstimateError, match="parameter count"):
        estimate(EstimateInput(arch, _plan()))
    assert estimate(EstimateInput(arch, _plan(), parameters=46_700_000_000)).parameters == 46_700_000_000


def test_the_volume_comes_from_profiles_with_max_samples_and_eval_fraction() -> None:
    dataset = DatasetStepData.model_validate(
        {"sources": [{"maxSamples": 100}, {}], "eval": {"mode": "FRACTION", "fraction": 0.1}}
    )
    profiles = {
        0: {"rows": 1000, "rowTokens": {"mean": 200.0, "p95": 400, "max": 900}},
        1: {"rows": 50, "rowTokens": {"mean": 100.0, "p95": 150, "max": 160}},
    }
    volume = volume_from_profiles(dataset, profiles)
    assert volume == DataVolume((SourceTokens(90, 200.0, 400, 900), SourceTokens(45, 100.0, 150, 160)))
    assert volume_from_profiles(dataset, {0: profiles[0]}) is None
    assert volume_from_profiles(dataset, {**profiles, 1: {"rows": 50, "rowTokens": None}}) is None


def test_tokens_include_padding_and_epochs_and_sequence_is_the_longest_row() -> None:
    volume = DataVolume((SourceTokens(1000, 200.0, 400, 700),))
    plan = _plan(batchSize=1, epochs=2)
    one = estimate(EstimateInput(_arch(), plan, volume=volume))
    assert one.tokens == pytest.approx(2 * 1000 * 200)
    assert one.sequence == 700
    padded = estimate(EstimateInput(_arch(), _plan(batchSize=4, epochs=2), volume=volume))
    assert padded.tokens == pytest.approx(2 * 1000 * (200 + 200 * 0.75))
    capped = estimate(EstimateInput(_arch(), _plan(batchSize=1, maxSeqLength=128), volume=volume))
    assert capped.sequence == 128
    assert capped.tokens == pytest.approx(1000 * 128)


def _content(**config: Any) -> PackageContent:
    return PackageContent.model_validate(
        {
            "config": {**BASE, "method": "LORA", "lora": {"r": 8}, **config},
            "dataset": {"sources": [{"maxSamples": 500}]},
        }
    )


def test_estimate_for_package_needs_the_architecture_and_a_complete_config() -> None:
    model = ModelFacts(resolved_sha="c" * 40, context_length=131072, module_names=frozenset(), parameter_count=None)
    assert estimate_for_package(_content(), Facts(model=model)) is None
    arch = _arch()
    with_arch = ModelFacts(
        resolved_sha="c" * 40, context_length=131072, module_names=frozenset(), parameter_count=1_235_814_400, arch=arch
    )
    assert estimate_for_package(_content(epochs=None), Facts(model=with_arch)) is None
    pending = estimate_for_package(_content(), Facts(model=with_arch))
    assert pending is not None and pending.tokens is None and pending.sequence == 1024
    profiled = Facts(
        model=with_arch,
        datasets={
            0: DatasetFacts(columns=frozenset({"text"}), rows=2000, token_mean=300.0, token_p95=600, token_max=800)
        },
    )
    result = estimate_for_package(_content(), profiled)
    assert result is not None and result.sequence == 800
    assert result.tokens == pytest.approx(500 * (300 + 300 * 0.75))
    assert result.recommended is not None


def test_a_full_flavour_table_takes_under_a_millisecond() -> None:
    data = EstimateInput(_arch(LLAMA_3_1_8B), _plan(), volume=DataVolume((SourceTokens(10_000, 300.0, 700, 1000),)))
    estimate(data)
    best = math.inf
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(50):
            estimate(data, DEFAULT_CATALOGUE)
        best = min(best, (time.perf_counter() - started) / 50)
    assert best < 1e-3
