"""Validation of a draft's steps: one rule module per step, combined here.

``validate_step`` is what the state machine calls. At save time (``for_completion=False``)
missing values are not reported, since drafts may be partial; at completion they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from workflow.facts import Facts
from workflow.issues import Issue, IssueCode, Severity
from workflow.rules import config, dataset, deploy, model
from workflow.steps import PackageContent, Step

_CHECKS: dict[Step, Callable[[PackageContent, Facts], Iterator[Issue]]] = {
    Step.MODEL: model.check,
    Step.CONFIG: config.check,
    Step.DATASET: dataset.check,
    Step.DEPLOY: deploy.check,
}
_COMPLETION_ONLY = frozenset(
    {IssueCode.REQUIRED, IssueCode.DATASET_SOURCE_REQUIRED, IssueCode.COLUMN_MAPPING_INCOMPLETE}
)


@dataclass(frozen=True)
class StepReport:
    """The outcome of validating one step: errors block completion, warnings never do."""

    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]

    @property
    def valid(self) -> bool:
        """Whether nothing blocks the step (it completes once nothing is ``pending`` either)."""
        return not self.errors

    @property
    def pending(self) -> tuple[Issue, ...]:
        """The checks still waiting for a worker's result: pending is not done."""
        return tuple(issue for issue in self.warnings if issue.severity is Severity.PENDING)


def validate_step(step: Step, content: PackageContent, facts: Facts, *, for_completion: bool) -> StepReport:
    """Run every rule of ``step`` (including its dependencies on earlier steps)."""
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for issue in _CHECKS[step](content, facts):
        if not for_completion and issue.code in _COMPLETION_ONLY:
            continue
        (errors if issue.severity is Severity.ERROR else warnings).append(issue)
    return StepReport(tuple(errors), tuple(warnings))
