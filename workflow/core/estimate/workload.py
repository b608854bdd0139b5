"""How much a run trains on: the longest batch (for memory) and the tokens processed (for time) (pure).

The datasets' profiles count approximate tokens per row; step 3 caps each source with
``maxSamples`` and may hold out an evaluation fraction; step 2 truncates at ``maxSeqLength`` and
runs ``epochs``. TRL pads each batch to its longest row (no packing), so the tokens processed
include padding: a batch of ``b`` rows costs about ``b`` times a long row (between the mean and
the 95th percentile), and the peak memory is reached by the longest row the data holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow.core.estimate.assumptions import Assumption
from workflow.core.training import TrainingPlan
from workflow.facts import DatasetFacts
from workflow.steps import DatasetStepData


@dataclass(frozen=True)
class SourceTokens:
    """One dataset source as trained: rows used per epoch and approximate tokens per row."""

    rows: int
    mean: float
    p95: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class DataVolume:
    """The training data of one epoch: its sources, after ``maxSamples`` and the evaluation hold-out."""

    sources: tuple[SourceTokens, ...]

    @property
    def rows(self) -> int:
        """Rows per epoch, every source together."""
        return sum(source.rows for source in self.sources)


@dataclass(frozen=True)
class Workload:
    """What the estimate sizes: ``sequence`` for memory, ``tokens`` (padding included, every epoch)
    for time (``None`` when nothing says how much data there is)."""

    sequence: int
    tokens: float | None
    assumptions: tuple[Assumption, ...]


def _eval_fraction(dataset: DatasetStepData) -> float:
    settings = dataset.eval
    if settings is None or settings.mode != "FRACTION" or settings.fraction is None:
        return 0.0
    return settings.fraction


def volume_from_facts(dataset: DatasetStepData, facts: Mapping[int, DatasetFacts]) -> DataVolume | None:
    """The volume of step 3's sources from their profiles; ``None`` until every source is profiled
    with token statistics."""
    sources = dataset.sources or []
    if not sources or any(index not in facts or facts[index].token_mean is None for index in range(len(sources))):
        return None
    keep = 1.0 - _eval_fraction(dataset)
    counted: list[SourceTokens] = []
    for index, source in enumerate(sources):
        profile = facts[index]
        rows = min(profile.rows, source.max_samples) if source.max_samples is not None else profile.rows
        counted.append(SourceTokens(int(rows * keep), profile.token_mean or 0.0, profile.token_p95, profile.token_max))
    return DataVolume(tuple(counted))


def volume_from_profiles(dataset: DatasetStepData, profiles: Mapping[int, Mapping[str, Any]]) -> DataVolume | None:
    """The same from stored profile JSON (``DatasetProfile.to_json``: ``rows`` and ``rowTokens``)."""
    facts: dict[int, DatasetFacts] = {}
    for index, raw in profiles.items():
        tokens = raw.get("rowTokens") or {}
        facts[index] = DatasetFacts(
            columns=frozenset(),
            rows=int(raw.get("rows", 0)),
            token_mean=float(tokens["mean"]) if tokens.get("mean") is not None else None,
            token_p95=int(tokens["p95"]) if tokens.get("p95") is not None else None,
            token_max=int(tokens["max"]) if tokens.get("max") is not None else None,
        )
    return volume_from_facts(dataset, facts)


def workload(plan: TrainingPlan, volume: DataVolume | None = None, tokens: float | None = None) -> Workload:
    """The run's workload: from the data's volume, or from a stated token total (every epoch, as a
    what-if gives it), or neither (memory at ``maxSeqLength``, no duration)."""
    limit = plan.max_length
    if tokens is not None:
        return Workload(
            limit,
            float(tokens),
            (
                Assumption("tokens", f"{tokens:,.0f}", "Tokens trained in the whole run, as given (epochs included)."),
                Assumption("sequence", str(limit), "Memory is sized for a full batch of maxSeqLength tokens."),
            ),
        )
    if volume is None or not volume.sources:
        return Workload(
            limit,
            None,
            (
                Assumption("sequence", str(limit), "Memory is sized for a full batch of maxSeqLength tokens."),
                Assumption("tokens", "unknown", "No dataset profile or token count: no duration or cost."),
            ),
        )
    longest = max((source.max or limit) for source in volume.sources)
    sequence = min(limit, longest) if longest > 0 else limit
    b = plan.per_device_batch_size
    per_epoch = 0.0
    for source in volume.sources:
        mean = min(source.mean, limit)
        long_row = min(float(source.p95 if source.p95 is not None else source.mean), limit)
        padded = mean if b == 1 else mean + (max(long_row, mean) - mean) * (1 - 1 / b)
        per_epoch += source.rows * padded
    total = per_epoch * plan.epochs
    return Workload(
        sequence,
        total,
        (
            Assumption(
                "sequence",
                str(sequence),
                "The longest batch: maxSeqLength, or the longest profiled row when shorter (rows are not packed).",
            ),
            Assumption(
                "tokens",
                f"{total:,.0f}",
                f"{volume.rows:,} rows × {plan.epochs:g} epochs; each batch of {b} padded to its longest row "
                "(between the mean and the 95th percentile of the profiled, approximate token counts).",
            ),
        ),
    )
