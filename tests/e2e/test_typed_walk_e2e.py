"""The README's walk with the typed API, end to end: a worker resolves the model and profiles a Hub
dataset, the typed content shows what they learnt, and the package is published."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import issue_token
from tests.support.graphql import Api
from tests.support.hub_standin import HubStandin
from tests.support.job_stack import complete, wait_for_jobs, worker_env, worker_process
from tests.support.model_files import tiny_llama
from tests.support.servers import InProcessServer
from tests.support.typed import create_typed, draft_content, save_typed

pytestmark = pytest.mark.slow

ROWS = [{"instruction": f"Say {word}", "output": word} for word in ("hi", "hello", "hey")]
PUBLISH = """
mutation ($input: PublishVersionInput!) { publishVersion(input: $input) {
  __typename ... on VersionPublished { version { number status content { model { resolved { commit } } } } }
  ... on UserError { code message } } }
"""


@pytest.fixture(scope="module")
def stack(database_url: str, redis_url: str) -> Iterator[tuple[HubStandin, InProcessServer, dict[str, str]]]:
    namespace = f"e2e-{uuid.uuid4().hex[:8]}"
    with HubStandin() as hub, tempfile.TemporaryDirectory(prefix="trainpack-models-") as cache:
        env = worker_env(database_url, redis_url, hub.url, cache, namespace)
        with InProcessServer.start(database_url, redis_url=redis_url, queue_namespace=namespace) as server:
            yield hub, server, env


async def test_the_typed_walk_shows_what_the_workers_learnt_and_publishes(
    stack: tuple[HubStandin, InProcessServer, dict[str, str]], database_url: str
) -> None:
    hub, server, env = stack
    sha = hub.add_model("acme/tiny-llama", tiny_llama(context_length=2048).files)
    rows = b"".join(json.dumps(row).encode() + b"\n" for row in ROWS)
    hub.add_dataset("acme/sayings", {"train.jsonl": rows})
    with worker_process(env):
        async with Api(server.graphql_url, await issue_token(database_url)) as api:
            package_id, revision = await create_typed(api)
            saved = await save_typed(
                api, package_id, revision, {"model": {"source": "HUB", "repoId": "acme/tiny-llama"}}, trigger="AUTOSAVE"
            )
            await wait_for_jobs(api, package_id, "RESOLVE_MODEL", 1)
            model = (await draft_content(api, package_id))["content"]["model"]
            resolved: dict[str, Any] = model["resolved"]
            assert resolved["commit"] == sha and resolved["contextLength"] == 2048
            assert resolved["parameterCount"] > 0 and resolved["architecture"] == "LlamaForCausalLM"
            assert {"q_proj", "v_proj"} <= set(resolved["loraTargets"]) and resolved["gated"] is False
            assert resolved["licence"] == "apache-2.0" and resolved["sizeBytes"] > 0
            revision = (await complete(api, package_id, (await draft_content(api, package_id))["revision"], "model"))[
                "revision"
            ]

            saved = await save_typed(
                api, package_id, revision, {"config": {"maxSeqLength": 1024}}, configPreset="lora-default"
            )
            assert saved["__typename"] == "DraftUpdated", saved
            revision = (await complete(api, package_id, saved["revision"], "config"))["revision"]

            source = {
                "source": "HUB",
                "repoId": "acme/sayings",
                "format": "INSTRUCTION",
                "columnMapping": {"prompt": "instruction", "completion": "output"},
            }
            saved = await save_typed(api, package_id, revision, {"dataset": {"sources": [source]}})
            await wait_for_jobs(api, package_id, "PROFILE_DATASET", 1)
            draft = await draft_content(api, package_id)
            [profiled] = draft["content"]["dataset"]["sources"]
            profile = profiled["profile"]
            assert profile["rows"] == 3 and [c["name"] for c in profile["columns"]] == ["instruction", "output"]
            assert profile["sample"] == ROWS and profile["tokens"]["mean"] > 0 and profile["tokens"]["total"] > 0
            revision = (await complete(api, package_id, draft["revision"], "dataset"))["revision"]

            saved = await save_typed(api, package_id, revision, {"deploy": {"target": "LOCAL_BUNDLE"}})
            revision = (await complete(api, package_id, saved["revision"], "deploy"))["revision"]
            published = (
                await api.execute(PUBLISH, input={"id": package_id, "expectedRevision": revision, "changelog": "v1"})
            )["publishVersion"]
            assert published["__typename"] == "VersionPublished", published
            assert published["version"]["status"] == "PUBLISHED"
            assert published["version"]["content"]["model"]["resolved"]["commit"] == sha


async def test_a_failed_resolution_shows_as_the_models_failure(
    stack: tuple[HubStandin, InProcessServer, dict[str, str]], database_url: str
) -> None:
    _, server, env = stack
    with worker_process(env):
        async with Api(server.graphql_url, await issue_token(database_url)) as api:
            package_id, revision = await create_typed(api)
            await save_typed(api, package_id, revision, {"model": {"source": "HUB", "repoId": "acme/missing"}})
            [job] = await wait_for_jobs(api, package_id, "RESOLVE_MODEL", 1)
            assert job["status"] == "FAILED", job
            model = (await draft_content(api, package_id))["content"]["model"]
            assert model["resolved"] is None and model["failure"]["code"] == job["error"]["code"], (model, job)
