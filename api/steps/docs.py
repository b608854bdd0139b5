"""The descriptions of every step field, shared by the typed inputs and outputs.

Keyed by the field's path in the step data (the path issues and diffs use), so an input field
and the output field mirroring it always say the same: meaning, unit, range and default.
Ranges are those of ``workflow/rules``; a value outside them is saved and reported as an issue.
"""

from __future__ import annotations

DOCS: dict[str, str] = {
    # Step 1
    "model": "Step 1: the base model to fine-tune.",
    "model.source": "Where the model comes from: HUB (a Hugging Face repository) or LOCAL (a directory).",
    "model.repoId": "HUB: the repository id, `owner/name` (3-96 characters), e.g. `meta-llama/Llama-3.2-1B`.",
    "model.revision": "HUB: a branch, tag or commit to use. Default: `main`.",
    "model.path": "LOCAL: a directory holding `config.json` and safetensors weights, under the allowed roots.",
    # Step 2
    "config": "Step 2: the training configuration.",
    "config.preset": "The preset the block was filled from (set by `configPreset`); informational.",
    "config.method": "FULL trains every weight; LORA trains adapters; QLORA trains adapters on 4-bit weights.",
    "config.trainer": "SFT (supervised fine-tuning) or DPO (preference optimisation, needs PREFERENCE data).",
    "config.epochs": "Passes over the training data; may be fractional. Range: > 0 and ≤ 100. Presets: 3.",
    "config.learningRate": "Peak learning rate. Range: > 0 and ≤ 1. Presets: 2e-4 (LoRA), 2e-5 (full).",
    "config.batchSize": "Examples per device per step. Range: 1-4096. Presets: 4.",
    "config.gradientAccumulation": "Steps whose gradients are summed before an update. Range: 1-4096. Default: 1.",
    "config.maxSeqLength": "Tokens per example, longer ones truncated. Range: 1 to the model's context length.",
    "config.warmupRatio": "Fraction of the steps spent warming up the learning rate. Range: ≥ 0 and < 1.",
    "config.weightDecay": "Decoupled weight decay. Range: 0-1. Default: 0.",
    "config.scheduler": "Learning-rate schedule after warm-up. Default: LINEAR.",
    "config.optimizer": "A `transformers` optimizer name, e.g. `adamw_torch`, `paged_adamw_8bit`.",
    "config.precision": "Compute precision. QLoRA needs BF16 or FP16. Presets: BF16.",
    "config.gradientCheckpointing": "Recompute activations in the backward pass: less memory, ~30 % slower.",
    "config.seed": "Random seed, for a reproducible run. Range: 0 to 2^32 - 1. Presets: 42.",
    "config.lora": "LoRA adapter settings, used by LORA and QLORA (a FULL run ignores them, with a warning).",
    "config.lora.r": "Adapter rank. Range: 1-1024; required for LORA and QLORA. Presets: 16.",
    "config.lora.alpha": "Adapter scaling (the update is scaled by alpha / r). Range: > 0. Presets: 32.",
    "config.lora.dropout": "Dropout on the adapter's input. Range: ≥ 0 and < 1. Presets: 0.05.",
    "config.lora.targetModules": (
        "Names of the linear modules to adapt, or [`all-linear`]; checked against the resolved model. "
        "A list is replaced whole."
    ),
    "config.quantBits": "QLoRA: bits of the quantised base weights; only 4 is supported. Required for QLORA.",
    # Step 3
    "dataset": "Step 3: the training data and how evaluation data is obtained.",
    "dataset.sources": (
        "The datasets mixed into the training data (at least one; at most the service's limit, 32 by default). "
        "A list is replaced whole: to edit one source, send the whole list as read back, with that one changed."
    ),
    "dataset.sources.source": "Where the data comes from: HUB, UPLOAD (an `uploadDataset` id) or LOCAL (a file).",
    "dataset.sources.repoId": "HUB: the dataset repository id, `owner/name`.",
    "dataset.sources.uploadId": "UPLOAD: the id `uploadDataset` returned (a UUID).",
    "dataset.sources.path": "LOCAL: a JSONL, CSV or Parquet file under the allowed roots.",
    "dataset.sources.subset": "HUB: the configuration (subset) to read. Default: the dataset's default.",
    "dataset.sources.split": "The split to train on. Default: `train`.",
    "dataset.sources.format": "How examples are shaped, which decides the columns to map.",
    "dataset.sources.columnMapping": "Which column of the data holds each role the format needs.",
    "dataset.sources.columnMapping.messages": "CHAT: the column of chat messages (a list of {role, content}).",
    "dataset.sources.columnMapping.prompt": "INSTRUCTION and PREFERENCE: the prompt column.",
    "dataset.sources.columnMapping.completion": "INSTRUCTION: the column of the wanted answer.",
    "dataset.sources.columnMapping.text": "COMPLETION: the column of plain text.",
    "dataset.sources.columnMapping.chosen": "PREFERENCE: the column of the preferred answer.",
    "dataset.sources.columnMapping.rejected": "PREFERENCE: the column of the rejected answer.",
    "dataset.sources.weight": "Relative share of this source in the mix. Range: > 0. Default: 1.",
    "dataset.sources.maxSamples": "Use at most this many examples of the source. Range: ≥ 1. Default: all.",
    "dataset.eval": "How evaluation data is obtained. Default: none.",
    "dataset.eval.mode": "NONE (no evaluation), FRACTION (held out of the training data) or SPLIT (a named split).",
    "dataset.eval.fraction": "FRACTION: the share of the training data held out. Range: > 0 and < 0.5.",
    "dataset.eval.split": "SPLIT: the name of the evaluation split, e.g. `test`.",
    # Step 4
    "deploy": "Step 4: where the training runs and where the result goes.",
    "deploy.target": "HF_SPACE trains on a Hugging Face Space; LOCAL_BUNDLE builds a downloadable bundle.",
    "deploy.space": "HF_SPACE: the Space that runs the training.",
    "deploy.space.owner": "The user or organisation owning the Space (1-96 letters, digits, `-`, `_`, `.`).",
    "deploy.space.name": "The Space's name (1-96 letters, digits, `-`, `_`, `.`).",
    "deploy.space.private": "Whether the Space is private. Default: true.",
    "deploy.space.hardware": "A Spaces hardware flavour, e.g. `a10g-small`; checked against the estimate.",
    "deploy.space.sleepTimeSeconds": "Idle seconds before the Space sleeps. Range: 0 to 604800 (a week).",
    "deploy.hubTokenSecret": "The name of the organisation secret holding the Hub token the Space uses.",
    "deploy.pushTo": "The Hub repository (`owner/name`) the trained model is pushed to.",
    "deploy.budgetUsd": "A cap on the training's cost, in US dollars. Range: > 0 and ≤ 1,000,000. Default: none.",
}


def doc(path: str) -> str:
    """The description of the step field at ``path`` (a missing one is a bug the schema test finds)."""
    return DOCS[path]
