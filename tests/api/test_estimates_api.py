"""The estimate through the API: the job started by saves and by what the workers learn, its result
on `Version.estimate` and in step 4, supersession, concurrent saves, failures, and the what-if query.

No worker runs here: ``tests.support.results`` plays its part with the real claim and outcome steps.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

from sqlalchemy import delete
from strawberry import relay

from db.models import HardwareCatalogue
from tests.support.flows import create_package, save
from tests.support.graphql import Api
from tests.support.results import LEASE, LLAMA_3_2_1B, LONG_ROWS, conclude_job, finish_jobs
from tests.support.servers import InProcessServer
from tests.support.ws import WsClient
from trainpack.database import unit_of_work
from workflow import jobs
from workflow.core.hardware import DEFAULT_CATALOGUE, flavour_to_json
from workflow.events import utcnow
from workflow.facts import ModelFacts
from workflow.job_inputs import JobKind

CONFIG: dict[str, Any] = {
    "method": "LORA",
    "trainer": "SFT",
    "epochs": 1,
    "learningRate": 2e-4,
    "batchSize": 8,
    "maxSeqLength": 2048,
    "precision": "bf16",
    "lora": {"r": 8, "alpha": 16, "targetModules": ["q_proj", "v_proj"]},
}
STEPS: dict[str, Any] = {
    "model": {"source": "HUB", "repoId": "meta-llama/Llama-3.2-1B"},
    "config": CONFIG,
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
        "space": {"owner": "acme", "name": "train", "hardware": "a10g-small"},
        "hubTokenSecret": "HF_TOKEN",
        "budgetUsd": 0.05,
    },
}
VIEW = """
query ($id: ID!) { node(id: $id) { ... on Package {
  jobs(first: 50) { edges { node { id kind status message error { code } } } }
  events(first: 200) { edges { node { type payload } } }
  draft { revision
    estimate { peakMemoryGiB recommended inputsHash computedAt tokens
      breakdown { weights adapters gradients optimizer activations logits overhead }
      flavours { name fits peakMemoryGiB memoryPerGpuGiB hours usd reason }
      assumptions { key value note } }
    steps { step status awaitingCompletion errors { path code message } warnings { path code message }
      pending { path code } } } } } }
"""
ESTIMATE = """
query ($input: TrainingEstimateInput!) { trainingEstimate(input: $input) {
  __typename
  ... on TrainingEstimate { peakMemoryGiB recommended tokens inputsHash flavours { name fits usd } assumptions { key } }
  ... on ValidationFailed { code issues { path code message } }
  ... on NotFound { code id } } }
"""
START = """
mutation ($input: StartJobInput!) { startJob(input: $input) {
  __typename ... on JobUpdated { job { kind status } } ... on UserError { code message } } }
"""


def _uuid(global_id: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


async def _view(api: Api, package_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.execute(VIEW, id=package_id))["node"]
    return found


def _jobs(view: dict[str, Any], kind: str = "ESTIMATE_COST") -> list[dict[str, Any]]:
    return [edge["node"] for edge in view["jobs"]["edges"] if edge["node"]["kind"] == kind]


async def _estimate_events(api: Api, package_id: str) -> list[dict[str, Any]]:
    """The package's ESTIMATE_CHANGED events, once listed (the log lists an event only once no older
    transaction is still running, which a busy database may hold back for a moment)."""
    for _ in range(50):
        events = [edge["node"] for edge in (await _view(api, package_id))["events"]["edges"]]
        changed = [event for event in events if event["type"] == "ESTIMATE_CHANGED"]
        if changed:
            return changed
        await asyncio.sleep(0.1)
    raise AssertionError("no ESTIMATE_CHANGED event was listed")


def _deploy(view: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = view["draft"]["steps"][3]
    return step


async def test_the_estimate_follows_the_inputs_and_step_4_names_memory_and_cost(api: Api) -> None:
    assert api.database_url is not None
    package_id, _ = await create_package(api, steps=STEPS)
    before = await _view(api, package_id)
    assert _jobs(before) == []  # nothing to estimate before the model is resolved
    assert before["draft"]["estimate"] is None
    await finish_jobs(api.database_url, _uuid(package_id), dataset=LONG_ROWS)
    view = await _view(api, package_id)
    # One estimate when the model was resolved (no volume yet), superseded by one more once the data
    # was profiled (newest first).
    assert [job["status"] for job in _jobs(view)] == ["SUCCEEDED", "CANCELLED"], _jobs(view)
    estimate = view["draft"]["estimate"]
    assert estimate["recommended"] == "l40sx1" and estimate["tokens"] > 0 and estimate["computedAt"]
    assert estimate["inputsHash"].startswith("estimate:")
    assert {line["name"]: line["fits"] for line in estimate["flavours"]}["a10g-small"] is False
    assert sum(estimate["breakdown"].values()) > 20
    assert {item["key"] for item in estimate["assumptions"]} >= {"weights", "optimizer", "multiGpu", "catalogue"}
    errors = {error["code"]: error["message"] for error in _deploy(view)["errors"]}
    # (No organisation secret is set in these tests: the Hub token's check fails on its own.)
    assert set(errors) == {"HARDWARE_TOO_SMALL", "BUDGET_EXCEEDED", "HUB_TOKEN_SECRET_MISSING"}, errors
    peak = next(line for line in estimate["flavours"] if line["name"] == "a10g-small")["peakMemoryGiB"]
    assert f"{peak:.1f} GiB" in errors["HARDWARE_TOO_SMALL"] and "22.5 GiB" in errors["HARDWARE_TOO_SMALL"]
    assert "$0.05" in errors["BUDGET_EXCEEDED"]
    changed = await _estimate_events(api, package_id)
    assert changed[-1]["payload"]["inputsHash"] == estimate["inputsHash"]

    # The chosen flavour that fits, with a cap above the cost: no error, no pending fit or budget.
    fixed = await save(
        api,
        package_id,
        view["draft"]["revision"],
        {"deploy": {**STEPS["deploy"], "space": {**STEPS["deploy"]["space"], "hardware": "l40sx1"}, "budgetUsd": 100}},
    )
    assert fixed["__typename"] == "DraftUpdated"
    after = await _view(api, package_id)
    assert [e["code"] for e in _deploy(after)["errors"]] == ["HUB_TOKEN_SECRET_MISSING"]
    assert _deploy(after)["pending"] == []
    assert len(_jobs(after)) == 2  # the target and budget are no inputs of the estimate


async def test_a_newer_estimate_supersedes_an_older_one_for_the_same_draft(api: Api) -> None:
    assert api.database_url is not None
    package_id, _ = await create_package(api, steps=STEPS)
    package = _uuid(package_id)
    await finish_jobs(api.database_url, package, dataset=LONG_ROWS, kinds=(JobKind.RESOLVE_MODEL,))
    await finish_jobs(api.database_url, package, dataset=LONG_ROWS, kinds=(JobKind.PROFILE_DATASET,))
    [older_id] = [_uuid(job["id"]) for job in _jobs(await _view(api, package_id)) if job["status"] == "QUEUED"]
    async with unit_of_work(api.database_url) as uow:  # a worker took it and is computing
        older = await jobs.claim(uow, older_id, LEASE)
    assert older is not None
    view = await _view(api, package_id)
    saved = await save(api, package_id, view["draft"]["revision"], {"config": {**CONFIG, "batchSize": 1}})
    assert saved["__typename"] == "DraftUpdated"
    view = await _view(api, package_id)
    by_status = {job["status"]: job for job in _jobs(view)}
    assert set(by_status) >= {"RUNNING", "QUEUED"}
    assert "Superseded" in by_status["RUNNING"]["message"]
    async with unit_of_work(api.database_url) as uow:  # the older one ends late, with its result
        await conclude_job(uow, older, dataset=LONG_ROWS)
    view = await _view(api, package_id)
    assert view["draft"]["estimate"] is None  # not applied: the draft has other inputs now
    assert "HARDWARE_FIT_PENDING" in [p["code"] for p in _deploy(view)["pending"]]
    await finish_jobs(api.database_url, package, dataset=LONG_ROWS)
    view = await _view(api, package_id)
    assert view["draft"]["estimate"]["peakMemoryGiB"] < 22.5  # batch 1 fits the a10g
    assert "HARDWARE_TOO_SMALL" not in [e["code"] for e in _deploy(view)["errors"]]


async def test_concurrent_saves_leave_one_live_estimate_for_the_last_config(api: Api) -> None:
    assert api.database_url is not None
    package_id, _ = await create_package(api, steps=STEPS)
    package = _uuid(package_id)
    await finish_jobs(api.database_url, package, dataset=LONG_ROWS)

    async def save_batch(batch: int) -> int:
        while True:
            revision = (await _view(api, package_id))["draft"]["revision"]
            result = await save(api, package_id, revision, {"config": {**CONFIG, "batchSize": batch}})
            if result["__typename"] == "DraftUpdated":
                return int(result["revision"])
            assert result["__typename"] == "RevisionConflict", result

    batches = [1, 2, 3, 4, 5, 6, 7, 9]  # each unlike the saved config (8)
    revisions = await asyncio.gather(*(save_batch(batch) for batch in batches))
    assert sorted(revisions) == list(range(min(revisions), min(revisions) + 8))  # every save landed, in turn
    view = await _view(api, package_id)
    estimates = _jobs(view)
    live = [job for job in estimates if job["status"] in ("QUEUED", "RUNNING")]
    assert len(live) == 1, estimates  # each save superseded the one before
    assert len(estimates) == 2 + 8  # one per save, none twice
    assert {job["status"] for job in estimates} == {"SUCCEEDED", "CANCELLED", "QUEUED"}
    assert len({job["id"] for job in estimates}) == len(estimates)
    await finish_jobs(api.database_url, package, dataset=LONG_ROWS)
    view = await _view(api, package_id)
    final = view["draft"]["estimate"]
    assert final is not None
    winner = batches[revisions.index(max(revisions))]
    asked = await api.execute(ESTIMATE, input={"packageId": package_id, "config": {**CONFIG, "batchSize": winner}})
    assert asked["trainingEstimate"]["peakMemoryGiB"] == final["peakMemoryGiB"]


async def test_an_estimate_that_cannot_be_made_ends_with_a_code_the_step_shows(api: Api) -> None:
    assert api.database_url is not None
    package_id, _ = await create_package(api, steps=STEPS)
    shapeless = ModelFacts(**{**LLAMA_3_2_1B.__dict__, "arch": None})
    await finish_jobs(api.database_url, _uuid(package_id), model=shapeless, dataset=LONG_ROWS)
    view = await _view(api, package_id)
    ended = [job for job in _jobs(view) if job["status"] != "CANCELLED"]  # the first, superseded
    assert [(job["status"], job["error"]["code"]) for job in ended] == [("FAILED", "ESTIMATE_MODEL_FACTS_MISSING")]
    assert [e["code"] for e in _deploy(view)["errors"]] == ["ESTIMATE_MODEL_FACTS_MISSING", "HUB_TOKEN_SECRET_MISSING"]
    assert view["draft"]["estimate"] is None


async def test_starting_an_estimate_needs_its_inputs(api: Api) -> None:
    assert api.database_url is not None
    package_id, _ = await create_package(api, steps={"config": CONFIG})
    refused = (await api.execute(START, input={"packageId": package_id, "kind": "ESTIMATE_COST"}))["startJob"]
    assert (refused["__typename"], refused["code"]) == ("OperationRefused", "ESTIMATE_INPUTS_MISSING")
    package_id, _ = await create_package(api, steps=STEPS)
    await finish_jobs(api.database_url, _uuid(package_id), dataset=LONG_ROWS)
    started = (await api.execute(START, input={"packageId": package_id, "kind": "ESTIMATE_COST"}))["startJob"]
    assert started == {"__typename": "JobUpdated", "job": {"kind": "ESTIMATE_COST", "status": "QUEUED"}}


async def test_the_what_if_query_answers_unsaved_values_and_refuses_bad_input(api: Api) -> None:
    assert api.database_url is not None
    package_id, _ = await create_package(api, steps=STEPS)
    await finish_jobs(api.database_url, _uuid(package_id), dataset=LONG_ROWS)
    saved = (await _view(api, package_id))["draft"]["estimate"]
    same = (await api.execute(ESTIMATE, input={"packageId": package_id}))["trainingEstimate"]
    assert same["__typename"] == "TrainingEstimate" and same["inputsHash"] is None
    assert (same["peakMemoryGiB"], same["recommended"]) == (saved["peakMemoryGiB"], saved["recommended"])
    smaller = await api.execute(ESTIMATE, input={"packageId": package_id, "config": {**CONFIG, "batchSize": 1}})
    assert smaller["trainingEstimate"]["peakMemoryGiB"] < same["peakMemoryGiB"]
    standalone = {
        "config": CONFIG,
        "modelConfig": {
            "model_type": "llama",
            "hidden_size": 2048,
            "num_hidden_layers": 16,
            "num_attention_heads": 32,
            "num_key_value_heads": 8,
            "intermediate_size": 8192,
            "vocab_size": 128256,
            "tie_word_embeddings": True,
        },
        "tokens": 5e7,
    }
    alone = (await api.execute(ESTIMATE, input=standalone))["trainingEstimate"]
    assert alone["__typename"] == "TrainingEstimate" and alone["tokens"] == 5e7
    assert all(line["usd"] is not None for line in alone["flavours"] if line["fits"])

    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"config": {**CONFIG, "batchSize": 0}, "packageId": package_id}, "config.batchSize", "OUT_OF_RANGE"),
        ({"config": {**CONFIG, "epochs": "three"}, "packageId": package_id}, "config.epochs", "INVALID_TYPE"),
        ({"config": CONFIG}, "modelConfig", "REQUIRED"),
        ({**standalone, "modelConfig": {"hidden_size": 1}}, "modelConfig", "MODEL_CONFIG_INVALID"),
        ({**standalone, "tokens": -5}, "tokens", "OUT_OF_RANGE"),
        ({**standalone, "tokens": 1e300}, "tokens", "OUT_OF_RANGE"),
        ({**standalone, "parameters": 1e300}, "parameters", "OUT_OF_RANGE"),
        ({**standalone, "config": "LORA please"}, "config", "INVALID_TYPE"),
    ]
    for payload, path, code in cases:
        response = await api.raw(ESTIMATE, {"input": payload})
        assert response.status_code == 200
        answer = response.json()["data"]["trainingEstimate"]
        assert answer["__typename"] == "ValidationFailed", (payload, answer)
        assert (path, code) in {(issue["path"], issue["code"]) for issue in answer["issues"]}, answer
    missing = (await api.execute(ESTIMATE, input={"packageId": "UGFja2FnZTpub3BlCg=="}))["trainingEstimate"]
    assert missing["__typename"] == "NotFound"


ESTIMATE_EVENTS = """
subscription ($id: ID!) { packageEvents(packageId: $id) {
  __typename ... on EstimateChangedEvent { versionId inputsHash recommended errorCode } } }
"""


async def test_a_new_estimate_is_streamed_to_the_packages_subscribers(api: Api, api_server: InProcessServer) -> None:
    assert api.database_url is not None
    package_id, _ = await create_package(api, steps=STEPS)
    async with WsClient(api_server.graphql_url) as ws:
        assert (await ws.init(api.token))["type"] == "connection_ack"
        await ws.subscribe("1", ESTIMATE_EVENTS, id=package_id)
        await asyncio.sleep(0.2)
        await finish_jobs(api.database_url, _uuid(package_id), dataset=LONG_ROWS)
        received: list[dict[str, Any]] = []
        while not any(event["__typename"] == "EstimateChangedEvent" and event["recommended"] for event in received):
            received.extend(data["packageEvents"] for data in await ws.events(1))
    view = await _view(api, package_id)
    changed = [event for event in received if event["__typename"] == "EstimateChangedEvent"]
    assert changed[-1] == {
        "__typename": "EstimateChangedEvent",
        "versionId": changed[-1]["versionId"],
        "inputsHash": view["draft"]["estimate"]["inputsHash"],
        "recommended": "l40sx1",
        "errorCode": None,
    }


async def test_the_estimate_sizes_the_run_on_the_catalogue_in_use(api: Api) -> None:
    assert api.database_url is not None
    a100 = DEFAULT_CATALOGUE.by_name()["a100-large"]
    h200 = dataclasses.replace(a100, name="h200x1", pretty_name="1x Nvidia H200", usd_per_hour=5.0)
    flavours = [flavour_to_json(flavour) for flavour in (*DEFAULT_CATALOGUE.flavours, h200)]
    async with unit_of_work(api.database_url) as uow:
        await uow.hardware.replace(
            source="test", endpoint="http://hub.test", fetched_at=utcnow(), flavours=flavours, notes=()
        )
    try:
        deploy = {**STEPS["deploy"], "space": {**STEPS["deploy"]["space"], "hardware": "h200x1"}, "budgetUsd": None}
        package_id, _ = await create_package(api, steps={**STEPS, "deploy": deploy})
        await finish_jobs(api.database_url, _uuid(package_id), dataset=LONG_ROWS)
        view = await _view(api, package_id)
        lines = {line["name"]: line for line in view["draft"]["estimate"]["flavours"]}
        assert lines["h200x1"]["fits"] and lines["h200x1"]["usd"] > lines["a100-large"]["usd"]
        assert [e["code"] for e in _deploy(view)["errors"]] == ["HUB_TOKEN_SECRET_MISSING"]
        assert "CHEAPER_HARDWARE_FITS" in [warning["code"] for warning in _deploy(view)["warnings"]]
    finally:
        async with unit_of_work(api.database_url) as uow:
            await uow.session.execute(delete(HardwareCatalogue))


async def test_a_flavour_the_catalogue_gained_after_the_estimate_is_sized_by_a_new_one(api: Api) -> None:
    assert api.database_url is not None
    package_id, _ = await create_package(api, steps=STEPS)
    await finish_jobs(api.database_url, _uuid(package_id), dataset=LONG_ROWS)
    a100 = DEFAULT_CATALOGUE.by_name()["a100-large"]
    h200 = dataclasses.replace(a100, name="h200x1", pretty_name="1x Nvidia H200", usd_per_hour=5.0)
    flavours = [flavour_to_json(flavour) for flavour in (*DEFAULT_CATALOGUE.flavours, h200)]
    async with unit_of_work(api.database_url) as uow:
        await uow.hardware.replace(
            source="test", endpoint="http://hub.test", fetched_at=utcnow(), flavours=flavours, notes=()
        )
    try:
        view = await _view(api, package_id)
        before = view["draft"]["estimate"]
        assert "h200x1" not in {line["name"] for line in before["flavours"]}
        deploy = {**STEPS["deploy"], "space": {**STEPS["deploy"]["space"], "hardware": "h200x1"}, "budgetUsd": None}
        saved = await save(api, package_id, view["draft"]["revision"], {"deploy": deploy})
        assert saved["__typename"] == "DraftUpdated"
        view = await _view(api, package_id)
        assert next(job["status"] for job in _jobs(view)) == "QUEUED"  # newest first
        pending = [p["code"] for p in _deploy(view)["pending"]]
        assert "HARDWARE_FIT_PENDING" in pending
        await finish_jobs(api.database_url, _uuid(package_id), dataset=LONG_ROWS)
        view = await _view(api, package_id)
        after = view["draft"]["estimate"]
        assert after["inputsHash"] == before["inputsHash"]  # the same inputs, sized anew
        assert {line["name"]: line["fits"] for line in after["flavours"]}["h200x1"] is True
        assert "HARDWARE_FIT_PENDING" not in [p["code"] for p in _deploy(view)["pending"]]
    finally:
        async with unit_of_work(api.database_url) as uow:
            await uow.session.execute(delete(HardwareCatalogue))
