"""What the workers have learned about a draft's inputs, as seen by the pure rules.

A rule that needs a fact which is still ``None`` reports a PENDING finding instead of
deciding; it is re-run when the worker's result arrives. A worker that failed for good
(model not found, gated, malformed data) leaves a ``Failure`` that the rules turn into an
error with the worker's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from workflow.core.architecture import Architecture


@dataclass(frozen=True)
class Failure:
    """A permanent failure of a worker, with a stable code (e.g. ``HUB_NOT_FOUND``)."""

    code: str
    message: str


@dataclass(frozen=True)
class ModelFacts:
    """The resolved model's metadata (from the resolve-model job)."""

    resolved_sha: str
    context_length: int | None
    module_names: frozenset[str]
    parameter_count: int | None = None
    licence: str | None = None
    gated: bool = False
    dtype: str | None = None
    architecture: str | None = None
    model_type: str | None = None
    size_bytes: int | None = None
    parameters_by_dtype: Mapping[str, int] = field(default_factory=dict)
    # The decoder's dimensions from config.json (``architecture`` above is its class name).
    arch: Architecture | None = None


@dataclass(frozen=True)
class DataProblem:
    """One malformed row of a dataset: 1-based line (or row) number, code and message."""

    line: int
    code: str
    message: str


@dataclass(frozen=True)
class DatasetFacts:
    """A profiled dataset source (from the profile-dataset job)."""

    columns: frozenset[str]
    rows: int
    problems: tuple[DataProblem, ...] = ()
    # Lines (1-based) where a column is missing, null or empty, first few per column: the
    # rules report them for the columns the mapping uses, without re-profiling on a remap.
    column_gaps: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    # A coarse kind per column ("string", "messages", "number", "boolean", "list", "object", "mixed").
    column_kinds: Mapping[str, str] = field(default_factory=dict)
    # The totals behind the capped ``problems`` and ``column_gaps``, so a rule can say "… and N more".
    problem_count: int = 0
    gap_counts: Mapping[str, int] = field(default_factory=dict)
    # Approximate tokens per row (all text columns together): the estimator's training volume.
    token_mean: float | None = None
    token_p95: int | None = None
    token_max: int | None = None


@dataclass(frozen=True)
class FlavourFit:
    """One flavour's line of the estimate, as step 4's rules read it (GiB and USD)."""

    fits: bool
    peak_gib: float
    memory_gib: float
    usd: float | None = None
    hours: float | None = None
    reason: str | None = None

    @property
    def too_small(self) -> bool:
        """Whether memory is what rules the flavour out (not a missing GPU or bfloat16)."""
        return self.peak_gib > self.memory_gib


@dataclass(frozen=True)
class EstimateFacts:
    """The cost estimate of the draft's training (from the estimate-cost job): per flavour, the
    recommended (cheapest fitting) flavour, and the key of the inputs it was computed from."""

    flavours: Mapping[str, FlavourFit]
    recommended: str | None
    inputs_hash: str = ""

    @property
    def fits(self) -> dict[str, bool]:
        """Whether the training fits each flavour."""
        return {name: line.fits for name, line in self.flavours.items()}


@dataclass(frozen=True)
class Facts:
    """Everything the rules may consult beyond the step data itself."""

    model: ModelFacts | None = None
    model_failure: Failure | None = None
    datasets: Mapping[int, DatasetFacts] | None = None
    dataset_failures: Mapping[int, Failure] = field(default_factory=dict)
    secret_names: frozenset[str] | None = None
    estimate: EstimateFacts | None = None
    estimate_failure: Failure | None = None
    # The flavours of the hardware catalogue in use, in order; ``None``: the shipped default table.
    hardware_names: tuple[str, ...] | None = None


NO_FACTS = Facts()
