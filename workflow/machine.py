"""The draft state machine: saving, completing, opening and publishing steps.

Pure functions over immutable ``VersionState`` values, so every rule of the workflow is
testable without a database. Invariants (checked by property tests):
a published version never changes; the revision only grows; a step is never
IN_PROGRESS while an earlier step is incomplete, and the current step is unlocked unless
it is a COMPLETE step the user went back to.

Pending is not done: a step whose checks wait for a worker's result is never COMPLETE. Asked
to complete, it stays IN_PROGRESS and *awaits*; it settles by itself (COMPLETE, or ERROR)
once its checks are decided and every earlier step is COMPLETE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from workflow.errors import (
    ChecksPendingError,
    NothingToPublishError,
    StepLockedError,
    ValidationFailedError,
    VersionImmutableError,
)
from workflow.facts import Facts
from workflow.hashing import content_hash
from workflow.issues import Issue, IssueCode, Severity
from workflow.rules import validate_step
from workflow.steps import STEP_ORDER, Block, PackageContent, Step
from workflow.summaries import summarize


class StepStatus(StrEnum):
    """Where a step stands."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETE = "COMPLETE"
    ERROR = "ERROR"


class VersionStatus(StrEnum):
    """A version is a mutable draft until it is published."""

    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"


@dataclass(frozen=True)
class StepState:
    """A step's status, its current findings, its header summary and completion time."""

    status: StepStatus = StepStatus.PENDING
    errors: tuple[Issue, ...] = ()
    warnings: tuple[Issue, ...] = ()
    summary: str | None = None
    completed_at: datetime | None = None
    awaiting: bool = False
    """Completion was asked for (or the step was complete) and waits for pending checks."""

    @property
    def pending(self) -> tuple[Issue, ...]:
        """The checks this step waits for."""
        return tuple(issue for issue in self.warnings if issue.severity is Severity.PENDING)

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in ``versions.step_states``."""
        stored: dict[str, Any] = {
            "status": self.status.value,
            "errors": [issue.as_dict() for issue in self.errors],
            "warnings": [issue.as_dict() | {"severity": issue.severity.value} for issue in self.warnings],
            "summary": self.summary,
            "completedAt": self.completed_at.isoformat() if self.completed_at else None,
        }
        if self.awaiting:
            stored["awaitingCompletion"] = True
        return stored

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> StepState:
        """Rebuild a stored step state."""
        return cls(
            status=StepStatus(raw["status"]),
            errors=tuple(Issue.from_dict(item) for item in raw.get("errors", [])),
            warnings=tuple(
                Issue.from_dict(item, Severity(item.get("severity", "WARNING"))) for item in raw.get("warnings", [])
            ),
            summary=raw.get("summary"),
            completed_at=datetime.fromisoformat(raw["completedAt"]) if raw.get("completedAt") else None,
            awaiting=bool(raw.get("awaitingCompletion", False)),
        )


@dataclass(frozen=True)
class VersionState:
    """Everything the workflow rules look at for one version."""

    status: VersionStatus
    content: PackageContent
    steps: tuple[StepState, StepState, StepState, StepState]
    current_step: Step
    revision: int
    number: int = 1

    def step(self, step: Step) -> StepState:
        """The state of ``step``."""
        return self.steps[step.position]

    def blockers(self, step: Step) -> list[Step]:
        """The earlier steps that are not COMPLETE (they lock ``step``)."""
        return [
            earlier for earlier in STEP_ORDER[: step.position] if self.step(earlier).status is not StepStatus.COMPLETE
        ]

    def states_json(self) -> dict[str, Any]:
        """Step states keyed by step name, as stored."""
        return {step.value: self.step(step).to_json() for step in STEP_ORDER}


@dataclass(frozen=True)
class StatusChange:
    """A step whose status moved, for the event log."""

    step: Step
    before: StepStatus
    after: StepStatus
    error_count: int


@dataclass(frozen=True)
class Transition:
    """The result of a write: the new state and what changed (for events and the response)."""

    state: VersionState
    changed: bool
    edited_steps: tuple[Step, ...] = ()
    status_changes: tuple[StatusChange, ...] = ()


def new_draft(content: PackageContent | None = None, facts: Facts | None = None) -> VersionState:
    """Draft v1 of a new package: step 1 IN_PROGRESS, the others PENDING, revision 1."""
    content = content or PackageContent()
    steps = tuple(
        StepState(
            StepStatus.IN_PROGRESS if step is Step.MODEL else StepStatus.PENDING,
            summary=summarize(step, content, facts or Facts()),
        )
        for step in STEP_ORDER
    )
    return VersionState(VersionStatus.DRAFT, content, _four(steps), Step.MODEL, revision=1)


def save(state: VersionState, blocks: Mapping[Step, Block], facts: Facts) -> Transition:
    """Store partial data of any steps; edited steps reopen, later complete steps re-validate."""
    _require_draft(state)
    content = state.content
    for step, block in blocks.items():
        content = content.with_block(step, block)
    edited = tuple(step for step in STEP_ORDER if step in blocks and blocks[step] != state.content.block(step))
    if not edited:
        return Transition(state, changed=False)
    first_edited = edited[0]
    steps: list[StepState] = []
    for step in STEP_ORDER:
        old = state.step(step)
        unlocked = all(earlier.status is StepStatus.COMPLETE for earlier in steps)
        summary = summarize(step, content, facts)
        if step in edited:
            report = validate_step(step, content, facts, for_completion=False)
            status = StepStatus.IN_PROGRESS if unlocked else StepStatus.PENDING
            steps.append(StepState(status, report.errors, report.warnings, summary))
        elif step.position > first_edited.position and (
            old.status is StepStatus.COMPLETE or old.completed_at or old.awaiting
        ):
            steps.append(_revalidate(step, old, content, facts, summary, unlocked=unlocked))
        elif old.status is StepStatus.IN_PROGRESS and not unlocked:
            steps.append(replace(old, status=StepStatus.PENDING, summary=summary))
        else:
            steps.append(replace(old, summary=summary))
    reopened = next((step for step in edited if steps[step.position].status is StepStatus.IN_PROGRESS), None)
    current = min(state.current_step, reopened, key=lambda step: step.position) if reopened else state.current_step
    new_state = replace(state, content=content, steps=_four(steps), current_step=current, revision=state.revision + 1)
    return _transition(state, _clamp_current(new_state), edited)


def complete(state: VersionState, step: Step, facts: Facts, now: datetime) -> Transition:
    """Fully validate ``step``; COMPLETE and move on when valid, ERROR with the findings when not."""
    _require_draft(state)
    _require_unlocked(state, step)
    report = validate_step(step, state.content, facts, for_completion=True)
    steps = list(state.steps)
    summary = summarize(step, state.content, facts)
    if report.valid and report.pending:
        # Pending is not done: the step waits, and completes by itself when the results pass.
        steps[step.position] = StepState(
            StepStatus.IN_PROGRESS, (), report.warnings, summary, state.step(step).completed_at, awaiting=True
        )
        _lock_later(steps, step)
        new_state = replace(state, steps=_four(steps), current_step=step, revision=state.revision + 1)
        return _transition(state, new_state, ())
    if report.valid:
        steps[step.position] = StepState(StepStatus.COMPLETE, (), report.warnings, summary, now)
    else:
        steps[step.position] = StepState(
            StepStatus.ERROR, report.errors, report.warnings, summary, state.step(step).completed_at
        )
        _lock_later(steps, step)
    current = step
    if report.valid:
        following = next(
            (later for later in STEP_ORDER if steps[later.position].status is not StepStatus.COMPLETE), None
        )
        if following is not None:
            current = following
            if steps[following.position].status is StepStatus.PENDING:
                steps[following.position] = replace(steps[following.position], status=StepStatus.IN_PROGRESS)
    new_state = replace(state, steps=_four(steps), current_step=current, revision=state.revision + 1)
    return _transition(state, new_state, ())


def open_step(state: VersionState, step: Step) -> Transition:
    """Make ``step`` the current one: allowed when every earlier step is COMPLETE, and always for a
    COMPLETE step (going back to review or edit it)."""
    _require_draft(state)
    if state.step(step).status is not StepStatus.COMPLETE:
        _require_unlocked(state, step)
    steps = list(state.steps)
    if steps[step.position].status is StepStatus.PENDING:
        steps[step.position] = replace(steps[step.position], status=StepStatus.IN_PROGRESS)
    if step is state.current_step and steps[step.position] == state.step(step):
        return Transition(state, changed=False)
    new_state = replace(state, steps=_four(steps), current_step=step, revision=state.revision + 1)
    return _transition(state, new_state, ())


def publish(state: VersionState, facts: Facts, latest_published_hash: str | None) -> VersionState:
    """Final re-validation of all four steps, then the immutable PUBLISHED version."""
    _require_draft(state)
    issues: list[Issue] = []
    pending: list[Issue] = []
    for step in STEP_ORDER:
        if state.step(step).status is not StepStatus.COMPLETE:
            issues.append(Issue(step.value, IssueCode.STEP_INCOMPLETE, f"Step {step.value!r} is not complete."))
        report = validate_step(step, state.content, facts, for_completion=True)
        issues.extend(report.errors)
        pending.extend(report.pending)
    if pending:
        raise ChecksPendingError(pending, [issue for issue in issues if issue.code is not IssueCode.STEP_INCOMPLETE])
    if issues:
        raise ValidationFailedError(issues, "The draft cannot be published until every step is complete and valid.")
    if latest_published_hash is not None and content_hash(state.content) == latest_published_hash:
        raise NothingToPublishError("UNCHANGED", "The draft is identical to the latest published version.")
    return replace(state, status=VersionStatus.PUBLISHED, revision=state.revision + 1)


def refresh(state: VersionState, facts: Facts, now: datetime | None = None) -> Transition:
    """Re-run every step's rules against new facts (a worker's result arrived).

    Steps being edited get their at-save findings again; COMPLETE and ERROR steps are fully
    re-validated, so a model with a shorter context turns step 2 to ERROR. The revision is
    not bumped: it counts writes of the user's data, and a worker finishing must never make
    a typing user's next autosave a conflict. A step awaiting completion settles (at ``now``),
    and when it was the current step the draft moves on to the next, as a completion does.
    """
    _require_draft(state)
    steps: list[StepState] = []
    for step in STEP_ORDER:
        old = state.step(step)
        summary = summarize(step, state.content, facts)
        unlocked = all(earlier.status is StepStatus.COMPLETE for earlier in steps)
        if old.status in (StepStatus.COMPLETE, StepStatus.ERROR) or old.awaiting:
            steps.append(_revalidate(step, old, state.content, facts, summary, unlocked=unlocked, now=now))
        else:
            report = validate_step(step, state.content, facts, for_completion=False)
            steps.append(replace(old, errors=report.errors, warnings=report.warnings, summary=summary))
    _relock(steps)
    current = state.current_step
    if state.step(current).awaiting and steps[current.position].status is StepStatus.COMPLETE:
        following = next(
            (later for later in STEP_ORDER if steps[later.position].status is not StepStatus.COMPLETE), None
        )
        if following is not None:
            current = following
            if steps[following.position].status is StepStatus.PENDING:
                steps[following.position] = replace(steps[following.position], status=StepStatus.IN_PROGRESS)
    new_state = _clamp_current(replace(state, steps=_four(steps), current_step=current))
    if new_state == state:
        return Transition(state, changed=False)
    return _transition(state, new_state, ())


def reopen(source: VersionState, number: int, revision: int) -> VersionState:
    """Draft ``number``, copied from a published version (for an edit or a restore), at ``revision``."""
    copy = replace(source, status=VersionStatus.DRAFT, number=number, revision=revision)
    return _clamp_current(replace(copy, current_step=STEP_ORDER[-1]))


@dataclass(frozen=True)
class Progress:
    """Steps complete out of four and what the user should do next."""

    completed: int
    total: int
    next_action: str
    next_step: Step | None


def progress(state: VersionState) -> Progress:
    """Progress summary for the wizard's header."""
    completed = sum(1 for step_state in state.steps if step_state.status is StepStatus.COMPLETE)
    if state.status is VersionStatus.PUBLISHED:
        return Progress(completed, len(STEP_ORDER), "EDIT", None)
    incomplete = next((step for step in STEP_ORDER if state.step(step).status is not StepStatus.COMPLETE), None)
    if incomplete is None:
        return Progress(completed, len(STEP_ORDER), "PUBLISH", None)
    action = "FIX_ERRORS" if state.step(incomplete).status is StepStatus.ERROR else "COMPLETE_STEP"
    return Progress(completed, len(STEP_ORDER), action, incomplete)


def _revalidate(
    step: Step,
    old: StepState,
    content: PackageContent,
    facts: Facts,
    summary: str | None,
    *,
    unlocked: bool,
    now: datetime | None = None,
) -> StepState:
    """Judge a step that is (or was asked to be) complete: ERROR on errors; awaiting while checks
    are pending (IN_PROGRESS when unlocked, else PENDING: pending is not done); else COMPLETE."""
    report = validate_step(step, content, facts, for_completion=True)
    if not report.valid:
        return StepState(StepStatus.ERROR, report.errors, report.warnings, summary, old.completed_at)
    if report.pending:
        status = StepStatus.IN_PROGRESS if unlocked else StepStatus.PENDING
        return StepState(status, (), report.warnings, summary, old.completed_at, awaiting=True)
    return StepState(StepStatus.COMPLETE, (), report.warnings, summary, old.completed_at or now)


def _relock(steps: list[StepState]) -> None:
    """A started step behind one that is no longer COMPLETE (it fell back to waiting, or to ERROR)
    is locked again."""
    for step in STEP_ORDER:
        blocked = any(
            steps[earlier.position].status is not StepStatus.COMPLETE for earlier in STEP_ORDER[: step.position]
        )
        if blocked and steps[step.position].status is StepStatus.IN_PROGRESS:
            steps[step.position] = replace(steps[step.position], status=StepStatus.PENDING)


def _lock_later(steps: list[StepState], step: Step) -> None:
    """A later step already started (``step`` was COMPLETE before) is locked again."""
    for later in STEP_ORDER[step.position + 1 :]:
        if steps[later.position].status is StepStatus.IN_PROGRESS:
            steps[later.position] = replace(steps[later.position], status=StepStatus.PENDING)


def _clamp_current(state: VersionState) -> VersionState:
    """Keep the current step at or before the first incomplete step."""
    first_incomplete = next((step for step in STEP_ORDER if state.step(step).status is not StepStatus.COMPLETE), None)
    if first_incomplete is not None and first_incomplete.position < state.current_step.position:
        return replace(state, current_step=first_incomplete)
    return state


def _transition(before: VersionState, after: VersionState, edited: tuple[Step, ...]) -> Transition:
    changes = tuple(
        StatusChange(step, before.step(step).status, after.step(step).status, len(after.step(step).errors))
        for step in STEP_ORDER
        if before.step(step).status is not after.step(step).status
    )
    return Transition(after, changed=True, edited_steps=edited, status_changes=changes)


def _require_draft(state: VersionState) -> None:
    if state.status is VersionStatus.PUBLISHED:
        raise VersionImmutableError(state.number)


def _require_unlocked(state: VersionState, step: Step) -> None:
    blockers = state.blockers(step)
    if blockers:
        raise StepLockedError(step.value, [blocker.value for blocker in blockers])


def _four(steps: tuple[StepState, ...] | list[StepState]) -> tuple[StepState, StepState, StepState, StepState]:
    first, second, third, fourth = steps
    return (first, second, third, fourth)
