"""Jobs end to end: the API under uvicorn, a real Redis, real `trainpack worker` processes, and the
Hub stand-in that the real huggingface_hub client talks to.

The worker runs with short leases and broker heartbeats so a killed worker's job is taken over
in seconds rather than minutes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import issue_token
from tests.support.flows import upload_dataset
from tests.support.graphql import Api
from tests.support.hub_standin import HubStandin
from tests.support.job_stack import complete, new_package, save, view, wait_for_jobs, worker_env, worker_process
from tests.support.model_files import large_model, tiny_llama
from tests.support.servers import InProcessServer
from tests.support.ws import WsClient

pytestmark = pytest.mark.slow

START = """
mutation ($input: StartJobInput!) { startJob(input: $input) {
  __typename ... on JobUpdated { job { id status } } ... on UserError { code message } } }
"""
CANCEL = """
mutation ($input: JobInput!) { cancelJob(input: $input) {
  __typename ... on JobUpdated { job { id status cancelRequested } } ... on UserError { code message } } }
"""
JOB_EVENTS = """
subscription ($jobId: ID!) { jobEvents(jobId: $jobId) { status progress message finished } }
"""
CONFIG = {
    "method": "LORA",
    "trainer": "SFT",
    "epochs": 1,
    "learningRate": 0.0002,
    "batchSize": 4,
    "maxSeqLength": 1024,
    "lora": {"r": 8, "alpha": 16, "targetModules": ["q_proj", "v_proj"]},
}


@dataclass
class Stack:
    hub: HubStandin
    server: InProcessServer
    env: dict[str, str]
    cache: Path


@pytest.fixture(scope="module")
def stack(database_url: str, redis_url: str) -> Iterator[Stack]:
    namespace = f"e2e-{uuid.uuid4().hex[:8]}"
    with HubStandin() as hub, tempfile.TemporaryDirectory(prefix="trainpack-models-") as cache:
        env = worker_env(database_url, redis_url, hub.url, cache, namespace)
        with InProcessServer.start(database_url, redis_url=redis_url, queue_namespace=namespace) as server:
            yield Stack(hub, server, env, Path(cache))


@pytest.fixture
async def api(stack: Stack, database_url: str) -> AsyncIterator[Api]:
    async with Api(stack.server.graphql_url, await issue_token(database_url)) as client:
        yield client


def _state(package: dict[str, Any], step: str) -> dict[str, Any]:
    state: dict[str, Any] = next(s for s in package["draft"]["steps"] if s["step"].lower() == step.lower())
    return state


async def test_model_resolution_feeds_steps_and_an_upload_is_profiled_with_line_numbers(
    stack: Stack, database_url: str
) -> None:
    model = tiny_llama(context_length=2048)
    sha = stack.hub.add_model("acme/tiny-llama", model.files)
    token = await issue_token(database_url)
    with worker_process(stack.env):
        async with Api(stack.server.graphql_url, token) as api:
            package_id, revision = await new_package(api)
            saved = await save(api, package_id, revision, {"model": {"source": "HUB", "repoId": "acme/tiny-llama"}})
            [job] = await wait_for_jobs(api, package_id, "RESOLVE_MODEL", 1)
            assert job["status"] == "SUCCEEDED", job
            assert job["result"]["resolvedSha"] == sha and job["result"]["contextLength"] == 2048
            package = await view(api, package_id)
            model_state = _state(package, "model")
            assert sha[:7] in model_state["summary"]
            assert not any(w["code"].endswith("PENDING") for w in model_state["warnings"])
            done = await complete(api, package_id, saved["revision"], "model")
            assert done["version"]["steps"][0]["status"] == "COMPLETE"

            too_long = await save(api, package_id, done["revision"], {"config": {**CONFIG, "maxSeqLength": 4096}})
            assert "MAX_SEQ_LENGTH_EXCEEDS_CONTEXT" in [e["code"] for e in too_long["errors"]]
            fitted = await save(api, package_id, too_long["revision"], {"config": CONFIG})
            done = await complete(api, package_id, fitted["revision"], "config")
            assert done["version"]["steps"][1]["status"] == "COMPLETE", done

            good = {"prompt": "Say hi", "completion": "hi"}
            broken = b"\n".join([json.dumps(good).encode(), json.dumps(good).encode(), b'{"prompt": "oops"', b""])
            upload_id = await upload_dataset(stack.server.graphql_url, token, "train.jsonl", broken)
            source = {"source": "UPLOAD", "uploadId": upload_id, "format": "INSTRUCTION"}
            source["columnMapping"] = {"prompt": "prompt", "completion": "completion"}  # type: ignore[assignment]
            saved = await save(api, package_id, done["revision"], {"dataset": {"sources": [source]}})
            [profiled] = await wait_for_jobs(api, package_id, "PROFILE_DATASET", 1)
            assert profiled["status"] == "SUCCEEDED", profiled
            errors = _state(await view(api, package_id), "dataset")["errors"]
            malformed = [e for e in errors if e["code"] == "DATASET_ROW_MALFORMED"]
            assert malformed and malformed[0]["message"].startswith("line 3"), errors
            revision = (await view(api, package_id))["draft"]["revision"]

            fixed = b"\n".join(json.dumps(good).encode() for _ in range(3)) + b"\n"
            fixed_id = await upload_dataset(stack.server.graphql_url, token, "train.jsonl", fixed)
            saved = await save(api, package_id, revision, {"dataset": {"sources": [{**source, "uploadId": fixed_id}]}})
            await wait_for_jobs(api, package_id, "PROFILE_DATASET", 2)
            revision = (await view(api, package_id))["draft"]["revision"]
            done = await complete(api, package_id, revision, "dataset")
            assert done["version"]["steps"][2]["status"] == "COMPLETE", done


async def test_not_found_fails_at_once_and_a_flaky_hub_is_retried_until_it_answers(stack: Stack, api: Api) -> None:
    stack.hub.add_model("acme/flaky", tiny_llama().files)
    with worker_process(stack.env):
        missing_id, revision = await new_package(api)
        await save(api, missing_id, revision, {"model": {"source": "HUB", "repoId": "acme/missing"}})
        [failed] = await wait_for_jobs(api, missing_id, "RESOLVE_MODEL", 1)
        assert (failed["status"], failed["error"]["code"], failed["attempts"]) == ("FAILED", "HUB_NOT_FOUND", 1)
        model_errors = _state(await view(api, missing_id), "model")["errors"]
        assert [e["code"] for e in model_errors] == ["HUB_NOT_FOUND"]

        stack.hub.inject(r"^/api/models/acme/flaky", 503, times=1)
        stack.hub.inject(r"^/api/models/acme/flaky", 429, times=1, retry_after=1)
        flaky_id, revision = await new_package(api)
        await save(api, flaky_id, revision, {"model": {"source": "HUB", "repoId": "acme/flaky"}})
        [job] = await wait_for_jobs(api, flaky_id, "RESOLVE_MODEL", 1)
        assert (job["status"], job["attempts"]) == ("SUCCEEDED", 3), job


async def test_download_progress_streams_and_cancel_stops_it(stack: Stack, api: Api) -> None:
    # huggingface_hub reports bytes every 10 MB chunk: a 40 MB model at 8 MB/s gives a few reports.
    stack.hub.add_model("acme/slow", large_model(40).files)
    stack.hub.throttle(8_000_000)
    try:
        with worker_process(stack.env):
            package_id, revision = await new_package(api)
            await save(api, package_id, revision, {"model": {"source": "HUB", "repoId": "acme/slow"}})
            started = (await api.execute(START, input={"packageId": package_id, "kind": "DOWNLOAD_MODEL"}))["startJob"]
            job_id = started["job"]["id"]
            async with WsClient(stack.server.graphql_url.replace("http", "ws")) as ws:
                await ws.init(api.token)
                await ws.subscribe("1", JOB_EVENTS, jobId=job_id)
                progress: list[float] = []
                while len([p for p in progress if 0 < p < 1]) < 2:
                    message = await ws.receive(timeout=30)
                    assert message["type"] == "next", message
                    progress.append(message["payload"]["data"]["jobEvents"]["progress"])
                assert progress == sorted(progress)
                cancelled = (await api.execute(CANCEL, input={"id": job_id}))["cancelJob"]
                assert cancelled["job"]["cancelRequested"] is True
                while True:
                    message = await ws.receive(timeout=30)
                    event = message["payload"]["data"]["jobEvents"]
                    if event["finished"]:
                        break
                assert event["status"] == "CANCELLED" and event["progress"] < 1
    finally:
        stack.hub.throttle(None)


async def test_a_worker_killed_mid_download_is_replaced_and_the_job_finishes_verified(stack: Stack, api: Api) -> None:
    model = large_model(60)
    stack.hub.add_model("acme/resumable", model.files)
    stack.hub.throttle(10_000_000)
    try:
        package_id, revision = await new_package(api)
        await save(api, package_id, revision, {"model": {"source": "HUB", "repoId": "acme/resumable"}})
        started = (await api.execute(START, input={"packageId": package_id, "kind": "DOWNLOAD_MODEL"}))["startJob"]
        job_id = started["job"]["id"]
        with worker_process(stack.env) as first:
            deadline = time.monotonic() + 30
            while True:
                job = next(
                    e["node"] for e in (await view(api, package_id))["jobs"]["edges"] if e["node"]["id"] == job_id
                )
                if job["status"] == "RUNNING" and 0.1 < job["progress"] < 0.9:
                    break
                assert time.monotonic() < deadline, job
                await asyncio.sleep(0.1)
            os.killpg(first.pid, signal.SIGKILL)  # kill -9, mid-transfer
            first.wait()
        stack.hub.throttle(None)
        with worker_process(stack.env):
            [done] = [
                job
                for job in await wait_for_jobs(api, package_id, "DOWNLOAD_MODEL", 1, timeout=90)
                if job["id"] == job_id
            ]
        assert done["status"] == "SUCCEEDED", done
        assert done["attempts"] >= 2
        weights = Path(done["result"]["path"]) / "model.safetensors"
        assert weights.read_bytes() == model.files["model.safetensors"]
        # The second attempt finished the killed one's partial file: one ranged GET of the rest.
        gets = stack.hub.requests_for(r"resolve/[0-9a-f]{40}/model\.safetensors$", "GET")
        ranges = [request.range for request in gets if request.range and not request.range.startswith("bytes=0-")]
        assert len(ranges) == 1 and int(ranges[0].removeprefix("bytes=").rstrip("-")) > 0, ranges
        assert not list(stack.cache.rglob("*.incomplete"))
    finally:
        stack.hub.throttle(None)


async def test_local_sources_are_read_only_inside_the_configured_roots(stack: Stack, api: Api, tmp_path: Path) -> None:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    inside_model = tiny_llama(context_length=1024).write(allowed / "llama")
    outside_model = tiny_llama().write(outside / "llama")
    secret = outside / "secret.csv"
    secret.write_text("prompt,completion\npassword,hunter2\n")
    env = {**stack.env, "TRAINPACK_LOCAL_ROOTS": json.dumps([str(allowed)])}
    with worker_process(env):
        good_id, revision = await new_package(api)
        await save(api, good_id, revision, {"model": {"source": "LOCAL", "path": str(inside_model)}})
        [resolved] = await wait_for_jobs(api, good_id, "RESOLVE_MODEL", 1)
        assert resolved["status"] == "SUCCEEDED" and resolved["result"]["contextLength"] == 1024, resolved

        fenced_id, revision = await new_package(api)
        saved = await save(api, fenced_id, revision, {"model": {"source": "LOCAL", "path": str(outside_model)}})
        [refused] = await wait_for_jobs(api, fenced_id, "RESOLVE_MODEL", 1)
        assert (refused["status"], refused["error"]["code"], refused["attempts"]) == (
            "FAILED",
            "LOCAL_PATH_FORBIDDEN",
            1,
        )
        assert "LOCAL_PATH_FORBIDDEN" in [e["code"] for e in _state(await view(api, fenced_id), "model")["errors"]]

        source = {
            "source": "LOCAL",
            "path": str(allowed / ".." / "outside" / "secret.csv"),
            "format": "INSTRUCTION",
            "columnMapping": {"prompt": "prompt", "completion": "completion"},
        }
        await save(api, fenced_id, saved["revision"], {"dataset": {"sources": [source]}})
        [profile] = await wait_for_jobs(api, fenced_id, "PROFILE_DATASET", 1)
        assert (profile["status"], profile["error"]["code"]) == ("FAILED", "LOCAL_PATH_FORBIDDEN"), profile
        assert profile["result"] is None and "hunter2" not in json.dumps(await view(api, fenced_id))
