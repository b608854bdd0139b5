"""Organisation secrets end to end: `trainpack serve` and `trainpack worker` processes, Redis, and the
Hub stand-in serving a gated model to the real huggingface_hub client.

A gated model resolves with the organisation's Hub token secret and fails with ``HUB_GATED``
without it (and is resolved again once the secret is set); the package's ``deploy.hubTokenSecret``
chooses which secret. Throughout, every HTTP response body, every event frame of a subscription
and every log line of both processes is collected, and no secret value is found in any of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import issue_token
from tests.support.hub_standin import HubStandin
from tests.support.job_stack import CREATE, JOBS, SAVE, worker_env
from tests.support.model_files import tiny_llama
from tests.support.secrets import DELETE, KEY, LIST, SECRET_EVENTS, SET, private_database
from tests.support.servers import subprocess_server
from tests.support.ws import WsClient
from workflow.access import Scope

pytestmark = pytest.mark.slow

GATED = "acme/gated-llama"
GRANTED = "hf_granted_user_token_0123456789ABCDEF"
SECOND_GRANTED = "hf_second_granted_token_9876543210fedcba"
UNGRANTED = "hf_ungranted_user_token_5555555555abcdef"
THIRD_GRANTED = "hf_third_granted_token_7777777777aaaaaa"
SECRET_VALUES = (GRANTED, SECOND_GRANTED, UNGRANTED, THIRD_GRANTED)


@dataclass
class Stack:
    hub: HubStandin
    graphql_url: str
    database_url: str
    server_log: Path
    worker_log: Path
    bodies: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def stack(server_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("secret-logs")
    namespace = f"secrets-{uuid.uuid4().hex[:8]}"
    with (
        private_database(server_url) as database_url,
        HubStandin() as hub,
        tempfile.TemporaryDirectory(prefix="trainpack-models-") as cache,
    ):
        hub.add_model(GATED, tiny_llama().files, gated=True)
        users = (GRANTED, "granted"), (SECOND_GRANTED, "second"), (UNGRANTED, "stranger"), (THIRD_GRANTED, "third")
        for token, user in users:
            hub.add_token(token, user, role="read")
        for user in ("granted", "second", "third"):
            hub.grant_gated(user, GATED)
        env = worker_env(database_url, redis_url, hub.url, cache, namespace)
        env.pop("HF_TOKEN", None)
        env |= {"TRAINPACK_SECRET_KEY": KEY, "TRAINPACK_LOG_LEVEL": "INFO"}
        server_log, worker_log = logs / "server.log", logs / "worker.log"
        with (
            subprocess_server(
                database_url,
                log_to=server_log,
                REDIS_URL=redis_url,
                TRAINPACK_QUEUE_NAMESPACE=namespace,
                TRAINPACK_SECRET_KEY=KEY,
                TRAINPACK_LOG_LEVEL="INFO",
            ) as base_url,
            _worker(env, worker_log),
        ):
            yield Stack(hub, f"{base_url}/graphql", database_url, server_log, worker_log)


@contextlib.contextmanager
def _worker(env: dict[str, str], log_path: Path) -> Iterator[None]:
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "trainpack", "worker", "--processes", "1", "--threads", "4"],
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            yield
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


class Client:
    """A GraphQL client over plain HTTP that keeps every response body it received."""

    def __init__(self, stack: Stack, token: str) -> None:
        self.stack = stack
        self.token = token

    async def call(self, document: str, **variables: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=60) as http:
            response = await http.post(
                self.stack.graphql_url,
                json={"query": document, "variables": variables},
                headers={"Authorization": f"Bearer {self.token}"},
            )
        self.stack.bodies.append(response.text)
        body: dict[str, Any] = response.json()
        return body

    async def data(self, document: str, **variables: Any) -> dict[str, Any]:
        body = await self.call(document, **variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@contextlib.asynccontextmanager
async def _frames(stack: Stack, token: str) -> AsyncIterator[list[str]]:
    """Every frame of an ``organisationEvents`` subscription, raw, while the block runs."""
    frames: list[str] = []
    async with WsClient(stack.graphql_url) as ws:
        await ws.init(token)
        await ws.subscribe("events", SECRET_EVENTS)
        assert ws.connection is not None
        connection = ws.connection

        async def read() -> None:
            while True:
                frame = await connection.recv()
                frames.append(frame if isinstance(frame, str) else frame.decode())

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.3)
        try:
            yield frames
            await asyncio.sleep(1.0)  # the last events' frames
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


async def _package(client: Client, steps: dict[str, Any]) -> str:
    created = (await client.data(CREATE))["createPackage"]
    package_id: str = created["package"]["id"]
    saved = (
        await client.data(
            SAVE, input={"id": package_id, "expectedRevision": created["draft"]["revision"], "steps": steps}
        )
    )["saveDraft"]
    assert saved["__typename"] == "DraftUpdated", saved
    return package_id


async def _resolutions(client: Client, package_id: str, count: int, timeout: float = 90) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        node = (await client.data(JOBS, id=package_id))["node"]
        jobs = [edge["node"] for edge in node["jobs"]["edges"] if edge["node"]["kind"] == "RESOLVE_MODEL"]
        finished = [job for job in jobs if job["status"] in ("SUCCEEDED", "FAILED", "CANCELLED")]
        if len(finished) >= count:
            return sorted(finished, key=lambda job: job["attempts"])
        if time.monotonic() > deadline:
            raise AssertionError(f"resolutions did not finish: {jobs}")
        await asyncio.sleep(0.3)


async def _model_errors(client: Client, package_id: str) -> list[str]:
    node = (await client.data(JOBS, id=package_id))["node"]
    model = next(step for step in node["draft"]["steps"] if step["step"] == "MODEL")
    return [error["code"] for error in model["errors"]]


MODEL = {"model": {"source": "HUB", "repoId": GATED}}


async def test_gated_models_resolve_with_the_organisations_secret_and_no_value_ever_leaves(stack: Stack) -> None:
    first = Client(stack, await issue_token(stack.database_url, [Scope.ADMIN]))
    second = Client(stack, await issue_token(stack.database_url, [Scope.ADMIN]))
    async with _frames(stack, first.token) as first_frames, _frames(stack, second.token) as second_frames:
        # The first organisation has its Hub token: the gated model resolves with it.
        assert (await first.data(SET, input={"name": "HF_TOKEN", "value": GRANTED}))["setSecret"]["created"]
        resolved = await _package(first, MODEL)
        [job] = await _resolutions(first, resolved, 1)
        assert job["status"] == "SUCCEEDED", job
        assert GRANTED in {request.token for request in stack.hub.requests_for(f"/{GATED}/resolve/")}

        # The second has none: HUB_GATED, until it sets one, when the model is resolved again.
        waiting = await _package(second, MODEL)
        [failed] = await _resolutions(second, waiting, 1)
        assert (failed["status"], failed["error"]["code"]) == ("FAILED", "HUB_GATED"), failed
        assert "HUB_GATED" in await _model_errors(second, waiting)
        assert (await second.data(SET, input={"name": "HF_TOKEN", "value": SECOND_GRANTED}))["setSecret"]["created"]
        again = await _resolutions(second, waiting, 2)
        assert [job["status"] for job in again].count("SUCCEEDED") == 1, again
        assert "HUB_GATED" not in await _model_errors(second, waiting)

        # Step 4 names the secret to use: one whose token may not read the model fails with HUB_GATED.
        await second.data(SET, input={"name": "TEAM_TOKEN", "value": UNGRANTED})
        deploy = {"target": "HF_SPACE", "hubTokenSecret": "TEAM_TOKEN"}
        chosen = await _package(second, {**MODEL, "deploy": deploy})
        [refused] = await _resolutions(second, chosen, 1)
        assert refused["error"]["code"] == "HUB_GATED", refused
        assert UNGRANTED in {request.token for request in stack.hub.requests_for(f"/{GATED}/resolve/")}

        # A save that names another secret in step 4 runs the failed resolution again with it.
        third = Client(stack, await issue_token(stack.database_url, [Scope.ADMIN]))
        renamed = await _package(third, MODEL)
        [gated] = await _resolutions(third, renamed, 1)
        assert gated["error"]["code"] == "HUB_GATED", gated
        await third.data(SET, input={"name": "TEAM_GRANTED", "value": THIRD_GRANTED})
        node = (await third.data(JOBS, id=renamed))["node"]
        deploy_step = {"deploy": {"target": "HF_SPACE", "hubTokenSecret": "TEAM_GRANTED"}}
        await third.data(
            SAVE, input={"id": renamed, "expectedRevision": node["draft"]["revision"], "steps": deploy_step}
        )
        after_rename = await _resolutions(third, renamed, 2)
        assert [job["status"] for job in after_rename].count("SUCCEEDED") == 1, after_rename
        assert "HUB_GATED" not in await _model_errors(third, renamed)

        # Mistakes, listings and deletions, all with values in play.
        for name in ("bad name", "lower", "9LIVES"):
            refused_set = (await second.data(SET, input={"name": name, "value": SECOND_GRANTED}))["setSecret"]
            assert refused_set["__typename"] == "ValidationFailed"
        await second.call(SET, input={"value": SECOND_GRANTED})  # malformed: a top-level error
        listed = (await second.data(LIST))["secrets"]
        assert {row["name"] for row in listed} == {"HF_TOKEN", "TEAM_TOKEN"}
        assert {row["lastFour"] for row in listed} == {SECOND_GRANTED[-4:], UNGRANTED[-4:]}
        assert (await second.data(DELETE, input={"name": "TEAM_TOKEN"}))["deleteSecret"]["name"] == "TEAM_TOKEN"
        await second.data("{ events(first: 200) { edges { node { type payload actor } } } }")

    secret_events = [frame for frame in first_frames + second_frames if "SecretChangedEvent" in frame]
    assert len(secret_events) == 4, secret_events  # 3 sets and a delete, each naming its secret only
    logs = stack.server_log.read_text(errors="replace") + stack.worker_log.read_text(errors="replace")
    assert logs.strip(), "the processes logged nothing: the search below would prove nothing"
    assert '"job failed"' in logs  # the worker's lines are there (the HUB_GATED failures)
    everything = {"response bodies": stack.bodies, "event frames": first_frames + second_frames, "logs": [logs]}
    for where, texts in everything.items():
        for value in SECRET_VALUES:
            assert not any(value in text for text in texts), f"a secret value is in the {where}"
