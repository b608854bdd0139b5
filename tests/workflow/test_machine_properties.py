"""Invariants of the state machine over random sequences of saves, completions, opens and publishes.

- a published version never changes: every write raises ``VersionImmutableError`` and
  leaves it equal to what it was;
- the revision only grows, by exactly one on every write that changes something, and a
  write that changes nothing returns the state as it was;
- no step is IN_PROGRESS while an earlier step is not COMPLETE, and the current step is unlocked
  unless it is a COMPLETE step the user went back to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.support.estimates import estimate_facts
from workflow.errors import (
    ChecksPendingError,
    DomainError,
    NothingToPublishError,
    StepLockedError,
    ValidationFailedError,
    VersionImmutableError,
)
from workflow.facts import NO_FACTS, DatasetFacts, Facts, ModelFacts
from workflow.hashing import content_hash
from workflow.issues import IssueCode, Severity
from workflow.machine import (
    StepState,
    StepStatus,
    Transition,
    VersionState,
    VersionStatus,
    complete,
    new_draft,
    open_step,
    publish,
    refresh,
    reopen,
    save,
)
from workflow.steps import STEP_ORDER, Block, PackageContent, Step, parse_block

START = datetime(2026, 1, 26, tzinfo=UTC)
MODULES = frozenset({"q_proj", "k_proj", "v_proj", "o_proj"})
# A profile holding every column the blocks below map, so a completion can succeed once it arrives.
PROFILED = DatasetFacts(
    columns=frozenset({"text", "q", "a", "p", "c", "r"}),
    rows=100,
    column_kinds=dict.fromkeys(("text", "q", "a", "p", "c", "r"), "string"),
)


def _facts(context_length: int) -> Facts:
    return Facts(
        model=ModelFacts("4e20de3f00c0ffee", context_length=context_length, module_names=MODULES),
        datasets={0: PROFILED, 1: PROFILED},
        secret_names=frozenset({"HF_TOKEN"}),
        estimate=estimate_facts({"a10g-small": True, "t4-small": False}),
    )


# Facts change between calls (a model re-resolved, a profile arriving), which is what makes
# later steps turn ERROR on re-validation.
FACTS = st.sampled_from([_facts(8192), _facts(2048), NO_FACTS])

_INSTRUCTION = {"source": "HUB", "repoId": "tatsu-lab/alpaca", "format": "INSTRUCTION"}
_SPACE = {"owner": "acme", "name": "trainer", "hardware": "a10g-small"}
# Per step: blocks that can complete (depending on the facts and the other steps), then
# blocks that are partial or break a rule.
VALID_BLOCKS: dict[Step, list[dict[str, Any]]] = {
    Step.MODEL: [
        {"source": "HUB", "repoId": "meta-llama/Llama-3.2-1B"},
        {"source": "HUB", "repoId": "acme/tiny", "revision": "v2"},
        {"source": "LOCAL", "path": "/models/llama"},
    ],
    Step.CONFIG: [
        {"method": "FULL", "trainer": "SFT", "epochs": 1, "learningRate": 2e-5, "batchSize": 8, "maxSeqLength": 4096},
        {
            "method": "LORA",
            "trainer": "SFT",
            "epochs": 3,
            "learningRate": 2e-4,
            "batchSize": 4,
            "maxSeqLength": 4096,
            "lora": {"r": 16, "targetModules": ["q_proj", "v_proj"]},
        },
        {
            "method": "QLORA",
            "trainer": "DPO",
            "epochs": 2,
            "learningRate": 1e-4,
            "batchSize": 2,
            "maxSeqLength": 4096,
            "quantBits": 4,
            "precision": "bf16",
            "lora": {"r": 8, "targetModules": ["all-linear"]},
        },
    ],
    Step.DATASET: [
        {"sources": [{**_INSTRUCTION, "columnMapping": {"prompt": "q", "completion": "a"}}]},
        {
            "sources": [
                {
                    "source": "UPLOAD",
                    "uploadId": "0b7c3f0e-3c4e-4b8e-9a53-2f1f6f0a7d11",
                    "format": "PREFERENCE",
                    "columnMapping": {"prompt": "p", "chosen": "c", "rejected": "r"},
                }
            ]
        },
        {
            "sources": [
                {
                    "source": "LOCAL",
                    "path": "/data/x.jsonl",
                    "format": "COMPLETION",
                    "columnMapping": {"text": "text"},
                    "weight": 0.5,
                }
            ],
            "eval": {"mode": "FRACTION", "fraction": 0.1},
        },
    ],
    Step.DEPLOY: [
        {"target": "LOCAL_BUNDLE"},
        {"target": "HF_SPACE", "space": _SPACE, "hubTokenSecret": "HF_TOKEN"},
        {"target": "LOCAL_BUNDLE", "pushTo": "acme/out", "budgetUsd": 10.0},
    ],
}
OTHER_BLOCKS: dict[Step, list[dict[str, Any]]] = {
    Step.MODEL: [{}, {"source": "HUB"}, {"source": "HUB", "repoId": "not a repo"}],
    Step.CONFIG: [
        {},
        {"epochs": 0},
        {"method": "QLORA", "trainer": "SFT", "epochs": 2, "learningRate": 1e-4, "batchSize": 2, "maxSeqLength": 512,
         "quantBits": 8, "lora": {"r": 8}},
    ],
    Step.DATASET: [{}, {"sources": []}, {"sources": [{**_INSTRUCTION, "columnMapping": {"prompt": "q"}, "weight": 0}]}],
    Step.DEPLOY: [{}, {"target": "HF_SPACE", "space": {**_SPACE, "hardware": "t4-small"}, "hubTokenSecret": "X"}],
}  # fmt: skip

STEPS = st.sampled_from(STEP_ORDER)


def _parsed(step: Step, raw: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Block]:
    return raw.map(lambda value: parse_block(step, value))


def blocks(step: Step) -> st.SearchStrategy[Block]:
    """A block for ``step``: more often one that can complete, so sequences get deep."""
    valid = st.sampled_from(VALID_BLOCKS[step])
    return _parsed(step, st.one_of(valid, st.sampled_from(VALID_BLOCKS[step] + OTHER_BLOCKS[step])))


def filled() -> st.SearchStrategy[dict[Step, Block]]:
    """Every step filled with a block that can complete."""
    return st.fixed_dictionaries({step: _parsed(step, st.sampled_from(VALID_BLOCKS[step])) for step in STEP_ORDER})


@st.composite
def patches(draw: st.DrawFn) -> dict[Step, Block]:
    """Blocks for a random subset of the steps."""
    chosen = draw(st.lists(STEPS, min_size=1, max_size=4, unique=True))
    return {step: draw(blocks(step)) for step in chosen}


@settings(max_examples=200, stateful_step_count=30, deadline=None)
class DraftMachine(RuleBasedStateMachine):
    """One package: a draft edited at random, published, reopened, and its published versions."""

    def __init__(self) -> None:
        super().__init__()
        self.state = new_draft()
        self.published: list[tuple[VersionState, VersionState]] = []
        self.clock = START

    @initialize(patch=st.one_of(st.just({}), filled()), facts=FACTS)
    def start(self, patch: dict[Step, Block], facts: Facts) -> None:
        """Start empty, or with every block filled so that sequences reach publishing."""
        self._apply(lambda state: save(state, patch, facts))

    def _now(self) -> datetime:
        self.clock += timedelta(minutes=1)
        return self.clock

    def _apply(self, write: Callable[[VersionState], Transition]) -> None:
        """Run a write on the current version and check how the revision moved."""
        before = self.state
        if before.status is VersionStatus.PUBLISHED:
            self._assert_refused(before, write)
            return
        try:
            result = write(before)
        except (StepLockedError, ValidationFailedError):
            return
        if not result.changed:
            assert result.state == before
        else:  # a refresh (a worker's result) changes states without a revision
            assert result.state.revision in (before.revision, before.revision + 1)
        assert result.state.number == before.number
        assert result.state.status is VersionStatus.DRAFT
        self.state = result.state

    @staticmethod
    def _assert_refused(version: VersionState, write: Callable[[VersionState], object]) -> None:
        snapshot = _rebuilt(version)
        with pytest.raises(VersionImmutableError) as refused:
            write(version)
        assert refused.value.version_number == version.number
        assert version == snapshot

    @rule(patch=patches(), facts=FACTS)
    def save_blocks(self, patch: dict[Step, Block], facts: Facts) -> None:
        self._apply(lambda state: save(state, patch, facts))

    @rule(step=STEPS, facts=FACTS)
    def complete_step(self, step: Step, facts: Facts) -> None:
        before = self.state
        now = self._now()
        self._apply(lambda state: complete(state, step, facts, now))
        if before.status is VersionStatus.DRAFT and not before.blockers(step):
            after = self.state.step(step)
            # Pending is not done: a step whose checks wait stays IN_PROGRESS, awaiting its results.
            waiting = after.status is StepStatus.IN_PROGRESS and after.awaiting and bool(after.pending)
            assert after.status in (StepStatus.COMPLETE, StepStatus.ERROR) or waiting
            assert self.state.revision == before.revision + 1
            if self.state.step(step).status is StepStatus.COMPLETE:
                assert self.state.step(step).completed_at == now

    @rule(facts=FACTS)
    def complete_the_current_step(self, facts: Facts) -> None:
        # Completing the step the wizard shows gets sequences deep into the workflow quickly.
        self._complete_current(facts)

    def _complete_current(self, facts: Facts) -> None:
        now = self._now()
        self._apply(lambda state: complete(state, state.current_step, facts, now))

    @precondition(lambda self: self.state.status is VersionStatus.DRAFT and self.state.current_step is not Step.MODEL)
    @rule(data=st.data(), facts=FACTS)
    def recomplete_an_earlier_step(self, data: st.DataObject, facts: Facts) -> None:
        # The user goes back to a finished step and completes it again, maybe under new facts.
        step = data.draw(st.sampled_from(STEP_ORDER[: self.state.current_step.position]))
        now = self._now()
        self._apply(lambda state: complete(state, step, facts, now))

    @rule(facts=FACTS)
    def a_worker_result_arrives(self, facts: Facts) -> None:
        # A job ends: every step is re-judged; an awaiting step settles once nothing is pending.
        before = self.state
        now = self._now()
        self._apply(lambda state: refresh(state, facts, now))
        assert self.state.revision == before.revision
        for step in STEP_ORDER:
            was, now_state = before.step(step), self.state.step(step)
            if was.awaiting and now_state.status is StepStatus.COMPLETE:
                assert now_state.completed_at is not None

    @rule(step=STEPS)
    def open_a_step(self, step: Step) -> None:
        before = self.state
        self._apply(lambda state: open_step(state, step))
        if before.status is VersionStatus.DRAFT:
            # Opening succeeds exactly when the step is unlocked, or COMPLETE (going back to it).
            allowed = not before.blockers(step) or before.step(step).status is StepStatus.COMPLETE
            assert (self.state.current_step is step) is (allowed or before.current_step is step)

    @rule(facts=FACTS)
    def publish_draft(self, facts: Facts) -> None:
        self._publish(facts)

    @rule(facts=FACTS)
    def click_through_and_publish(self, facts: Facts) -> None:
        """Complete the current step until all are complete or one fails, then publish."""
        for _ in STEP_ORDER:
            if self.state.status is VersionStatus.PUBLISHED:
                break
            self._complete_current(facts)
        self._publish(facts)

    def _publish(self, facts: Facts) -> None:
        draft = self.state
        if draft.status is VersionStatus.PUBLISHED:
            self._assert_refused(draft, lambda state: publish(state, facts, None))
            return
        latest = content_hash(self.published[-1][0].content) if self.published else None
        outcome: VersionState | DomainError
        try:
            outcome = publish(draft, facts, latest)
        except (ValidationFailedError, NothingToPublishError, ChecksPendingError) as exc:
            outcome = exc
        if isinstance(outcome, ChecksPendingError):
            # Pending is not done: a draft whose checks wait for results is never published.
            assert outcome.pending and all(issue.severity is Severity.PENDING for issue in outcome.pending)
            return
        if isinstance(outcome, ValidationFailedError):
            incomplete = {issue.path for issue in outcome.issues if issue.code is IssueCode.STEP_INCOMPLETE}
            assert incomplete == {s.value for s in STEP_ORDER if draft.step(s).status is not StepStatus.COMPLETE}
            return
        if isinstance(outcome, NothingToPublishError):
            assert outcome.reason == "UNCHANGED"
            assert content_hash(draft.content) == latest
            return
        assert isinstance(outcome, VersionState)
        result = outcome
        assert all(draft.step(step).status is StepStatus.COMPLETE for step in STEP_ORDER)
        assert result.status is VersionStatus.PUBLISHED
        assert result.revision == draft.revision + 1
        assert result.content == draft.content
        assert content_hash(result.content) != latest
        # Keep an independent copy to compare with, rebuilt from the stored forms.
        self.published.append((result, _rebuilt(result)))
        self.state = result

    @precondition(lambda self: self.state.status is VersionStatus.PUBLISHED)
    @rule()
    def reopen_latest(self) -> None:
        source = self.state
        draft = reopen(source, number=source.number + 1, revision=1)
        assert draft.status is VersionStatus.DRAFT
        assert draft.content == source.content
        assert source.status is VersionStatus.PUBLISHED
        self.state = draft

    @precondition(lambda self: bool(self.published))
    @rule(data=st.data(), patch=patches(), step=STEPS, facts=FACTS)
    def write_to_a_published_version(
        self, data: st.DataObject, patch: dict[Step, Block], step: Step, facts: Facts
    ) -> None:
        version, _ = data.draw(st.sampled_from(self.published))
        writes: list[Callable[[VersionState], object]] = [
            lambda state: save(state, patch, facts),
            lambda state: complete(state, step, facts, self._now()),
            lambda state: open_step(state, step),
            lambda state: publish(state, facts, None),
        ]
        for write in writes:
            self._assert_refused(version, write)

    @invariant()
    def published_versions_never_change(self) -> None:
        for version, copy in self.published:
            assert version.status is VersionStatus.PUBLISHED
            assert version == copy
            assert all(step_state.status is StepStatus.COMPLETE for step_state in version.steps)

    @invariant()
    def no_step_is_started_behind_an_incomplete_one(self) -> None:
        state = self.state
        for step in STEP_ORDER:
            if state.step(step).status is StepStatus.IN_PROGRESS:
                assert not state.blockers(step), (step, [s.status for s in state.steps])
        current = state.current_step
        assert not state.blockers(current) or state.step(current).status is StepStatus.COMPLETE, (
            current,
            [s.status for s in state.steps],
        )

    @invariant()
    def complete_steps_carry_no_errors_and_errored_steps_some(self) -> None:
        for step_state in self.state.steps:
            if step_state.status is StepStatus.COMPLETE:
                assert step_state.errors == ()
                assert step_state.pending == ()  # pending is not done
                assert not step_state.awaiting
            if step_state.status is StepStatus.ERROR:
                assert step_state.errors


def _rebuilt(version: VersionState) -> VersionState:
    states = version.states_json()
    steps = tuple(StepState.from_json(states[step.value]) for step in STEP_ORDER)
    return VersionState(
        status=version.status,
        content=PackageContent.from_json(version.content.to_json()),
        steps=(steps[0], steps[1], steps[2], steps[3]),
        current_step=version.current_step,
        revision=version.revision,
        number=version.number,
    )


TestDraftMachine = DraftMachine.TestCase
