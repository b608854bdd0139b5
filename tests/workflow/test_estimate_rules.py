"""The estimate as step 4 sees it: the job's input and key, the stored result applying only to the
inputs it was computed from, the fit and budget rules, and "pending is not done"."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.results import ALPACA, LLAMA_3_2_1B
from workflow import fact_store, machine
from workflow.errors import ChecksPendingError, ValidationFailedError
from workflow.estimates import (
    MODEL_FACTS_MISSING,
    EstimateProblem,
    WhatIf,
    compute,
    estimate_input,
    estimate_request,
    result_json,
    what_if,
)
from workflow.facts import Facts, Failure
from workflow.issues import IssueCode, Severity
from workflow.job_inputs import JobKind, dataset_input, input_key, model_input
from workflow.rules import validate_step
from workflow.steps import PackageContent, Step

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
STEPS: dict[str, Any] = {
    "model": {"source": "HUB", "repoId": "meta-llama/Llama-3.2-1B", "revision": "main"},
    "config": {
        "method": "LORA",
        "trainer": "SFT",
        "epochs": 1,
        "learningRate": 2e-4,
        "batchSize": 8,
        "maxSeqLength": 2048,
        "precision": "bf16",
        "lora": {"r": 8, "alpha": 16, "targetModules": ["q_proj", "v_proj"]},
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
    "deploy": {
        "target": "HF_SPACE",
        "space": {"owner": "acme", "name": "train-llama", "hardware": "l40sx1"},
        "hubTokenSecret": "HF_TOKEN",
    },
}
LONG_ROWS = ALPACA.__class__(**{**ALPACA.__dict__, "token_mean": 2500.0, "token_p95": 2500, "token_max": 2500})


def content(**changes: dict[str, Any]) -> PackageContent:
    raw = copy.deepcopy(STEPS)
    for step, fields in changes.items():
        raw[step] = {**raw[step], **fields}
    return PackageContent.from_json(raw)


def stored_for(package: PackageContent, *, estimate: bool = True, rows: Any = LONG_ROWS) -> dict[str, Any]:
    """The package's facts as the workers would leave them (model resolved, data profiled, estimated)."""
    chosen_model = model_input(package.model)
    chosen_data = dataset_input((package.dataset.sources or [])[0])
    assert chosen_model is not None and chosen_data is not None
    stored = fact_store.with_result(
        {}, input_key(JobKind.RESOLVE_MODEL, chosen_model), facts=fact_store.model_facts_to_json(LLAMA_3_2_1B)
    )
    stored = fact_store.with_result(
        stored, input_key(JobKind.PROFILE_DATASET, chosen_data), facts=fact_store.dataset_facts_to_json(rows)
    )
    if estimate:
        stored = with_estimate(package, stored)
    return stored


def with_estimate(package: PackageContent, stored: dict[str, Any]) -> dict[str, Any]:
    request = estimate_request(package, fact_store.facts_for(package, stored))
    assert request is not None
    found = compute(request.input)
    return fact_store.with_result(stored, request.key, facts=result_json(found, request.key, NOW.isoformat()))


def deploy_issues(package: PackageContent, stored: dict[str, Any]) -> tuple[set[Any], set[Any], list[Any]]:
    report = validate_step(Step.DEPLOY, package, fact_store.facts_for(package, stored), for_completion=True)
    return (
        {(i.path, i.code) for i in report.errors},
        {(i.path, i.code) for i in report.warnings},
        [*report.errors, *report.warnings],
    )


# --- the job's input and its key ---------------------------------------------------------


def test_the_estimate_waits_for_a_resolved_model_and_a_complete_config() -> None:
    package = content()
    assert estimate_input(package, Facts()) is None
    facts = fact_store.facts_for(package, stored_for(package, estimate=False))
    assert estimate_input(content(config={"batchSize": None}), facts) is None
    job_input = estimate_input(package, facts)
    assert job_input is not None
    assert job_input["volume"] == [{"rows": 52_002, "mean": 2500.0, "p95": 2500, "max": 2500}]
    assert job_input["model"]["parameterCount"] == LLAMA_3_2_1B.parameter_count


def test_the_key_follows_the_inputs_that_shape_the_estimate_only() -> None:
    package = content()
    facts = fact_store.facts_for(package, stored_for(package, estimate=False))
    key = estimate_request(package, facts)
    other_config = estimate_request(content(config={"batchSize": 4}), facts)
    other_target = estimate_request(content(deploy={"budgetUsd": 5}), facts)
    unprofiled = estimate_request(package, Facts(model=facts.model))
    assert key is not None and other_config is not None and other_target is not None and unprofiled is not None
    assert key.key.startswith("estimate:")
    assert key.key != other_config.key  # a config change needs a new estimate
    assert key.key == other_target.key  # the target and budget are judged against the same one
    assert key.key != unprofiled.key  # the profiled data adds duration and cost


def test_a_result_applies_only_while_the_draft_has_its_inputs() -> None:
    # Supersession: the older job's result is stored under its inputs; once the config changed it is
    # not consulted, and step 4 waits for the newer job.
    older = content()
    stored = stored_for(older)
    assert fact_store.facts_for(older, stored).estimate is not None
    newer = content(config={"batchSize": 2})
    assert fact_store.facts_for(newer, stored).estimate is None
    _, warnings, _ = deploy_issues(newer, stored)
    assert ("deploy.space.hardware", IssueCode.HARDWARE_FIT_PENDING) in warnings
    stored = with_estimate(newer, stored)
    found = fact_store.facts_for(newer, stored).estimate
    assert found is not None and found.inputs_hash == estimate_request(newer, fact_store.facts_for(newer, stored)).key  # type: ignore[union-attr]
    # The estimate of the draft's inputs is kept when others crowd the store.
    keep = fact_store.keys_in_use([newer], stored)
    assert any(key.startswith("estimate:") for key in keep)


# --- step 4's rules -----------------------------------------------------------------------


def test_a_flavour_too_small_names_needed_and_available_memory() -> None:
    package = content(deploy={"space": {"owner": "acme", "name": "x", "hardware": "a10g-small"}})
    errors, _, issues = deploy_issues(package, stored_for(package))
    assert errors == {("deploy.space.hardware", IssueCode.HARDWARE_TOO_SMALL)}
    [message] = [issue.message for issue in issues if issue.code is IssueCode.HARDWARE_TOO_SMALL]
    assert "27.4 GiB" in message and "22.5 GiB" in message and "l40sx1 fits" in message, message


def test_a_gpu_without_bfloat16_is_unsuitable_not_too_small() -> None:
    package = content(
        config={"batchSize": 1, "maxSeqLength": 256},
        deploy={"space": {"owner": "acme", "name": "x", "hardware": "t4-small"}},
    )
    errors, _, _ = deploy_issues(package, stored_for(package))
    assert errors == {("deploy.space.hardware", IssueCode.HARDWARE_UNSUITABLE)}


def test_a_budget_under_the_estimate_names_estimate_and_cap() -> None:
    package = content(deploy={"budgetUsd": 0.05})
    stored = stored_for(package)
    errors, _, issues = deploy_issues(package, stored)
    assert errors == {("deploy.budgetUsd", IssueCode.BUDGET_EXCEEDED)}
    estimate = fact_store.facts_for(package, stored).estimate
    assert estimate is not None
    usd = estimate.flavours["l40sx1"].usd
    assert usd is not None
    [message] = [issue.message for issue in issues if issue.code is IssueCode.BUDGET_EXCEEDED]
    assert f"${usd:.2f}" in message and "$0.05" in message and "l40sx1" in message, message
    within, _, _ = deploy_issues(content(deploy={"budgetUsd": 1000}), stored)
    assert within == set()


def test_a_costlier_flavour_that_fits_warns_of_the_cheaper_one() -> None:
    package = content(deploy={"space": {"owner": "acme", "name": "x", "hardware": "a100-large"}})
    errors, warnings, issues = deploy_issues(package, stored_for(package))
    assert errors == set()
    assert warnings == {
        ("deploy.space.hardware", IssueCode.CHEAPER_HARDWARE_FITS),
        ("deploy.hubTokenSecret", IssueCode.HUB_TOKEN_SECRET_PENDING),
    }
    [message] = [issue.message for issue in issues if issue.code is IssueCode.CHEAPER_HARDWARE_FITS]
    assert message.startswith("l40sx1 also fits and costs $")


def test_fit_and_budget_are_pending_until_the_estimate_and_a_cost_are_in() -> None:
    package = content(deploy={"budgetUsd": 5})
    _, warnings, _ = deploy_issues(package, stored_for(package, estimate=False))
    assert {
        ("deploy.space.hardware", IssueCode.HARDWARE_FIT_PENDING),
        ("deploy.budgetUsd", IssueCode.BUDGET_CHECK_PENDING),
    } <= warnings
    # Estimated before the data was profiled: the fit is known, the cost is not.
    model_only = fact_store.with_result(
        {},
        input_key(JobKind.RESOLVE_MODEL, model_input(package.model) or {}),
        facts=fact_store.model_facts_to_json(LLAMA_3_2_1B),
    )
    errors, warnings, _ = deploy_issues(package, with_estimate(package, model_only))
    assert errors == set()
    assert ("deploy.budgetUsd", IssueCode.BUDGET_CHECK_PENDING) in warnings
    assert ("deploy.space.hardware", IssueCode.HARDWARE_FIT_PENDING) not in warnings


def test_a_local_bundle_budget_is_held_against_the_recommended_flavour() -> None:
    package = content(deploy={"target": "LOCAL_BUNDLE", "space": None, "hubTokenSecret": None, "budgetUsd": 0.05})
    errors, _, _ = deploy_issues(package, stored_for(package))
    assert errors == {("deploy.budgetUsd", IssueCode.BUDGET_EXCEEDED)}


def test_a_failed_estimate_shows_its_code_on_step_4() -> None:
    package = content(deploy={"budgetUsd": 5})
    stored = stored_for(package, estimate=False)
    request = estimate_request(package, fact_store.facts_for(package, stored))
    assert request is not None
    failed = fact_store.with_result(stored, request.key, failure=Failure(MODEL_FACTS_MISSING, "no dimensions"))
    errors, warnings, _ = deploy_issues(package, failed)
    assert errors == {("deploy.space.hardware", IssueCode.ESTIMATE_MODEL_FACTS_MISSING)}
    assert not any(
        code.value.endswith("_PENDING")
        for _, code in warnings - {("deploy.hubTokenSecret", IssueCode.HUB_TOKEN_SECRET_PENDING)}
    )
    timed_out = fact_store.with_result(stored, request.key, failure=Failure("JOB_TIME_LIMIT", "too long"))
    local = content(deploy={"target": "LOCAL_BUNDLE", "space": None, "hubTokenSecret": None, "budgetUsd": 5})
    errors, _, _ = deploy_issues(local, timed_out)
    assert errors == {("deploy.budgetUsd", IssueCode.ESTIMATE_FAILED)}


def test_the_job_body_fails_with_a_code_without_the_models_dimensions() -> None:
    package = content()
    facts = fact_store.facts_for(package, stored_for(package, estimate=False))
    job_input = estimate_input(
        package, Facts(model=LLAMA_3_2_1B.__class__(**{**LLAMA_3_2_1B.__dict__, "arch": None}), datasets=facts.datasets)
    )
    assert job_input is not None and job_input["model"]["arch"] is None
    with pytest.raises(EstimateProblem) as raised:
        compute(job_input)
    assert raised.value.code == MODEL_FACTS_MISSING


# --- pending is not done -------------------------------------------------------------------


def _ready(package: PackageContent, stored: dict[str, Any]) -> machine.VersionState:
    """A draft with steps 1-3 complete and step 4 current."""
    facts = fact_store.facts_for(package, stored)
    state = machine.new_draft(package, facts)
    for step in (Step.MODEL, Step.CONFIG, Step.DATASET):
        state = machine.complete(state, step, facts, NOW).state
        assert state.step(step).status is machine.StepStatus.COMPLETE, state.step(step)
    return state


def test_step_4_completes_by_itself_once_the_estimate_is_in_and_passes() -> None:
    package = content(deploy={"target": "LOCAL_BUNDLE", "space": None, "hubTokenSecret": None, "budgetUsd": 1000})
    waiting = stored_for(package, estimate=False)
    state = machine.complete(_ready(package, waiting), Step.DEPLOY, fact_store.facts_for(package, waiting), NOW).state
    deploy = state.step(Step.DEPLOY)
    assert deploy.status is machine.StepStatus.IN_PROGRESS and deploy.awaiting
    assert [issue.code for issue in deploy.pending] == [IssueCode.BUDGET_CHECK_PENDING]
    with pytest.raises(ChecksPendingError) as refused:
        machine.publish(state, fact_store.facts_for(package, waiting), None)
    assert [issue.code for issue in refused.value.pending] == [IssueCode.BUDGET_CHECK_PENDING]
    arrived = machine.refresh(state, fact_store.facts_for(package, with_estimate(package, waiting)), NOW).state
    assert arrived.step(Step.DEPLOY).status is machine.StepStatus.COMPLETE
    assert arrived.step(Step.DEPLOY).completed_at == NOW and not arrived.step(Step.DEPLOY).awaiting
    assert arrived.revision == state.revision  # a worker's result is not a write of the user's data
    machine.publish(arrived, fact_store.facts_for(package, with_estimate(package, waiting)), None)


def test_an_awaiting_step_turns_error_when_the_result_fails_the_check() -> None:
    package = content(deploy={"target": "LOCAL_BUNDLE", "space": None, "hubTokenSecret": None, "budgetUsd": 0.05})
    waiting = stored_for(package, estimate=False)
    state = machine.complete(_ready(package, waiting), Step.DEPLOY, fact_store.facts_for(package, waiting), NOW).state
    assert state.step(Step.DEPLOY).awaiting
    arrived = machine.refresh(state, fact_store.facts_for(package, with_estimate(package, waiting)), NOW).state
    deploy = arrived.step(Step.DEPLOY)
    assert deploy.status is machine.StepStatus.ERROR and not deploy.awaiting
    assert [issue.code for issue in deploy.errors] == [IssueCode.BUDGET_EXCEEDED]


def test_an_hf_space_step_completes_once_estimate_and_secrets_are_known() -> None:
    package = content(deploy={"budgetUsd": 1000})
    waiting = stored_for(package, estimate=False)
    facts = fact_store.facts_for(package, waiting)
    state = machine.complete(_ready(package, waiting), Step.DEPLOY, facts, NOW).state
    assert {issue.code for issue in state.step(Step.DEPLOY).pending} == {
        IssueCode.HARDWARE_FIT_PENDING,
        IssueCode.BUDGET_CHECK_PENDING,
        IssueCode.HUB_TOKEN_SECRET_PENDING,
    }
    estimated = fact_store.facts_for(package, with_estimate(package, waiting))
    still = machine.refresh(state, estimated, NOW).state
    assert still.step(Step.DEPLOY).status is machine.StepStatus.IN_PROGRESS
    assert [issue.code for issue in still.step(Step.DEPLOY).pending] == [IssueCode.HUB_TOKEN_SECRET_PENDING]
    known = Facts(**{**estimated.__dict__, "secret_names": frozenset({"HF_TOKEN"})})
    done = machine.refresh(still, known, NOW).state
    assert done.step(Step.DEPLOY).status is machine.StepStatus.COMPLETE


def test_a_complete_step_whose_check_becomes_pending_is_no_longer_complete() -> None:
    package = content(deploy={"target": "LOCAL_BUNDLE", "space": None, "hubTokenSecret": None, "budgetUsd": 1000})
    stored = stored_for(package)
    facts = fact_store.facts_for(package, stored)
    state = machine.complete(_ready(package, stored), Step.DEPLOY, facts, NOW).state
    assert state.step(Step.DEPLOY).status is machine.StepStatus.COMPLETE
    changed = content(
        config={"batchSize": 2},
        deploy={"target": "LOCAL_BUNDLE", "space": None, "hubTokenSecret": None, "budgetUsd": 1000},
    )
    edited = machine.save(state, {Step.CONFIG: changed.config}, fact_store.facts_for(changed, stored)).state
    assert edited.step(Step.DEPLOY).status is machine.StepStatus.PENDING  # locked behind step 2, awaiting
    assert edited.step(Step.DEPLOY).awaiting
    assert [i.code for i in edited.step(Step.DEPLOY).pending] == [IssueCode.BUDGET_CHECK_PENDING]


# --- the what-if ---------------------------------------------------------------------------


def test_a_what_if_uses_the_same_plan_as_the_job() -> None:
    package = content()
    stored = stored_for(package)
    facts = fact_store.facts_for(package, stored)
    asked = what_if(WhatIf(config=STEPS["config"]), package, facts)
    saved = fact_store.facts_for(package, stored).estimate
    assert saved is not None
    assert {line.name: line.fits for line in asked.flavours} == saved.fits
    assert asked.recommended == saved.recommended
    smaller = what_if(WhatIf(config={**STEPS["config"], "batchSize": 1}), package, facts)
    assert smaller.memory.total < asked.memory.total


@pytest.mark.parametrize(
    ("asked", "path", "code"),
    [
        (WhatIf(config={"batchSize": 0}), "config.batchSize", IssueCode.OUT_OF_RANGE),
        (WhatIf(config={"batchSize": "many"}), "config.batchSize", IssueCode.INVALID_TYPE),
        (WhatIf(config={"nonsense": 1}), "config.nonsense", IssueCode.UNKNOWN_FIELD),
        (
            WhatIf(config={"method": "LORA"}, model_config={"hidden_size": 8}),
            "config",
            IssueCode.ESTIMATE_CONFIG_INCOMPLETE,
        ),
        (WhatIf(config=STEPS["config"]), "modelConfig", IssueCode.REQUIRED),
        (
            WhatIf(config=STEPS["config"], model_config={"hidden_size": 8}),
            "modelConfig",
            IssueCode.MODEL_CONFIG_INVALID,
        ),
        (WhatIf(config=STEPS["config"], model_config=[1, 2]), "modelConfig", IssueCode.MODEL_CONFIG_INVALID),
        (WhatIf(config=STEPS["config"], tokens=-1.0), "tokens", IssueCode.OUT_OF_RANGE),
        (WhatIf(config=STEPS["config"], tokens=float("nan")), "tokens", IssueCode.OUT_OF_RANGE),
        (WhatIf(config=STEPS["config"], tokens=1e300), "tokens", IssueCode.OUT_OF_RANGE),
        (WhatIf(config=STEPS["config"], parameters=float("inf")), "parameters", IssueCode.OUT_OF_RANGE),
    ],
)
def test_bad_what_if_input_is_a_validation_error_with_a_path(asked: WhatIf, path: str, code: IssueCode) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        what_if(asked)
    assert (path, code) in {(issue.path, issue.code) for issue in refused.value.issues}, refused.value.issues


def test_pending_issues_are_pending_severity() -> None:
    package = content()
    report = validate_step(
        Step.DEPLOY, package, fact_store.facts_for(package, stored_for(package, estimate=False)), for_completion=True
    )
    assert all(issue.severity is Severity.PENDING for issue in report.pending)
    assert report.pending
