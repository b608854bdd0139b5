"""Issue 16: the training estimator's accuracy against published figures and its speed.

Accuracy: every case of ``tests/support/published_memory.py`` (settings, measured, estimated,
error) and their median absolute error, target ≤ 25 %. Speed: one estimate over the full default
flavour table, the best of several rounds of many calls, target ≤ 1 ms; ratio = 1 ms / measured.
Pure computation: the benchmark needs no database and ignores the harness's URL.
"""

from __future__ import annotations

import time

from bench.support import Measurement, Profile
from tests.support.published_memory import accuracy_rows, format_table, median_absolute_error
from workflow.core.architecture import architecture_from_config
from workflow.core.estimate import EstimateInput, estimate
from workflow.core.estimate.workload import DataVolume, SourceTokens
from workflow.core.hardware import DEFAULT_CATALOGUE
from workflow.core.training import plan_training
from workflow.steps import ConfigStepData

TARGET_SECONDS = 1e-3
TARGET_ERROR = 0.25
LLAMA_8B = {
    "model_type": "llama",
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
}


def _seconds_per_estimate(profile: Profile) -> float:
    """The best round's mean time of one estimate over the whole default catalogue."""
    plan = plan_training(
        ConfigStepData.model_validate(
            {
                "method": "QLORA",
                "quantBits": 4,
                "trainer": "SFT",
                "epochs": 2,
                "learningRate": 2e-4,
                "batchSize": 4,
                "maxSeqLength": 2048,
                "gradientCheckpointing": True,
                "lora": {"r": 16},
            }
        )
    )
    arch = architecture_from_config(LLAMA_8B)
    assert plan is not None and arch is not None
    data = EstimateInput(arch, plan, volume=DataVolume((SourceTokens(50_000, 420.0, 1100, 2400),)))
    calls, rounds = (200, 5) if profile.quick else (1000, 7)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            estimate(data, DEFAULT_CATALOGUE)
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def run(_database_url: str, profile: Profile) -> Measurement:
    """Print the accuracy table, time the estimator, judge both."""
    rows = accuracy_rows()
    print(format_table(rows), flush=True)
    median_error = median_absolute_error(rows)
    seconds = _seconds_per_estimate(profile)
    flavours = len(DEFAULT_CATALOGUE.flavours)
    print(f"  one estimate over {flavours} flavours: {seconds * 1e6:.0f} µs", flush=True)
    return Measurement(
        name="estimate",
        summary=(
            f"median |error| {median_error:.1%} over {len(rows)} published cases (target ≤ {TARGET_ERROR:.0%}); "
            f"{seconds * 1e6:.0f} µs for {flavours} flavours"
        ),
        ratio=TARGET_SECONDS / seconds,
        target="≤ 1 ms per full flavour table, median |error| ≤ 25 %",
        passed=seconds <= TARGET_SECONDS and median_error <= TARGET_ERROR,
        details={"median_abs_error": median_error, "seconds": seconds, "cases": rows},
    )
