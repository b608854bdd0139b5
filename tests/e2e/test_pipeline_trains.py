"""The training proof driven through publish: a package is published, the pipeline builds its
bundle, the bundle is downloaded over HTTP like a user would, and its ``train.py`` trains on the
CPU against the Hub stand-in at the model's pinned commit: SFT on an uploaded chat JSONL and DPO
on an uploaded preference JSONL, both with LoRA.

The tiny model and data are made by ``tests/support/training/make_tiny_model.py`` in the
training environment (``tests/support/training_env.py``, built once and cached by its pins), as
in ``tests/workflow/test_bundle_trains.py``; here only the way the bundle is made differs.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import issue_token
from tests.support.flows import upload_dataset
from tests.support.graphql import Api
from tests.support.hub_standin import HubStandin
from tests.support.job_stack import worker_env, worker_process
from tests.support.pipeline import publish, publishable, wait_for_stage
from tests.support.servers import InProcessServer
from tests.support.training_env import ensure_training_env
from workflow.core.bundle import verify

pytestmark = pytest.mark.slow

SCRIPTS = Path(__file__).resolve().parents[1] / "support" / "training"
REPO_ID = "trainpack-tests/trainable-llama"
STEPS = 20
RUN_TIMEOUT = 300


@dataclass
class Stack:
    hub: HubStandin
    server: InProcessServer
    env: dict[str, str]
    model_sha: str
    data: dict[str, bytes]  # file name -> content, as made by make_tiny_model.py


@pytest.fixture(scope="module")
def python() -> Path:
    return ensure_training_env()


@pytest.fixture(scope="module")
def stack(python: Path, database_url: str, redis_url: str) -> Iterator[Stack]:
    namespace = f"trains-{uuid.uuid4().hex[:8]}"
    with HubStandin() as hub, tempfile.TemporaryDirectory(prefix="trainpack-trains-") as folder:
        scratch = Path(folder)
        made = subprocess.run(
            [str(python), str(SCRIPTS / "make_tiny_model.py"), str(scratch / "tiny")],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(scratch / "hf")},
            check=False,
        )
        assert made.returncode == 0, made.stderr[-3000:]
        model = scratch / "tiny" / "model"
        sha = hub.add_model(REPO_ID, {path.name: path.read_bytes() for path in sorted(model.iterdir())})
        env = worker_env(database_url, redis_url, hub.url, str(scratch / "cache"), namespace)
        env["TRAINPACK_BUNDLE_DIR"] = str(scratch / "bundles")
        data = {name: (scratch / "tiny" / "data" / name).read_bytes() for name in ("chat.jsonl", "preference.jsonl")}
        with InProcessServer.start(
            database_url, redis_url=redis_url, queue_namespace=namespace, bundle_dir=scratch / "bundles"
        ) as server:
            yield Stack(hub, server, env, sha, data)


@pytest.fixture
async def api(stack: Stack, database_url: str) -> AsyncIterator[Api]:
    async with Api(stack.server.graphql_url, await issue_token(database_url)) as client:
        yield client


@dataclass(frozen=True)
class Case:
    trainer: str
    file: str
    format: str
    mapping: dict[str, str]
    learning_rate: float
    batch_size: int


CASES = {
    "sft": Case("SFT", "chat.jsonl", "CHAT", {"messages": "conversation"}, 5e-3, 8),
    "dpo": Case(
        "DPO", "preference.jsonl", "PREFERENCE", {"prompt": "question", "chosen": "good", "rejected": "bad"}, 2e-3, 4
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_published_package_downloads_as_a_bundle_that_trains_on_the_cpu(
    python: Path, stack: Stack, api: Api, tmp_path: Path, record_property: Any, name: str
) -> None:
    case = CASES[name]
    assert api.token is not None
    upload_id = await upload_dataset(stack.server.graphql_url, api.token, case.file, stack.data[case.file])
    steps = {
        "model": {"source": "HUB", "repoId": REPO_ID},
        "config": {
            "method": "LORA",
            "trainer": case.trainer,
            "epochs": 1,
            "learningRate": case.learning_rate,
            "batchSize": case.batch_size,
            "maxSeqLength": 128,
            "lora": {"r": 8},
        },
        "dataset": {
            "sources": [
                {"source": "UPLOAD", "uploadId": upload_id, "format": case.format, "columnMapping": case.mapping}
            ],
            "eval": {"mode": "NONE"},
        },
        "deploy": {"target": "LOCAL_BUNDLE"},
    }
    with worker_process(stack.env):
        version = await publish(api, *await publishable(api, f"trains-{uuid.uuid4().hex[:6]}", steps))
        bundle = (await wait_for_stage(api, version["id"]))["bundle"]
    assert bundle is not None
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(bundle["downloadUrl"], headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code == 200
    verify(response.content, expected_sha256=bundle["sha256"])
    folder = tmp_path / "bundle"
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as tar:
        tar.extractall(folder, filter="data")
    assert stack.model_sha in (folder / "train.yaml").read_text()

    result = await asyncio.to_thread(
        subprocess.run,
        [str(python), str(folder / "train.py"), "--cpu", "--max-steps", str(STEPS), "--no-push"],
        cwd=tmp_path / "bundle",
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={
            **os.environ,
            "HF_ENDPOINT": stack.hub.url,
            "HF_HOME": str(tmp_path / "hf"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "TOKENIZERS_PARALLELISM": "false",
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    records = [json.loads(line) for line in result.stdout.splitlines()]
    losses = [float(r["loss"]) for r in records if r["event"] == "log" and r["loss"] is not None]
    assert len(losses) == STEPS and losses[-1] < losses[0], losses
    saved = next(r for r in records if r["event"] == "saved")
    assert (folder / saved["output_dir"] / "adapter_model.safetensors").stat().st_size > 0
    weights = stack.hub.requests_for(r"/resolve/.*/model\.safetensors$", "GET")
    assert weights and all(f"/resolve/{stack.model_sha}/" in request.path for request in weights)
    record_property(f"publish_{name}_loss_first", round(losses[0], 4))
    record_property(f"publish_{name}_loss_last", round(losses[-1], 4))
    print(f"\npublished {name}: loss {losses[0]:.4f} -> {losses[-1]:.4f} in {STEPS} steps")
