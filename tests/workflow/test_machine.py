"""The workflow rules of PRODUCT.md §2 "Workflow rules", by example."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.estimates import estimate_facts
from workflow.errors import NothingToPublishError, StepLockedError, ValidationFailedError, VersionImmutableError
from workflow.facts import NO_FACTS, DatasetFacts, Facts, ModelFacts
from workflow.hashing import content_hash
from workflow.issues import IssueCode
from workflow.machine import (
    StatusChange,
    StepState,
    StepStatus,
    Transition,
    VersionState,
    VersionStatus,
    complete,
    new_draft,
    open_step,
    progress,
    publish,
    reopen,
    save,
)
from workflow.steps import STEP_ORDER, PackageContent, Step, parse_patch

NOW = datetime(2026, 1, 26, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
MODULES = frozenset({"q_proj", "k_proj", "v_proj", "o_proj"})
ALPACA = DatasetFacts(
    columns=frozenset({"instruction", "output"}),
    rows=52_002,
    column_kinds={"instruction": "string", "output": "string"},
)


def facts_with_context(context_length: int) -> Facts:
    return Facts(
        model=ModelFacts("4e20de3f00c0ffee", context_length=context_length, module_names=MODULES),
        datasets={0: ALPACA},
        secret_names=frozenset({"HF_TOKEN"}),
        estimate=estimate_facts({"a10g-small": True}),
    )


FACTS = facts_with_context(8192)

VALID: dict[str, dict[str, Any]] = {
    "model": {"source": "HUB", "repoId": "meta-llama/Llama-3.2-1B"},
    "config": {
        "method": "LORA",
        "trainer": "SFT",
        "epochs": 3,
        "learningRate": 2e-4,
        "batchSize": 4,
        "maxSeqLength": 4096,
        "precision": "bf16",
        "lora": {"r": 16, "alpha": 32, "targetModules": ["q_proj", "v_proj"]},
    },
    "dataset": {
        "sources": [
            {
                "source": "HUB",
                "repoId": "tatsu-lab/alpaca",
                "format": "INSTRUCTION",
                "columnMapping": {"prompt": "instruction", "completion": "output"},
            }
        ]
    },
    "deploy": {"target": "LOCAL_BUNDLE"},
}


def saved(state: VersionState, patch: dict[str, Any], facts: Facts = FACTS) -> VersionState:
    return save(state, parse_patch(patch), facts).state


def statuses(state: VersionState) -> list[StepStatus]:
    return [state.step(step).status for step in STEP_ORDER]


def codes(step_state: StepState) -> set[tuple[str, IssueCode]]:
    return {(issue.path, issue.code) for issue in step_state.errors}


def completed_through(last: Step, facts: Facts = FACTS) -> VersionState:
    """A draft with every block filled and the steps up to ``last`` completed."""
    state = saved(new_draft(), VALID, facts)
    for step in STEP_ORDER[: last.position + 1]:
        state = complete(state, step, facts, NOW).state
        assert state.step(step).status is StepStatus.COMPLETE, state.step(step).errors
    return state


def published_version() -> VersionState:
    return publish(completed_through(Step.DEPLOY), FACTS, None)


# --- create and save --------------------------------------------------------------------


def test_new_draft_starts_at_step_one() -> None:
    state = new_draft()
    assert state.status is VersionStatus.DRAFT
    assert state.number == 1
    assert state.revision == 1
    assert state.current_step is Step.MODEL
    assert statuses(state) == [StepStatus.IN_PROGRESS, StepStatus.PENDING, StepStatus.PENDING, StepStatus.PENDING]
    assert state.content == PackageContent()
    assert all(not s.errors and not s.warnings and s.completed_at is None for s in state.steps)


def test_save_stores_partial_data_and_bumps_the_revision() -> None:
    draft = new_draft()
    result = save(draft, parse_patch({"model": {"repoId": "meta-llama/Llama-3.2-1B"}}), NO_FACTS)
    assert result.changed
    assert result.edited_steps == (Step.MODEL,)
    assert result.state.revision == draft.revision + 1
    assert result.state.content.model.repo_id == "meta-llama/Llama-3.2-1B"
    assert result.state.content.model.source is None
    assert result.state.step(Step.MODEL).status is StepStatus.IN_PROGRESS
    assert result.state.step(Step.MODEL).errors == ()
    assert draft.content == PackageContent()  # the input state is untouched


def test_save_does_not_block_on_rule_errors_and_reports_them() -> None:
    result = save(new_draft(), parse_patch({"config": {"epochs": 0, "lora": {"r": 0}}}), NO_FACTS)
    assert result.changed
    assert result.state.content.config.epochs == 0
    config = result.state.step(Step.CONFIG)
    assert codes(config) == {("config.epochs", IssueCode.OUT_OF_RANGE), ("config.lora.r", IssueCode.OUT_OF_RANGE)}
    # Saving a later step's data does not unlock it.
    assert config.status is StepStatus.PENDING
    assert result.state.current_step is Step.MODEL


def test_save_does_not_report_missing_values() -> None:
    state = saved(new_draft(), {"model": {"source": "HUB"}, "config": {"method": "QLORA"}})
    assert state.step(Step.MODEL).errors == ()
    assert state.step(Step.CONFIG).errors == ()


def test_save_of_several_steps_at_once() -> None:
    result = save(new_draft(), parse_patch(VALID), FACTS)
    assert result.edited_steps == tuple(STEP_ORDER)
    assert result.state.revision == 2
    assert result.state.content == PackageContent.from_json(VALID)


def test_a_save_that_changes_nothing_keeps_the_revision() -> None:
    state = saved(new_draft(), VALID)
    # Same data, spelled differently: int for a float, other key order, snake_case names.
    same = {
        "model": {"repo_id": "meta-llama/Llama-3.2-1B", "source": "HUB"},
        "config": {**VALID["config"], "epochs": 3.0},
    }
    result = save(state, parse_patch(same), FACTS)
    assert not result.changed
    assert result.state == state
    assert result.edited_steps == ()
    assert save(state, {}, FACTS).changed is False


def test_save_summarises_the_step() -> None:
    state = saved(new_draft(), {"model": VALID["model"]}, NO_FACTS)
    summary = state.step(Step.MODEL).summary
    assert summary is not None
    assert "meta-llama/Llama-3.2-1B" in summary


# --- complete ---------------------------------------------------------------------------


def test_completing_a_valid_step_moves_to_the_next() -> None:
    state = saved(new_draft(), VALID)
    result = complete(state, Step.MODEL, FACTS, NOW)
    after = result.state
    assert result.changed
    assert after.revision == state.revision + 1
    assert after.step(Step.MODEL).status is StepStatus.COMPLETE
    assert after.step(Step.MODEL).completed_at == NOW
    assert after.current_step is Step.CONFIG
    assert after.step(Step.CONFIG).status is StepStatus.IN_PROGRESS
    assert after.step(Step.DATASET).status is StepStatus.PENDING
    assert set(result.status_changes) == {
        StatusChange(Step.MODEL, StepStatus.IN_PROGRESS, StepStatus.COMPLETE, 0),
        StatusChange(Step.CONFIG, StepStatus.PENDING, StepStatus.IN_PROGRESS, 0),
    }


def test_completing_an_invalid_step_records_the_errors() -> None:
    state = saved(new_draft(), {"model": {"source": "HUB", "repoId": "not a repo"}})
    result = complete(state, Step.MODEL, FACTS, NOW)
    model = result.state.step(Step.MODEL)
    assert model.status is StepStatus.ERROR
    assert codes(model) == {("model.repoId", IssueCode.MODEL_REPO_ID_INVALID)}
    assert model.completed_at is None
    assert result.state.current_step is Step.MODEL
    assert result.state.step(Step.CONFIG).status is StepStatus.PENDING
    assert result.state.revision == state.revision + 1
    assert result.status_changes == (StatusChange(Step.MODEL, StepStatus.IN_PROGRESS, StepStatus.ERROR, 1),)


def test_completing_an_empty_step_reports_required_fields() -> None:
    model = complete(new_draft(), Step.MODEL, NO_FACTS, NOW).state.step(Step.MODEL)
    assert codes(model) == {("model.source", IssueCode.REQUIRED)}


def test_a_fixed_step_completes_after_an_error() -> None:
    state = saved(new_draft(), {"model": {"source": "HUB"}})
    state = complete(state, Step.MODEL, FACTS, NOW).state
    assert state.step(Step.MODEL).status is StepStatus.ERROR
    state = saved(state, {"model": VALID["model"]})
    assert state.step(Step.MODEL).status is StepStatus.IN_PROGRESS
    assert state.step(Step.MODEL).errors == ()
    state = complete(state, Step.MODEL, FACTS, NOW).state
    assert state.step(Step.MODEL).status is StepStatus.COMPLETE


def test_completion_moves_to_the_next_incomplete_step_skipping_complete_ones() -> None:
    state = completed_through(Step.DEPLOY)
    # Edit the dataset, then the model: config stays valid (COMPLETE), the dataset is locked again.
    state = saved(state, {"dataset": {**VALID["dataset"], "eval": {"mode": "FRACTION", "fraction": 0.1}}})
    state = saved(state, {"model": {**VALID["model"], "revision": "v2"}})
    assert statuses(state) == [StepStatus.IN_PROGRESS, StepStatus.COMPLETE, StepStatus.PENDING, StepStatus.COMPLETE]
    assert state.current_step is Step.MODEL
    after = complete(state, Step.MODEL, FACTS, NOW).state
    assert after.current_step is Step.DATASET
    assert after.step(Step.DATASET).status is StepStatus.IN_PROGRESS
    assert after.step(Step.CONFIG).status is StepStatus.COMPLETE


def test_completing_the_last_step_keeps_it_current() -> None:
    state = completed_through(Step.DEPLOY)
    assert statuses(state) == [StepStatus.COMPLETE] * 4
    assert state.current_step is Step.DEPLOY


def test_completion_uses_earlier_steps_data() -> None:
    state = saved(completed_through(Step.CONFIG), {"config": {**VALID["config"], "trainer": "DPO"}})
    state = complete(state, Step.CONFIG, FACTS, NOW).state
    dataset = complete(state, Step.DATASET, FACTS, NOW).state.step(Step.DATASET)
    assert dataset.status is StepStatus.ERROR
    assert codes(dataset) == {("dataset.sources[0].format", IssueCode.DATASET_FORMAT_TRAINER_MISMATCH)}


@pytest.mark.parametrize(
    ("step", "blocked_by"),
    [
        (Step.CONFIG, ("model",)),
        (Step.DATASET, ("model", "config")),
        (Step.DEPLOY, ("model", "config", "dataset")),
    ],
)
def test_a_step_after_an_incomplete_step_is_locked(step: Step, blocked_by: tuple[str, ...]) -> None:
    state = saved(new_draft(), VALID)
    with pytest.raises(StepLockedError) as completing:
        complete(state, step, FACTS, NOW)
    assert completing.value.step == step.value
    assert completing.value.blocked_by == blocked_by
    with pytest.raises(StepLockedError) as opening:
        open_step(state, step)
    assert opening.value.blocked_by == blocked_by


def test_an_errored_step_locks_the_steps_after_it() -> None:
    state = completed_through(Step.MODEL)
    state = saved(state, {"config": {**VALID["config"], "epochs": 0}})
    state = complete(state, Step.CONFIG, FACTS, NOW).state
    assert state.step(Step.CONFIG).status is StepStatus.ERROR
    with pytest.raises(StepLockedError) as exc:
        complete(state, Step.DATASET, FACTS, NOW)
    assert exc.value.blocked_by == ("config",)


# --- navigation -------------------------------------------------------------------------


def test_opening_a_complete_step_is_allowed_and_keeps_it_complete() -> None:
    state = completed_through(Step.CONFIG)
    assert state.current_step is Step.DATASET
    result = open_step(state, Step.MODEL)
    assert result.changed
    assert result.state.current_step is Step.MODEL
    assert result.state.revision == state.revision + 1
    assert statuses(result.state) == statuses(state)
    # And back again to the step in progress.
    assert open_step(result.state, Step.DATASET).state.current_step is Step.DATASET


def test_opening_the_current_step_changes_nothing() -> None:
    state = completed_through(Step.MODEL)
    result = open_step(state, Step.CONFIG)
    assert not result.changed
    assert result.state == state


def test_an_unlocked_step_in_progress_can_be_opened_from_an_earlier_one() -> None:
    state = completed_through(Step.DATASET)
    state = open_step(state, Step.MODEL).state
    state = saved(state, {"deploy": {"target": "HF_SPACE"}})
    assert state.step(Step.DEPLOY).status is StepStatus.IN_PROGRESS
    assert state.current_step is Step.MODEL
    result = open_step(state, Step.DEPLOY)
    assert result.changed
    assert result.state.current_step is Step.DEPLOY
    assert result.state.step(Step.DEPLOY).status is StepStatus.IN_PROGRESS


# --- editing a completed step -----------------------------------------------------------


def test_a_new_model_with_a_shorter_context_invalidates_the_config() -> None:
    state = completed_through(Step.CONFIG, facts_with_context(8192))
    assert state.content.config.max_seq_length == 4096
    short = facts_with_context(2048)
    result = save(state, parse_patch({"model": {"source": "HUB", "repoId": "acme/tiny-model"}}), short)
    after = result.state
    assert after.step(Step.MODEL).status is StepStatus.IN_PROGRESS
    assert after.step(Step.MODEL).completed_at is None
    config = after.step(Step.CONFIG)
    assert config.status is StepStatus.ERROR
    assert codes(config) == {("config.maxSeqLength", IssueCode.MAX_SEQ_LENGTH_EXCEEDS_CONTEXT)}
    assert after.current_step is Step.MODEL
    # The dataset step had been started; with the model reopened it is locked again.
    assert after.step(Step.DATASET).status is StepStatus.PENDING
    assert StatusChange(Step.CONFIG, StepStatus.COMPLETE, StepStatus.ERROR, 1) in result.status_changes
    assert StatusChange(Step.MODEL, StepStatus.COMPLETE, StepStatus.IN_PROGRESS, 0) in result.status_changes


def test_later_steps_that_still_hold_stay_complete() -> None:
    state = completed_through(Step.DEPLOY)
    result = save(state, parse_patch({"model": {"source": "HUB", "repoId": "acme/other-model"}}), FACTS)
    after = result.state
    assert statuses(after) == [StepStatus.IN_PROGRESS, StepStatus.COMPLETE, StepStatus.COMPLETE, StepStatus.COMPLETE]
    assert after.step(Step.CONFIG).completed_at == NOW
    assert after.current_step is Step.MODEL
    assert result.edited_steps == (Step.MODEL,)


def test_switching_to_dpo_invalidates_a_completed_instruction_dataset() -> None:
    state = completed_through(Step.DEPLOY)
    after = saved(state, {"config": {**VALID["config"], "trainer": "DPO"}})
    assert after.step(Step.MODEL).status is StepStatus.COMPLETE
    assert after.step(Step.CONFIG).status is StepStatus.IN_PROGRESS
    dataset = after.step(Step.DATASET)
    assert dataset.status is StepStatus.ERROR
    assert codes(dataset) == {("dataset.sources[0].format", IssueCode.DATASET_FORMAT_TRAINER_MISMATCH)}
    assert after.step(Step.DEPLOY).status is StepStatus.COMPLETE
    assert after.current_step is Step.CONFIG


def test_editing_a_step_does_not_revalidate_earlier_steps() -> None:
    state = completed_through(Step.DEPLOY)
    # Facts that would break the config if it were re-validated.
    after = saved(state, {"deploy": {"target": "HF_SPACE"}}, facts_with_context(512))
    assert after.step(Step.CONFIG).status is StepStatus.COMPLETE
    assert after.step(Step.DEPLOY).status is StepStatus.IN_PROGRESS


def test_recompleting_an_earlier_step_that_now_fails_locks_the_later_steps() -> None:
    """A step in progress behind a step that turned ERROR goes back to PENDING."""
    state = completed_through(Step.CONFIG, facts_with_context(8192))
    assert state.step(Step.DATASET).status is StepStatus.IN_PROGRESS
    state = open_step(state, Step.CONFIG).state
    after = complete(state, Step.CONFIG, facts_with_context(2048), NOW).state
    assert after.step(Step.CONFIG).status is StepStatus.ERROR
    assert after.step(Step.DATASET).status is StepStatus.PENDING
    assert after.current_step is Step.CONFIG


# --- publish ----------------------------------------------------------------------------


def test_publish_refuses_incomplete_steps() -> None:
    state = completed_through(Step.CONFIG)
    with pytest.raises(ValidationFailedError) as exc:
        publish(state, FACTS, None)
    found = {(issue.path, issue.code) for issue in exc.value.issues}
    assert found == {("dataset", IssueCode.STEP_INCOMPLETE), ("deploy", IssueCode.STEP_INCOMPLETE)}


def test_publish_revalidates_every_step() -> None:
    state = completed_through(Step.DEPLOY)
    with pytest.raises(ValidationFailedError) as exc:
        publish(state, facts_with_context(1024), None)
    found = {(issue.path, issue.code) for issue in exc.value.issues}
    assert found == {("config.maxSeqLength", IssueCode.MAX_SEQ_LENGTH_EXCEEDS_CONTEXT)}


def test_publish_makes_the_draft_published_and_keeps_its_content() -> None:
    draft = completed_through(Step.DEPLOY)
    published = publish(draft, FACTS, "sha256:" + "0" * 64)
    assert published.status is VersionStatus.PUBLISHED
    assert published.revision == draft.revision + 1
    assert published.content == draft.content
    assert published.steps == draft.steps
    assert published.number == draft.number


def test_publish_refuses_content_identical_to_the_latest_published() -> None:
    draft = completed_through(Step.DEPLOY)
    with pytest.raises(NothingToPublishError) as exc:
        publish(draft, FACTS, content_hash(draft.content))
    assert exc.value.reason == "UNCHANGED"


@pytest.mark.parametrize(
    "write",
    [
        lambda s: save(s, parse_patch({"model": {"revision": "dev"}}), FACTS),
        lambda s: save(s, {}, FACTS),
        lambda s: complete(s, Step.MODEL, FACTS, LATER),
        lambda s: complete(s, Step.DEPLOY, FACTS, LATER),
        lambda s: open_step(s, Step.MODEL),
        lambda s: open_step(s, s.current_step),
        lambda s: publish(s, FACTS, None),
    ],
)
def test_a_published_version_refuses_every_write(write: Any) -> None:
    published = published_version()
    before = published_version()
    with pytest.raises(VersionImmutableError) as exc:
        write(published)
    assert exc.value.version_number == published.number
    assert published == before


# --- reopen (edit after publish, restore) -----------------------------------------------


def test_reopen_copies_a_published_version_as_a_draft() -> None:
    published = published_version()
    draft = reopen(published, number=2, revision=1)
    assert draft.status is VersionStatus.DRAFT
    assert draft.number == 2
    assert draft.revision == 1
    assert draft.content == published.content
    assert statuses(draft) == [StepStatus.COMPLETE] * 4
    assert draft.current_step is Step.DEPLOY
    assert published.status is VersionStatus.PUBLISHED
    # The copy is writable; unchanged it cannot be published again.
    with pytest.raises(NothingToPublishError):
        publish(draft, FACTS, content_hash(published.content))
    edited = saved(draft, {"model": {**VALID["model"], "revision": "v2"}})
    edited = complete(edited, Step.MODEL, FACTS, LATER).state
    assert publish(edited, FACTS, content_hash(published.content)).status is VersionStatus.PUBLISHED


def test_reopen_of_a_partly_complete_version_starts_at_the_first_incomplete_step() -> None:
    draft = reopen(completed_through(Step.CONFIG), number=3, revision=1)
    assert draft.current_step is Step.DATASET


# --- progress ---------------------------------------------------------------------------


def test_progress_through_the_workflow() -> None:
    start = progress(new_draft())
    assert (start.completed, start.total, start.next_action, start.next_step) == (0, 4, "COMPLETE_STEP", Step.MODEL)
    failed = progress(complete(new_draft(), Step.MODEL, FACTS, NOW).state)
    assert (failed.completed, failed.next_action, failed.next_step) == (0, "FIX_ERRORS", Step.MODEL)
    two = progress(completed_through(Step.CONFIG))
    assert (two.completed, two.next_action, two.next_step) == (2, "COMPLETE_STEP", Step.DATASET)
    ready = progress(completed_through(Step.DEPLOY))
    assert (ready.completed, ready.next_action, ready.next_step) == (4, "PUBLISH", None)
    done = progress(published_version())
    assert (done.completed, done.next_action, done.next_step) == (4, "EDIT", None)


# --- stored forms -----------------------------------------------------------------------


def test_step_state_round_trips_through_json() -> None:
    state = saved(completed_through(Step.MODEL), {"config": {"epochs": 0, "method": "FULL", "lora": {"r": 4}}})
    state = complete(state, Step.CONFIG, NO_FACTS, NOW).state
    config = state.step(Step.CONFIG)
    assert config.errors
    assert config.warnings
    model = state.step(Step.MODEL)
    for step_state in (config, model):
        assert StepState.from_json(step_state.to_json()) == step_state
    assert set(state.states_json()) == {"model", "config", "dataset", "deploy"}
    assert state.states_json()["model"]["completedAt"] == NOW.isoformat()


def test_transition_type_is_reported_for_every_write() -> None:
    result = open_step(completed_through(Step.MODEL), Step.MODEL)
    assert isinstance(result, Transition)
    assert result.status_changes == ()
    assert result.edited_steps == ()


def test_a_complete_step_behind_a_reopened_one_can_still_be_opened() -> None:
    # PRODUCT.md: opening a COMPLETE step to edit it is always allowed, even while an earlier
    # step is being edited again.
    state = completed_through(Step.DEPLOY)
    state = saved(state, {"model": {**VALID["model"], "revision": "v2"}})
    assert state.step(Step.MODEL).status is StepStatus.IN_PROGRESS
    assert state.step(Step.CONFIG).status is StepStatus.COMPLETE
    opened = open_step(state, Step.CONFIG)
    assert opened.state.current_step is Step.CONFIG
    assert statuses(opened.state) == statuses(state)
    with pytest.raises(StepLockedError):
        complete(opened.state, Step.CONFIG, FACTS, NOW)  # completing still needs the earlier steps
