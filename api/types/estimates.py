"""GraphQL types of the training estimate: memory breakdown, per-flavour table, assumptions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Self

import strawberry


@strawberry.type(description="Peak memory of one GPU by term, in GiB.")
class MemoryBreakdown:
    weights: float
    adapters: float
    gradients: float
    optimizer: float = strawberry.field(description="Optimizer state (moments).")
    activations: float
    logits: float = strawberry.field(description="The loss's logits buffers.")
    overhead: float = strawberry.field(description="CUDA context and allocator fragmentation.")


@strawberry.type(description="One hardware flavour's verdict for the training.")
class FlavourEstimate:
    name: str
    fits: bool
    peak_memory_gib: float = strawberry.field(name="peakMemoryGiB", description="Needed per GPU on this flavour.")
    memory_per_gpu_gib: float = strawberry.field(name="memoryPerGpuGiB", description="Available per GPU.")
    hours: float | None = strawberry.field(description="Billed hours, start-up included (null without a volume).")
    usd: float | None = strawberry.field(description="Estimated cost in USD (null without a volume).")
    reason: str | None = strawberry.field(description="Why it does not fit.")


@strawberry.type(description="Something the estimate took as given, shown next to the numbers.")
class EstimateAssumption:
    key: str
    value: str
    note: str


@strawberry.type(description="Memory, time and cost of a training on every flavour, and the cheapest that fits.")
class TrainingEstimate:
    peak_memory_gib: float = strawberry.field(name="peakMemoryGiB", description="Peak per GPU on a single GPU.")
    breakdown: MemoryBreakdown
    peak_phase: str = strawberry.field(description="backward or optimizer step.")
    parameters: float = strawberry.field(description="Parameter count of the model.")
    trainable_parameters: float
    sequence: int = strawberry.field(description="The longest batch's tokens per row, as sized.")
    tokens: float | None = strawberry.field(description="Tokens trained in the whole run (null: unknown).")
    flavours: list[FlavourEstimate]
    recommended: str | None = strawberry.field(description="The cheapest flavour that fits (null: none fits).")
    assumptions: list[EstimateAssumption]
    inputs_hash: str | None = strawberry.field(description="Fingerprint of the inputs (null for a what-if).")
    computed_at: datetime | None = strawberry.field(description="When the estimate job computed it.")

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Self:
        """The GraphQL form of an estimate's JSON (``Estimate.to_json`` plus the job's hash and time)."""
        breakdown = raw.get("breakdownGiB", {})
        return cls(
            peak_memory_gib=float(raw["peakMemoryGiB"]),
            breakdown=MemoryBreakdown(**{name: float(breakdown.get(name, 0.0)) for name in _TERMS}),
            peak_phase=str(raw.get("peakPhase", "")),
            parameters=float(raw.get("parameters", 0)),
            trainable_parameters=float(raw.get("trainableParameters", 0)),
            sequence=int(raw.get("sequence", 0)),
            tokens=raw.get("tokens"),
            flavours=[
                FlavourEstimate(
                    name=line["name"],
                    fits=bool(line["fits"]),
                    peak_memory_gib=float(line["peakMemoryGiB"]),
                    memory_per_gpu_gib=float(line["memoryPerGpuGiB"]),
                    hours=line.get("hours"),
                    usd=line.get("usd"),
                    reason=line.get("reason"),
                )
                for line in raw.get("flavours", ())
            ],
            recommended=raw.get("recommended"),
            assumptions=[EstimateAssumption(**item) for item in raw.get("assumptions", ())],
            inputs_hash=raw.get("inputsHash"),
            computed_at=datetime.fromisoformat(raw["computedAt"]) if raw.get("computedAt") else None,
        )


_TERMS = ("weights", "adapters", "gradients", "optimizer", "activations", "logits", "overhead")
