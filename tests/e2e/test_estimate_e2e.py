"""The estimate end to end: the API under uvicorn, a real Redis, a real `trainpack worker`, and the
Hub stand-in the real huggingface_hub client talks to.

A LoRA config on a resolved model and a profiled upload starts the estimate job; step 4 shows the
fit per flavour, the recommended flavour and the cost; a flavour too small and a budget under the
estimate are errors naming both numbers; step 4 completes only once the estimate is in, and
nothing is published while a check is pending.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import issue_token
from tests.support import documents as docs
from tests.support.flows import upload_dataset
from tests.support.graphql import Api
from tests.support.hub_standin import HubStandin
from tests.support.job_stack import complete, new_package, save, wait_for_jobs, worker_env, worker_process
from tests.support.model_files import tiny_llama
from tests.support.servers import InProcessServer

pytestmark = pytest.mark.slow

LLAMA_1B_SHAPE = {
    "hidden_size": 2048,
    "num_hidden_layers": 16,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 64,
    "intermediate_size": 8192,
    "vocab_size": 128256,
    "tie_word_embeddings": True,
}
"""Llama 3.2 1B's dimensions, on tiny weights: the estimate sizes activations from the config."""
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
SPACE = {"owner": "acme", "name": "train-wide", "hardware": "a10g-small"}
VIEW = """
query ($id: ID!) { node(id: $id) { ... on Package {
  jobs(first: 50) { edges { node { kind status message error { code message } } } }
  events(first: 200) { edges { node { type payload } } }
  draft { revision
    estimate { peakMemoryGiB recommended tokens inputsHash computedAt
      flavours { name fits peakMemoryGiB memoryPerGpuGiB usd hours reason } assumptions { key value } }
    steps { step status awaitingCompletion errors { code path message } warnings { code path message }
      pending { code path } } } } } }
"""


@dataclass
class Stack:
    hub: HubStandin
    server: InProcessServer
    env: dict[str, str]


@pytest.fixture(scope="module")
def stack(database_url: str, redis_url: str) -> Iterator[Stack]:
    namespace = f"e2e-{uuid.uuid4().hex[:8]}"
    with HubStandin() as hub, tempfile.TemporaryDirectory(prefix="trainpack-models-") as cache:
        env = worker_env(database_url, redis_url, hub.url, cache, namespace)
        with InProcessServer.start(database_url, redis_url=redis_url, queue_namespace=namespace) as server:
            yield Stack(hub, server, env)


async def _view(api: Api, package_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.execute(VIEW, id=package_id))["node"]
    return found


def _step(view: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(step for step in view["draft"]["steps"] if step["step"] == name)
    return found


async def _until(
    api: Api, package_id: str, ready: Callable[[dict[str, Any]], bool], timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        view = await _view(api, package_id)
        if ready(view):
            return view
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached: {json.dumps(view)[:3000]}")
        await asyncio.sleep(0.2)


def _changes(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in view["events"]["edges"] if edge["node"]["type"] == "ESTIMATE_CHANGED"]


def _estimated(view: dict[str, Any]) -> bool:
    estimate = view["draft"]["estimate"]
    return estimate is not None and estimate["tokens"] is not None


def _long_rows(count: int = 40) -> bytes:
    words = " ".join(["token"] * 1300)
    return b"".join(json.dumps({"prompt": words, "completion": words}).encode() + b"\n" for _ in range(count))


async def _publish(api: Api, package_id: str, revision: int) -> dict[str, Any]:
    answer: dict[str, Any] = (
        await api.execute(docs.PUBLISH, input={"id": package_id, "expectedRevision": revision, "changelog": "v1"})
    )["publishVersion"]
    return answer


async def test_step_4_fits_costs_and_completes_only_once_the_estimate_is_in(stack: Stack, database_url: str) -> None:
    stack.hub.add_model("acme/wide-llama", tiny_llama(context_length=4096, config_overrides=LLAMA_1B_SHAPE).files)
    token = await issue_token(database_url)
    async with Api(stack.server.graphql_url, token) as api:
        with worker_process(stack.env):
            package_id, revision = await new_package(api)
            saved = await save(api, package_id, revision, {"model": {"source": "HUB", "repoId": "acme/wide-llama"}})
            [resolved] = await wait_for_jobs(api, package_id, "RESOLVE_MODEL", 1)
            assert resolved["status"] == "SUCCEEDED", resolved
            done = await complete(api, package_id, saved["revision"], "model")
            saved = await save(api, package_id, done["revision"], {"config": CONFIG})
            done = await complete(api, package_id, saved["revision"], "config")
            assert done["version"]["steps"][1]["status"] == "COMPLETE", done

            upload_id = await upload_dataset(stack.server.graphql_url, token, "long.jsonl", _long_rows())
            source = {"source": "UPLOAD", "uploadId": upload_id, "format": "INSTRUCTION"}
            source["columnMapping"] = {"prompt": "prompt", "completion": "completion"}  # type: ignore[assignment]
            saved = await save(api, package_id, done["revision"], {"dataset": {"sources": [source]}})
            await wait_for_jobs(api, package_id, "PROFILE_DATASET", 1)
            view = await _until(api, package_id, _estimated)
            done = await complete(api, package_id, view["draft"]["revision"], "dataset")
            assert done["version"]["steps"][2]["status"] == "COMPLETE", done

            deploy = {"target": "HF_SPACE", "space": SPACE, "hubTokenSecret": "HF_TOKEN", "budgetUsd": 0.05}
            await save(api, package_id, done["revision"], {"deploy": deploy})
            view = await _view(api, package_id)

            # Fit per flavour, the recommended flavour and its cost.
            estimate = view["draft"]["estimate"]
            lines = {line["name"]: line for line in estimate["flavours"]}
            assert estimate["recommended"] == "l40sx1", estimate
            assert not lines["a10g-small"]["fits"] and lines["l40sx1"]["fits"] and lines["a100-large"]["fits"]
            assert lines["l40sx1"]["usd"] > 0.05 and lines["l40sx1"]["hours"] > 0
            assert {"weights", "activations", "utilisation", "billing"} <= {a["key"] for a in estimate["assumptions"]}
            estimates = [edge["node"] for edge in view["jobs"]["edges"] if edge["node"]["kind"] == "ESTIMATE_COST"]
            assert "SUCCEEDED" in {job["status"] for job in estimates}
            listed = await _until(api, package_id, lambda v: bool(_changes(v)), timeout=10)  # the log's horizon
            assert _changes(listed)[-1]["payload"]["inputsHash"] == estimate["inputsHash"]

            # Too small and over budget, each naming both numbers.
            errors = {error["code"]: error["message"] for error in _step(view, "DEPLOY")["errors"]}
            # (No organisation secret is set here: the Hub token's check fails on its own.)
            assert set(errors) == {"HARDWARE_TOO_SMALL", "BUDGET_EXCEEDED", "HUB_TOKEN_SECRET_MISSING"}, errors
            needed, available = lines["a10g-small"]["peakMemoryGiB"], lines["a10g-small"]["memoryPerGpuGiB"]
            assert f"{needed:.1f} GiB" in errors["HARDWARE_TOO_SMALL"], errors
            assert f"{available:.1f} GiB" in errors["HARDWARE_TOO_SMALL"], errors
            cost = lines["a10g-small"]["usd"]
            assert f"${cost:.2f}" in errors["BUDGET_EXCEEDED"] and "$0.05" in errors["BUDGET_EXCEEDED"], errors

            failed = await complete(api, package_id, view["draft"]["revision"], "deploy")
            assert failed["version"]["steps"][3]["status"] == "ERROR"
            refused = await _publish(api, package_id, failed["revision"])
            assert refused["__typename"] == "ValidationFailed", refused
            assert {"HARDWARE_TOO_SMALL", "BUDGET_EXCEEDED"} <= {issue["code"] for issue in refused["issues"]}

        # No worker now: a new config's estimate waits in the queue.
        revision = failed["revision"]
        local = {"target": "LOCAL_BUNDLE", "space": None, "hubTokenSecret": None, "budgetUsd": 100}
        revision = (await save(api, package_id, revision, {"deploy": local}))["revision"]
        revision = (await save(api, package_id, revision, {"config": {**CONFIG, "batchSize": 4}}))["revision"]
        done = await complete(api, package_id, revision, "config")
        assert [step["status"] for step in done["version"]["steps"]] == [
            "COMPLETE",
            "COMPLETE",
            "COMPLETE",
            "IN_PROGRESS",
        ], done
        waiting = await complete(api, package_id, done["revision"], "deploy")
        view = await _view(api, package_id)
        deploy_step = _step(view, "DEPLOY")
        assert deploy_step["status"] == "IN_PROGRESS" and deploy_step["awaitingCompletion"], deploy_step
        assert [p["code"] for p in deploy_step["pending"]] == ["BUDGET_CHECK_PENDING"]
        assert view["draft"]["estimate"] is None  # the old one is for other inputs
        refused = await _publish(api, package_id, waiting["revision"])
        assert refused["__typename"] == "ChecksPending", refused
        assert [issue["code"] for issue in refused["pending"]] == ["BUDGET_CHECK_PENDING"]

        with worker_process(stack.env):
            await _until(api, package_id, lambda v: _step(v, "DEPLOY")["status"] == "COMPLETE")
        # Read again: one request reads the package (its facts) and the draft a moment apart, and the
        # estimate's commit may fall between them.
        view = await _view(api, package_id)
        assert _estimated(view), json.dumps({"jobs": view["jobs"], "estimate": view["draft"]["estimate"]})
        assert not _step(view, "DEPLOY")["awaitingCompletion"]
        assert view["draft"]["revision"] == waiting["revision"]  # the result is no write of the user's
        published = await _publish(api, package_id, view["draft"]["revision"])
        assert published["__typename"] == "VersionPublished", published


async def test_a_model_without_dimensions_fails_the_estimate_with_a_code_step_4_shows(
    stack: Stack, database_url: str
) -> None:
    stack.hub.add_model("acme/shapeless", tiny_llama().files)  # config.json: no layers, heads or vocabulary
    async with Api(stack.server.graphql_url, await issue_token(database_url)) as api:
        with worker_process(stack.env):
            package_id, revision = await new_package(api)
            steps = {
                "model": {"source": "HUB", "repoId": "acme/shapeless"},
                "config": {**CONFIG, "maxSeqLength": 512},
                "deploy": {"target": "HF_SPACE", "space": SPACE, "hubTokenSecret": "HF_TOKEN"},
            }
            await save(api, package_id, revision, steps)
            [job] = await wait_for_jobs(api, package_id, "ESTIMATE_COST", 1)
            assert (job["status"], job["error"]["code"]) == ("FAILED", "ESTIMATE_MODEL_FACTS_MISSING"), job
            view = await _view(api, package_id)
            errors = _step(view, "DEPLOY")["errors"]
            assert ("deploy.space.hardware", "ESTIMATE_MODEL_FACTS_MISSING") in [(e["path"], e["code"]) for e in errors]
            assert "HARDWARE_FIT_PENDING" not in [p["code"] for p in _step(view, "DEPLOY")["pending"]]
