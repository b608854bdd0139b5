"""Named configuration presets that fill step 2 in one click.

A preset fills every field it names; fields the user sets in the same save win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow.errors import ValidationFailedError
from workflow.issues import Issue, IssueCode
from workflow.steps import ConfigStepData, Step, parse_block


@dataclass(frozen=True)
class Preset:
    """A named, documented starting point for the training configuration."""

    key: str
    title: str
    description: str
    values: dict[str, Any]


_COMMON: dict[str, Any] = {
    "trainer": "SFT",
    "epochs": 3,
    "batchSize": 4,
    "gradientAccumulation": 4,
    "maxSeqLength": 2048,
    "warmupRatio": 0.03,
    "weightDecay": 0.0,
    "scheduler": "cosine",
    "optimizer": "adamw_torch",
    "precision": "bf16",
    "gradientCheckpointing": True,
    "seed": 42,
}

PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (
        Preset(
            "lora-default",
            "LoRA default",
            "Rank-16 adapters on every linear layer; a safe first run for most 1-8 B models.",
            {
                **_COMMON,
                "method": "LORA",
                "learningRate": 2e-4,
                "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "targetModules": ["all-linear"]},
            },
        ),
        Preset(
            "qlora-low-memory",
            "QLoRA low memory",
            "4-bit base weights with rank-16 adapters; fits 7-8 B models on a single 24 GB GPU.",
            {
                **_COMMON,
                "method": "QLORA",
                "learningRate": 2e-4,
                "batchSize": 2,
                "gradientAccumulation": 8,
                "quantBits": 4,
                "optimizer": "paged_adamw_8bit",
                "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "targetModules": ["all-linear"]},
            },
        ),
        Preset(
            "full-fine-tune",
            "Full fine-tune",
            "Every weight trained; best quality for small models, needs the most memory.",
            {**_COMMON, "method": "FULL", "learningRate": 2e-5, "epochs": 2},
        ),
    )
}


def apply_preset(key: str, overrides: ConfigStepData | None) -> ConfigStepData:
    """The preset's values with ``overrides`` (the user's own fields) laid on top."""
    preset = PRESETS.get(key)
    if preset is None:
        known = ", ".join(sorted(PRESETS))
        raise ValidationFailedError(
            [Issue("config.preset", IssueCode.UNKNOWN_PRESET, f"Unknown preset {key!r}; known presets: {known}.")]
        )
    user = overrides.to_json() if overrides else {}
    merged = {**preset.values, **user, "preset": key}
    if "lora" in preset.values and "lora" in user:
        # The user's LoRA fields refine the preset's adapter settings rather than replace them all.
        merged["lora"] = {**preset.values["lora"], **user["lora"]}
    block = parse_block(Step.CONFIG, merged)
    assert isinstance(block, ConfigStepData)
    return block
