"""``trainpack estimate``: the training estimate as a what-if from the shell, with no server and no Hub.

It reads a model's ``config.json``, builds the same ``TrainingPlan`` step 2 would, and prints the
estimate on the shipped hardware catalogue: a table, or one JSON object with ``--json``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from workflow.core.architecture import Architecture, architecture_from_config
from workflow.core.estimate import Estimate, EstimateError, EstimateInput, estimate
from workflow.core.estimate.memory import targeted_linears
from workflow.core.hardware import GIB
from workflow.core.training import ALL_LINEAR, DEFAULT_OPTIMIZER, OPTIMIZERS, plan_training
from workflow.steps import ConfigStepData


class Method(StrEnum):
    """Fine-tuning methods."""

    FULL = "FULL"
    LORA = "LORA"
    QLORA = "QLORA"


class Precision(StrEnum):
    """Training precisions."""

    BF16 = "bf16"
    FP16 = "fp16"
    FP32 = "fp32"


class Trainer(StrEnum):
    """Trainers."""

    SFT = "SFT"
    DPO = "DPO"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(2)


def _read_architecture(path: Path) -> Architecture:
    file = path / "config.json" if path.is_dir() else path
    try:
        config = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(f"{file} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{file} cannot be read: {exc}.") from None
    except json.JSONDecodeError as exc:
        raise _fail(f"{file} is not valid JSON: {exc}.") from None
    if not isinstance(config, dict):
        raise _fail(f"{file} must hold a JSON object.")
    arch = architecture_from_config(config)
    if arch is None:
        raise _fail(f"{file} lacks the decoder's dimensions (hidden size, layers, attention heads, vocabulary).")
    return arch


def run(
    model_config: Annotated[Path, typer.Option(help="The model's config.json (or its folder).")],
    method: Annotated[Method, typer.Option(help="FULL, LORA or QLORA.", case_sensitive=False)],
    precision: Annotated[Precision, typer.Option(help="bf16, fp16 or fp32.", case_sensitive=False)],
    batch_size: Annotated[int, typer.Option(min=1, help="Sequences per GPU and step.")],
    max_seq_length: Annotated[int, typer.Option(min=1, help="Longest sequence trained.")],
    params: Annotated[int | None, typer.Option(min=1, help="Parameter count (else derived from the config).")] = None,
    gradient_accumulation: Annotated[int, typer.Option(min=1, help="Micro-batches per optimizer step.")] = 1,
    gradient_checkpointing: Annotated[bool, typer.Option(help="Recompute activations in the backward.")] = False,
    optimizer: Annotated[str, typer.Option(help=f"Optimizer ({', '.join(OPTIMIZERS)}).")] = DEFAULT_OPTIMIZER,
    lora_r: Annotated[int, typer.Option(min=1, help="LoRA rank (LORA, QLORA).")] = 16,
    target_modules: Annotated[str, typer.Option(help="all-linear, or module names separated by commas.")] = ALL_LINEAR,
    trainer: Annotated[Trainer, typer.Option(help="SFT or DPO.", case_sensitive=False)] = Trainer.SFT,
    epochs: Annotated[float, typer.Option(min=0.01, help="Epochs (for the record).")] = 1.0,
    tokens: Annotated[
        int | None, typer.Option(min=1, help="Tokens trained in the whole run (gives time, cost).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Estimate peak GPU memory, fit, duration and cost on every Spaces flavour."""
    arch = _read_architecture(model_config)
    if optimizer not in OPTIMIZERS:
        raise _fail(f"Unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")
    if method is Method.QLORA and precision is Precision.FP32:
        raise _fail("QLORA computes in 16 bits: choose bf16 or fp16.")
    targets = [name.strip() for name in target_modules.split(",") if name.strip()] or [ALL_LINEAR]
    settings: dict[str, Any] = {
        "method": method.value,
        "trainer": trainer.value,
        "epochs": epochs,
        "learningRate": 1e-4,
        "batchSize": batch_size,
        "gradientAccumulation": gradient_accumulation,
        "maxSeqLength": max_seq_length,
        "precision": precision.value,
        "optimizer": optimizer,
        "gradientCheckpointing": gradient_checkpointing,
    }
    if method is not Method.FULL:
        settings["lora"] = {"r": lora_r, "targetModules": targets}
    if method is Method.QLORA:
        settings["quantBits"] = 4
    plan = plan_training(ConfigStepData.model_validate(settings))
    if plan is None:
        raise _fail("These settings do not make a complete training run.")
    if plan.lora is not None and not plan.lora.all_linear and not targeted_linears(arch, plan.lora.target_modules):
        raise _fail(f"No linear layer named {', '.join(targets)}; the blocks have {', '.join(arch.block_linears())}.")
    try:
        result = estimate(EstimateInput(arch, plan, parameters=params, tokens=tokens))
    except EstimateError as exc:
        raise _fail(f"{exc} (--params N)") from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        _print_table(result)


def _gib(value: float) -> str:
    return f"{value / GIB:.2f}"


def _print_table(result: Estimate) -> None:
    console = Console(width=120)
    memory = result.memory
    console.print(
        f"Peak memory per GPU: [bold]{_gib(memory.total)} GiB[/bold] (at the {memory.phase}); "
        f"{result.parameters:,} parameters, {result.trainable_parameters:,} trained; sequence {result.sequence}"
    )
    breakdown = Table("term", "GiB", title="Breakdown")
    for name, value in memory.terms().items():
        breakdown.add_row(name, _gib(value))
    console.print(breakdown)
    flavours = Table("flavour", "GiB per GPU", "fits", "hours", "USD", "why not", title="Flavours")
    for item in result.flavours:
        flavours.add_row(
            item.name + (" *" if item.name == result.recommended else ""),
            f"{_gib(item.peak_bytes)} / {_gib(item.memory_per_gpu_bytes)}",
            "yes" if item.fits else "no",
            f"{item.hours:.2f}" if item.hours is not None else "-",
            f"{item.usd:.2f}" if item.usd is not None else "-",
            item.reason or "",
        )
    console.print(flavours)
    console.print(f"Recommended (cheapest that fits, *): {result.recommended or 'none fits'}")
    assumptions = Table("assumption", "value", "why", title="Assumptions")
    for assumption in result.assumptions:
        assumptions.add_row(assumption.key, assumption.value, assumption.note)
    console.print(assumptions)
