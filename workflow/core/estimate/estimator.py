"""The training estimate: peak memory per GPU, per-flavour fit, time and cost, the cheapest flavour
that fits, and the assumptions behind every number (pure).

``estimate`` takes the model's dimensions, the ``TrainingPlan`` (the run the bundle renders) and
the data's volume; ``estimate_for_package`` assembles those from a package's content and the facts
the workers learned, so the job, the what-if query and the CLI all compute the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow.core.architecture import Architecture, parameter_count, scaled_split
from workflow.core.estimate.assumptions import Assumption
from workflow.core.estimate.cost import FlavourEstimate, cheapest, cost_assumptions, flavour_estimate, flops_per_token
from workflow.core.estimate.memory import (
    BYTES,
    DEFAULT_STACK,
    MemoryBreakdown,
    MemoryInput,
    Stack,
    adapter_dtype,
    adapter_parameters,
    peak_memory,
)
from workflow.core.estimate.workload import DataVolume, volume_from_facts, workload
from workflow.core.hardware import DEFAULT_CATALOGUE, GIB, Catalogue
from workflow.core.training import TrainingPlan, plan_training
from workflow.facts import Facts
from workflow.steps import PackageContent


@dataclass(frozen=True)
class EstimateInput:
    """Everything an estimate reads: the shape, the parameter count (``None``: derived from the shape),
    the plan, the data (a profiled volume, or a token total for a what-if) and the stack's behaviour."""

    arch: Architecture
    plan: TrainingPlan
    parameters: int | None = None
    volume: DataVolume | None = None
    tokens: float | None = None
    stack: Stack = DEFAULT_STACK


@dataclass(frozen=True)
class Estimate:
    """The estimate of one training run on every flavour of a catalogue."""

    memory: MemoryBreakdown
    flavours: tuple[FlavourEstimate, ...]
    recommended: str | None
    assumptions: tuple[Assumption, ...]
    parameters: int
    trainable_parameters: int
    sequence: int
    tokens: float | None

    @property
    def fits(self) -> dict[str, bool]:
        """Whether the training fits each flavour (what step 4's hardware rule consults)."""
        return {flavour.name: flavour.fits for flavour in self.flavours}

    def flavour(self, name: str) -> FlavourEstimate | None:
        """The verdict for one flavour, if the catalogue has it."""
        return next((item for item in self.flavours if item.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The client-visible form (also what ``trainpack estimate --json`` prints)."""
        return {
            "peakMemoryGiB": round(self.memory.total / GIB, 2),
            "breakdownGiB": {name: round(value / GIB, 3) for name, value in self.memory.terms().items()},
            "peakPhase": self.memory.phase,
            "parameters": self.parameters,
            "trainableParameters": self.trainable_parameters,
            "sequence": self.sequence,
            "tokens": round(self.tokens) if self.tokens is not None else None,
            "flavours": [flavour.to_json() for flavour in self.flavours],
            "recommended": self.recommended,
            "assumptions": [assumption.to_json() for assumption in self.assumptions],
        }


class EstimateError(ValueError):
    """The inputs cannot be estimated (no parameter count for an unknown family, …)."""


def estimate(data: EstimateInput, catalogue: Catalogue = DEFAULT_CATALOGUE) -> Estimate:
    """Estimate ``data`` on every flavour of ``catalogue``."""
    arch, plan, stack = data.arch, data.plan, data.stack
    parameters = data.parameters if data.parameters is not None else parameter_count(arch)
    if parameters is None or parameters <= 0:
        raise EstimateError(
            f"No parameter count: {arch.model_type or 'this'} family is not derivable from its config; state it."
        )
    split = scaled_split(arch, parameters)
    load = workload(plan, data.volume, data.tokens)
    flops = load.tokens * flops_per_token(arch, split, plan, load.sequence) if load.tokens is not None else None
    single = peak_memory(MemoryInput(arch, split, plan, load.sequence, stack))
    multi = peak_memory(MemoryInput(arch, split, plan, load.sequence, stack, gpu_count=2))
    flavours = tuple(
        flavour_estimate(flavour, plan, (multi if flavour.gpu_count > 1 else single).total, flops)
        for flavour in catalogue.flavours
    )
    prices = {flavour.name: flavour.usd_per_hour for flavour in catalogue.flavours}
    trainable = adapter_parameters(arch, plan) if plan.lora is not None else split.total
    assumptions = (
        *load.assumptions,
        *_memory_assumptions(plan, stack, single),
        *cost_assumptions(plan),
        Assumption("catalogue", catalogue.as_of, f"Flavours and prices: {catalogue.source}."),
        *(Assumption("catalogue.note", "", note) for note in catalogue.notes),
    )
    return Estimate(
        memory=single,
        flavours=flavours,
        recommended=cheapest(list(flavours), prices),
        assumptions=assumptions,
        parameters=parameters,
        trainable_parameters=trainable,
        sequence=load.sequence,
        tokens=load.tokens,
    )


def estimate_for_package(
    content: PackageContent, facts: Facts, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> Estimate | None:
    """The estimate of a package's training, or ``None`` while the model's dimensions or a complete
    step 2 are missing. Without every dataset profiled, memory is sized at ``maxSeqLength`` and no
    duration is given."""
    plan = plan_training(content.config)
    model = facts.model
    if plan is None or model is None or model.arch is None:
        return None
    volume = volume_from_facts(content.dataset, facts.datasets) if facts.datasets else None
    return estimate(EstimateInput(model.arch, plan, model.parameter_count, volume), catalogue)


def _memory_assumptions(plan: TrainingPlan, stack: Stack, memory: MemoryBreakdown) -> tuple[Assumption, ...]:
    weights: str = plan.load_dtype
    if plan.quantization is not None:
        weights = f"nf4 + {plan.quantization.compute_dtype}"
    optimizer = plan.optimizer
    state = f"{optimizer.state_values} × {optimizer.state_bytes or 'parameter dtype'} B"
    adapters = adapter_dtype(plan, stack)
    items = [
        Assumption(
            "weights",
            weights,
            "Block linears in 4-bit NF4 with double-quantised constants (4.127 bits), the rest in the compute dtype."
            if plan.quantization
            else f"Loaded as {plan.load_dtype} ({BYTES[plan.load_dtype]} B per parameter)"
            + (
                ", with autocast's 16-bit copies of the linears."
                if plan.mixed_precision and weights == "float32"
                else "."
            ),
        ),
        Assumption(
            "optimizer",
            f"{optimizer.name} ({state})",
            "Moments per trainable parameter"
            + (
                "; the foreach step allocates one more moment-sized buffer." if optimizer.name == "adamw_torch" else "."
            ),
        ),
        Assumption(
            "activations",
            "checkpointed" if plan.gradient_checkpointing else "kept",
            "Checkpointing keeps each block's input and recomputes one block at a time."
            if plan.gradient_checkpointing
            else "Every block keeps its saved tensors (SDPA attention: no sequence × sequence matrix).",
        ),
        Assumption(
            "logits",
            stack.loss,
            "TRL computes the loss in 4096 × 32768 tiles without materialising the logits."
            if stack.loss == "chunked"
            else "Full logits are materialised for the cross-entropy.",
        ),
        Assumption(
            "overhead",
            f"{stack.cuda_context_bytes / GIB:.2f} GiB + {stack.fragmentation:.0%}",
            "CUDA context and kernels outside torch's allocator, plus the caching allocator's fragmentation.",
        ),
        Assumption("peak", memory.phase, "The larger of the backward pass and the optimizer step."),
    ]
    if adapters is not None:
        items.insert(
            1,
            Assumption(
                "adapters", adapters, "LoRA weights, gradients and moments in this dtype (TRL / PEFT defaults)."
            ),
        )
    if plan.trainer == "DPO":
        items.append(
            Assumption(
                "dpo",
                "chosen + rejected",
                "Each batch holds both completions; a full fine-tune keeps a frozen reference copy, adapters do not.",
            )
        )
    return tuple(items)
