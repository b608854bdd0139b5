"""Calibration on this machine: real training steps on the CPU against the estimate.

Slow (about a minute; builds the training environment on first use): a randomly initialised
Llama-style decoder of 69 M parameters takes two optimizer steps in a subprocess of the pinned
training stack (``tests/support/memory_probe.py``, which explains how memory is measured: the
resident set's high-water mark above the built model). The growth is compared with the estimate's
device-independent terms above the weights (gradients, optimizer state, activations, the loss's
buffers), for the CPU's variant of the stack (``CPU_STACK``: no CUDA context, the CPU's dropout
and loss-kernel buffers); the weights are compared with the resident growth of building the model.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.training_env import ensure_training_env
from workflow.core.architecture import architecture_from_config
from workflow.core.estimate import EstimateInput, estimate
from workflow.core.estimate.memory import CPU_STACK
from workflow.core.training import plan_training
from workflow.steps import ConfigStepData

PROBE = Path(__file__).resolve().parents[1] / "support" / "memory_probe.py"
DIMENSIONS = {
    "hidden_size": 768,
    "num_layers": 10,
    "num_attention_heads": 12,
    "num_key_value_heads": 4,
    "intermediate_size": 2048,
    "vocab_size": 4096,
}
CONFIG = {
    "model_type": "llama",
    "hidden_size": 768,
    "num_hidden_layers": 10,
    "num_attention_heads": 12,
    "num_key_value_heads": 4,
    "intermediate_size": 2048,
    "vocab_size": 4096,
    "tie_word_embeddings": False,
}
BATCH, SEQUENCE = 4, 512
RUNS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "full fp32": ({"method": "FULL", "precision": "fp32"}, {"load_dtype": "float32"}),
    "lora bf16": (
        {"method": "LORA", "precision": "bf16", "lora": {"r": 16, "dropout": 0.05}},
        {"load_dtype": "bfloat16", "autocast": "bfloat16", "lora_r": 16, "lora_dropout": 0.05},
    ),
}


def _measure(spec: dict[str, Any]) -> dict[str, Any]:
    python = ensure_training_env()
    environment = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [str(python), str(PROBE), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=240,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


@pytest.mark.slow
@pytest.mark.parametrize("run", sorted(RUNS))
def test_a_real_cpu_training_step_matches_the_device_independent_estimate(run: str) -> None:
    config, spec = RUNS[run]
    plan = plan_training(
        ConfigStepData.model_validate(
            {
                "trainer": "SFT",
                "epochs": 1,
                "learningRate": 1e-4,
                "batchSize": BATCH,
                "maxSeqLength": SEQUENCE,
                **config,
            }
        )
    )
    arch = architecture_from_config(CONFIG)
    assert plan is not None and arch is not None
    memory = estimate(EstimateInput(arch, plan, stack=CPU_STACK)).memory
    measured = _measure({**DIMENSIONS, **spec, "sequence": SEQUENCE, "batch_size": BATCH, "steps": 2})
    estimated_training = memory.device_independent - memory.weights - memory.adapters
    training_error = estimated_training / measured["training_bytes"] - 1
    weights_error = (memory.weights + memory.adapters) / measured["weights_bytes"] - 1
    print(
        f"\n{run}: {measured['parameters']:,} parameters; training measured {measured['training_bytes'] / 2**20:.0f} "
        f"MiB, estimated {estimated_training / 2**20:.0f} MiB ({training_error:+.1%}); weights measured "
        f"{measured['weights_bytes'] / 2**20:.0f} MiB, estimated {(memory.weights + memory.adapters) / 2**20:.0f} MiB "
        f"({weights_error:+.1%}); losses {measured['losses']}"
    )
    assert measured["losses"][-1] < measured["losses"][0]  # the steps really trained (same batch twice)
    assert abs(training_error) <= 0.20
    assert abs(weights_error) <= 0.20
