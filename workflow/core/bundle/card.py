"""``README.md``: the Spaces YAML header and the model card of the training the bundle runs.

The header makes the bundle a Docker Space on the app port; the card says what is trained
from what (base model and commit, datasets and their pins), how (method, trainer and every
hyperparameter, as ``train.yaml`` has them), what it was estimated to cost, and under which
licence the result falls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from workflow.core.bundle.inputs import BundleInputs
from workflow.core.bundle.space import APP_PORT
from workflow.core.bundle.train_config import OUTPUT_DIR, trl_version
from workflow.core.bundle.yaml_text import Entry, render_yaml
from workflow.core.training import TrainingPlan

METHOD_NAMES = {"FULL": "Full fine-tune", "LORA": "LoRA fine-tune", "QLORA": "QLoRA fine-tune (4-bit NF4 base)"}
SHORT_METHOD_NAMES = {"FULL": "Full", "LORA": "LoRA", "QLORA": "QLoRA"}
SHORT_DESCRIPTION_CHARS = 60
"""The Hub's limit for a Space's ``short_description``."""


def readme(inputs: BundleInputs, plan: TrainingPlan, datasets: Mapping[str, Any], format_version: int) -> str:
    """The README: front matter, then the card's sections."""
    model = inputs.content.model
    base = model.repo_id if model.source == "HUB" and model.repo_id else "a local model"
    description = f"{SHORT_METHOD_NAMES[plan.method]} {plan.trainer} of {base}"
    header: list[Entry] = [
        ("title", f"{inputs.package_name} v{inputs.version}"),
        ("sdk", "docker"),
        ("app_port", APP_PORT),
        ("pinned", False),
        ("short_description", _shortened(description, SHORT_DESCRIPTION_CHARS)),
        ("tags", ["trainpack", "fine-tuning", plan.trainer.lower(), plan.method.lower()]),
    ]
    sections = [
        f"# {inputs.package_name}, version {inputs.version}",
        f"{METHOD_NAMES[plan.method]} of `{base}` with TRL {trl_version()}'s {plan.trainer} trainer. "
        "This Space trains as soon as it starts and reports its progress as JSON on its app port.",
        "## Base model",
        _table(("Item", "Value"), _model_rows(inputs)),
        "## Datasets",
        _table(
            ("#", "Source", "Pinned at", "Format", "Columns", "Weight", "Max samples"),
            [_dataset_row(source) for source in datasets["sources"]],
        ),
        f"Evaluation: {_evaluation(datasets['eval'])}.",
        "## Method and hyperparameters",
        _table(("Setting", "Value"), _hyperparameters(plan)),
    ]
    if inputs.estimate:
        sections += [
            "## Estimate",
            _table(("Figure", "Value"), [(key, inputs.estimate[key]) for key in sorted(inputs.estimate)]),
        ]
    sections += [
        "## Running it",
        f"As a Docker Space: the `Dockerfile` installs `requirements.txt` and runs `status.py`, which starts "
        f"`train.py` and answers `GET /` on port {APP_PORT} with the state and the last progress line. Give the "
        "Space an `HF_TOKEN` secret when the base model or a dataset is gated, or the result is pushed.",
        "Elsewhere: `pip install -r requirements.txt`, then `python train.py`; `--model DIR`, `--data-dir DIR`, "
        f"`--output-dir DIR`, `--max-steps N`, `--cpu` and `--no-push` override the bundle for a local run. "
        f"The result is saved under `{OUTPUT_DIR}/`.",
        "## Reproducibility",
        f"Content hash `{inputs.content_hash}`, bundle format {format_version}. `manifest.json` lists the sha256 "
        "and size of every file; the model and every dataset are pinned to a commit or a sha256.",
        "## Licence",
        f"The trained weights derive from `{base}`, licensed under {_licence(inputs.model.licence)}; "
        "each dataset keeps its own licence.",
    ]
    return "---\n" + render_yaml(header) + "---\n\n" + "\n\n".join(sections) + "\n"


def _model_rows(inputs: BundleInputs) -> list[tuple[str, object]]:
    facts, model = inputs.model, inputs.content.model
    rows: list[tuple[str, object]] = []
    if model.source == "HUB":
        rows += [("Model", f"`{model.repo_id}`"), ("Revision", f"`{facts.resolved_sha}`")]
    else:
        rows.append(("Model", "a local model folder (pass `--model DIR`)"))
    rows.append(("Licence", _licence(facts.licence)))
    if facts.parameter_count is not None:
        rows.append(("Parameters", f"{facts.parameter_count:,}"))
    if facts.architecture:
        rows.append(("Architecture", facts.architecture))
    if facts.gated:
        rows.append(("Access", "gated: the Space needs a token that may read it"))
    return rows


def _dataset_row(source: Mapping[str, Any]) -> tuple[object, ...]:
    if "file" in source:
        where = f"file `{source['fileName']}` (`{source['file']}`)"
        pin = f"sha256 `{source['sha256']}`"
    else:
        subset = f", subset `{source['subset']}`" if source.get("subset") else ""
        where = f"`{source['repoId']}` (split `{source['split']}`{subset})"
        pin = f"commit `{source['revision']}`"
    columns = ", ".join(f"{role} ← `{column}`" for role, column in source["columnMapping"].items())
    cap = source["maxSamples"] if source["maxSamples"] is not None else "all"
    return (source["index"], where, pin, source["format"], columns, source["weight"], cap)


def _evaluation(evaluation: Mapping[str, Any]) -> str:
    if evaluation["mode"] == "FRACTION":
        return f"a held-out {evaluation['fraction'] * 100:g}% of every source (before weighting)"
    if evaluation["mode"] == "SPLIT":
        return f"split `{evaluation['split']}` of every Hub source"
    return "none"


def _hyperparameters(plan: TrainingPlan) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = [
        ("Method", METHOD_NAMES[plan.method]),
        ("Trainer", plan.trainer),
        ("Weights loaded as", plan.load_dtype),
        ("Mixed precision", plan.mixed_precision or "off"),
        ("Epochs", plan.epochs),
        ("Learning rate", plan.learning_rate),
        ("Scheduler", plan.scheduler),
        ("Warmup (fraction of steps)", plan.warmup_ratio),
        ("Weight decay", plan.weight_decay),
        ("Batch size per device", plan.per_device_batch_size),
        ("Gradient accumulation", plan.gradient_accumulation),
        ("Effective batch size", plan.effective_batch_size),
        ("Max sequence length", plan.max_length),
        ("Optimizer", plan.optimizer.name),
        ("Activation checkpointing", "on" if plan.gradient_checkpointing else "off"),
        ("Seed", plan.seed),
    ]
    if plan.lora is not None:
        rows += [
            ("LoRA rank", plan.lora.r),
            ("LoRA alpha", plan.lora.alpha),
            ("LoRA dropout", plan.lora.dropout),
            ("LoRA targets", ", ".join(plan.lora.target_modules)),
        ]
    if plan.quantization is not None:
        quant = plan.quantization
        double = ", double quantisation" if quant.double_quant else ""
        described = f"{quant.bits}-bit {quant.quant_type}{double}, computing in {quant.compute_dtype}"
        rows.append(("Quantisation", described))
    if plan.dpo_beta is not None:
        rows.append(("DPO beta", plan.dpo_beta))
    return rows


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    text = repr(value) if isinstance(value, float) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _licence(licence: str | None) -> str:
    return f"`{licence}`" if licence else "a licence the model does not declare (check it before use)"


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
