"""Per flavour: whether the training fits and runs, how long it takes and what it costs (pure).

Compute follows the usual count (Kaplan et al. 2020; EleutherAI "Transformer Math 101"): a forward
pass costs 2 FLOPs per weight and token plus the attention scores; a full fine-tune's backward
twice that (≈ 6·P·tokens in all), LoRA's backward skips the frozen weights' gradients (≈ 4·P·tokens),
checkpointing repeats the forward (× 4/3 for a full fine-tune), DPO adds the reference model's
forward. Time is FLOPs over the flavour's peak dense throughput at an assumed utilisation. A
multi-GPU flavour runs data-parallel replicas (each GPU holds a whole copy; the plan does not
shard), so fit is judged per GPU and throughput scales with the GPU count at an efficiency.
Spaces bill by the minute while the Space runs: start-up (download, load, save, push) included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workflow.core.architecture import Architecture, ParameterSplit
from workflow.core.estimate.assumptions import Assumption
from workflow.core.hardware import Flavour
from workflow.core.training import TrainingPlan

MFU = 0.35
"""Model FLOPs utilisation of a single-GPU fine-tune on the pinned stack (typically 0.3-0.5)."""
QLORA_UTILISATION = 0.75
"""QLoRA's share of that: each 4-bit weight is dequantised before its matmul."""
DATA_PARALLEL_EFFICIENCY = 0.9
"""Throughput per GPU of a multi-GPU flavour relative to one GPU (gradient all-reduce)."""
STARTUP_MINUTES = 10.0
"""Billed minutes outside the training loop: downloading and loading the model, saving and pushing."""


@dataclass(frozen=True)
class FlavourEstimate:
    """One flavour's verdict: fits (memory per GPU and the precision it supports), peak bytes per GPU,
    hours and dollars (``None`` without a token count), and why it does not fit."""

    name: str
    fits: bool
    peak_bytes: float
    memory_per_gpu_bytes: int
    hours: float | None
    usd: float | None
    reason: str | None = None

    def to_json(self) -> dict[str, object]:
        """The client-visible form (GiB rounded to two places)."""
        return {
            "name": self.name,
            "fits": self.fits,
            "peakMemoryGiB": round(self.peak_bytes / 1024**3, 2),
            "memoryPerGpuGiB": round(self.memory_per_gpu_bytes / 1024**3, 2),
            "hours": round(self.hours, 3) if self.hours is not None else None,
            "usd": round(self.usd, 2) if self.usd is not None else None,
            "reason": self.reason,
        }


def flops_per_token(arch: Architecture, split: ParameterSplit, plan: TrainingPlan, sequence: int) -> float:
    """Training FLOPs per trained token (the longest-batch ``sequence`` sets the attention's share)."""
    matmul_weights = split.linear + arch.vocab_size * arch.hidden_size  # the head projects every token
    attention = 2 * arch.num_layers * arch.q_size * sequence  # causal QKᵀ and AV, forward
    forward = 2 * matmul_weights + attention
    passes = 3.0 if plan.lora is None else 2.0  # forward + backward (input and, for a full run, weight grads)
    if plan.gradient_checkpointing:
        passes += 1.0
    if plan.trainer == "DPO":
        passes += 1.0  # the reference model's forward
    return forward * passes


def utilisation(plan: TrainingPlan) -> float:
    """The assumed fraction of peak throughput the run achieves on one GPU."""
    return MFU * (QLORA_UTILISATION if plan.quantization is not None else 1.0)


def throughput(flavour: Flavour, plan: TrainingPlan) -> float:
    """Sustained FLOP/s of the whole flavour for this plan (0 without a GPU)."""
    if not flavour.has_gpu:
        return 0.0
    fp32 = plan.load_dtype == "float32" and plan.mixed_precision is None
    peak = (flavour.fp32_tflops_per_gpu if fp32 else flavour.tflops_per_gpu) * 1e12
    gpus = flavour.gpu_count * (DATA_PARALLEL_EFFICIENCY if flavour.gpu_count > 1 else 1.0)
    return peak * utilisation(plan) * gpus


def _unsupported(flavour: Flavour, plan: TrainingPlan) -> str | None:
    if not flavour.has_gpu:
        return "CPU only: the training needs a GPU."
    uses_bf16 = plan.mixed_precision == "bf16" or plan.load_dtype == "bfloat16"
    if uses_bf16 and not flavour.bf16:
        return f"{flavour.accelerator} has no bfloat16; choose fp16 precision."
    return None


def flavour_estimate(flavour: Flavour, plan: TrainingPlan, peak_bytes: float, flops: float | None) -> FlavourEstimate:
    """The verdict for one flavour given the peak bytes per GPU on it and the run's FLOPs."""
    reason = _unsupported(flavour, plan)
    if reason is None and peak_bytes > flavour.memory_per_gpu_bytes:
        reason = (
            f"Needs {peak_bytes / 1024**3:.1f} GiB per GPU; {flavour.name} has {flavour.memory_per_gpu_gib:.1f} GiB."
        )
    fits = reason is None
    hours = usd = None
    speed = throughput(flavour, plan)
    if flops is not None and speed > 0:
        minutes = math.ceil(STARTUP_MINUTES + flops / speed / 60)
        hours = minutes / 60
        usd = hours * flavour.usd_per_hour
    return FlavourEstimate(flavour.name, fits, peak_bytes, flavour.memory_per_gpu_bytes, hours, usd, reason)


def cheapest(estimates: list[FlavourEstimate], prices: dict[str, float]) -> str | None:
    """The flavour that fits at the lowest cost (the lowest hourly price when no cost is known)."""
    fitting = [estimate for estimate in estimates if estimate.fits]
    if not fitting:
        return None
    best = min(
        fitting,
        key=lambda item: (item.usd if item.usd is not None else prices[item.name], prices[item.name], item.name),
    )
    return best.name


def cost_assumptions(plan: TrainingPlan) -> tuple[Assumption, ...]:
    """The assumptions behind the durations and costs."""
    passes = "6·P" if plan.lora is None else "4·P"
    return (
        Assumption(
            "flops",
            f"≈ {passes}·tokens" + (" × 4/3 (checkpointing)" if plan.gradient_checkpointing else ""),
            "Training FLOPs per token: forward 2·P plus attention; the backward twice that for a full fine-tune, "
            "once for adapters (frozen weights need no weight gradients); checkpointing repeats the forward"
            + ("; DPO adds the reference forward." if plan.trainer == "DPO" else "."),
        ),
        Assumption(
            "utilisation",
            f"{utilisation(plan):.0%}",
            f"Of the GPU's peak dense 16-bit TFLOPs (float32 TFLOPs for an fp32 run); {MFU:.0%} model FLOPs "
            f"utilisation" + (f", × {QLORA_UTILISATION:g} for 4-bit dequantisation." if plan.quantization else "."),
        ),
        Assumption(
            "multiGpu",
            f"data-parallel, {DATA_PARALLEL_EFFICIENCY:.0%} efficiency",
            "A multi-GPU flavour runs one full replica per GPU (the plan does not shard): memory is judged per "
            "GPU (DDP's gradient buckets add a copy of the gradients) and throughput scales with the GPU count.",
        ),
        Assumption(
            "billing",
            f"per minute, + {STARTUP_MINUTES:g} min start-up",
            "Spaces bill each started minute while running; building is free; downloading, loading, saving and "
            "pushing the model are billed.",
        ),
        Assumption("cpu", "never fits", "CPU flavours cannot run a GPU training in useful time."),
    )
