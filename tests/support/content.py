"""Step data used across tests: a complete, valid package and handy variations."""

from __future__ import annotations

from typing import Any

MODEL: dict[str, Any] = {"source": "HUB", "repoId": "meta-llama/Llama-3.2-1B", "revision": "main"}
CONFIG: dict[str, Any] = {
    "method": "LORA",
    "trainer": "SFT",
    "epochs": 3,
    "learningRate": 0.0002,
    "batchSize": 4,
    "gradientAccumulation": 4,
    "maxSeqLength": 2048,
    "warmupRatio": 0.03,
    "precision": "bf16",
    "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "targetModules": ["all-linear"]},
}
DATASET: dict[str, Any] = {
    "sources": [
        {
            "source": "HUB",
            "repoId": "tatsu-lab/alpaca",
            "split": "train",
            "format": "INSTRUCTION",
            "columnMapping": {"prompt": "instruction", "completion": "output"},
            "weight": 1.0,
        }
    ],
    "eval": {"mode": "FRACTION", "fraction": 0.1},
}
DEPLOY: dict[str, Any] = {"target": "LOCAL_BUNDLE"}

VALID_STEPS: dict[str, dict[str, Any]] = {"model": MODEL, "config": CONFIG, "dataset": DATASET, "deploy": DEPLOY}
STEP_NAMES = ("MODEL", "CONFIG", "DATASET", "DEPLOY")
