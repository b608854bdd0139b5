"""What the workers have learned about a draft's inputs, as seen by the pure rules.

A rule that needs a fact which is still ``None`` reports a PENDING finding instead of
deciding; it is re-run when the worker's result arrives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ModelFacts:
    """The resolved model's metadata (from the resolve-model job)."""

    resolved_sha: str
    context_length: int | None
    module_names: frozenset[str]
    parameter_count: int | None = None
    licence: str | None = None
    gated: bool = False


@dataclass(frozen=True)
class Facts:
    """Everything the rules may consult beyond the step data itself."""

    model: ModelFacts | None = None
    dataset_columns: Mapping[int, frozenset[str]] | None = None
    secret_names: frozenset[str] | None = None
    estimate_fits: Mapping[str, bool] | None = field(default=None)


NO_FACTS = Facts()
