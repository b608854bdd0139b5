"""The client CLI against `trainpack serve` over real HTTP and websockets, run as a user runs it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography.fernet import Fernet

from tests.conftest import issue_token
from tests.support.graphql import Api
from tests.support.hub_standin import HubStandin
from tests.support.model_files import tiny_llama
from tests.support.servers import free_port, subprocess_server
from workflow.access import Scope

PACKAGE_YAML = """\
name: {name}
description: LoRA on alpaca
model:
  source: HUB
  repoId: acme/tiny-llama
  revision: main
config:
  method: LORA
  trainer: SFT
  epochs: {epochs}
  learningRate: 0.0002
  batchSize: 4
  gradientAccumulation: 4
  maxSeqLength: 2048
  warmupRatio: 0.03
  precision: bf16
  lora:
    r: 16
    alpha: 32
    dropout: 0.05
    targetModules: [all-linear]
dataset:
  sources:
    - source: HUB
      repoId: acme/alpaca
      split: train
      format: INSTRUCTION
      columnMapping: {{prompt: instruction, completion: output}}
      weight: 1.0
  eval: {{mode: FRACTION, fraction: 0.1}}
deploy:
  target: LOCAL_BUNDLE
"""
VERSIONS = """
query ($id: ID!) { node(id: $id) { ... on Package {
  currentRevision draft { number } versions { edges { node { number status } } } } } }
"""
JOBS = "query ($id: ID!) { node(id: $id) { ... on Package { jobs { edges { node { id status } } } } } }"
SAVE = """
mutation ($input: SaveDraftInput!) { saveDraft(input: $input) { __typename ... on DraftUpdated { revision } } }
"""


def _without_redis() -> dict[str, str]:
    """The server runs its job actors in-process when no Redis is configured."""
    return {"REDIS_URL": "", "TRAINPACK_REDIS_URL": ""}


ALPACA = b"".join(
    json.dumps({"instruction": f"say {number}", "output": f"{number}"}).encode() + b"\n" for number in range(20)
)


@pytest.fixture(scope="module")
def served(database_url: str) -> Iterator[str]:
    """`trainpack serve` with its job actors in-process, reading a Hub stand-in."""
    with HubStandin() as hub, tempfile.TemporaryDirectory(prefix="trainpack-cli-") as cache:
        # Its config states its dimensions, so the cost estimate can size it.
        shape = {"num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32, "vocab_size": 64}
        hub.add_model("acme/tiny-llama", tiny_llama(context_length=4096, config_overrides=shape).files)
        hub.add_dataset("acme/alpaca", {"train.jsonl": ALPACA})
        env = {
            **_without_redis(),
            "HF_ENDPOINT": hub.url,
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "TRAINPACK_MODEL_CACHE_DIR": cache,
            "TRAINPACK_DATASET_CACHE_DIR": cache,
            "TRAINPACK_SECRET_KEY": Fernet.generate_key().decode(),
        }
        with subprocess_server(database_url, **cast(dict[str, Any], env)) as base_url:
            yield base_url


def cli(*args: str, url: str, token: str, timeout: float = 180, **extra: str) -> subprocess.CompletedProcess[str]:
    """`trainpack …` in a subprocess, configured by the environment as a script would be."""
    env = {**os.environ, "TRAINPACK_URL": url, "TRAINPACK_TOKEN": token, "COLUMNS": "200", **extra}
    return subprocess.run(
        [sys.executable, "-m", "trainpack", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _write(tmp_path: Path, name: str, epochs: Any = 3) -> Path:
    path = tmp_path / "package.yaml"
    path.write_text(PACKAGE_YAML.format(name=name, epochs=epochs))
    return path


async def _package(base_url: str, token: str, package_id: str) -> dict[str, Any]:
    async with Api(f"{base_url}/graphql", token) as api:
        node: dict[str, Any] = (await api.execute(VERSIONS, id=package_id))["node"]
        return node


async def test_apply_creates_and_publishes_then_a_rerun_changes_nothing(
    served: str, database_url: str, tmp_path: Path
) -> None:
    token = await issue_token(database_url)
    path = _write(tmp_path, "cli-applied")
    first = await asyncio.to_thread(cli, "apply", str(path), "--publish", "--json", url=served, token=token)
    assert first.returncode == 0, first.stdout + first.stderr
    outcome = json.loads(first.stdout)
    assert outcome["created"] and outcome["published"] == 1 and outcome["issues"] == []
    assert outcome["completed"] == ["MODEL", "CONFIG", "DATASET", "DEPLOY"]
    before = await _package(served, token, outcome["packageId"])
    assert before["draft"] is None
    assert [edge["node"] for edge in before["versions"]["edges"]] == [{"number": 1, "status": "PUBLISHED"}]

    again = await asyncio.to_thread(cli, "apply", str(path), "--publish", url=served, token=token)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "no change, nothing to do" in again.stdout
    assert await _package(served, token, outcome["packageId"]) == before  # no draft opened, no revision bumped

    # An edit of the file makes a new draft and version 2.
    _write(tmp_path, "cli-applied", epochs=5)
    edited = await asyncio.to_thread(cli, "apply", str(path), "--publish", "--json", url=served, token=token)
    assert edited.returncode == 0, edited.stdout + edited.stderr
    assert json.loads(edited.stdout)["published"] == 2
    listed = await asyncio.to_thread(
        cli, "versions", "diff", outcome["packageId"], "1", "2", "--json", url=served, token=token
    )
    changes = json.loads(listed.stdout)["changes"]
    assert [(change["path"], change["before"], change["after"]) for change in changes] == [("config.epochs", 3, 5)]


async def test_a_bad_value_exits_non_zero_naming_its_yaml_line(served: str, database_url: str, tmp_path: Path) -> None:
    token = await issue_token(database_url)
    path = _write(tmp_path, "cli-bad", epochs=0)
    line = PACKAGE_YAML.splitlines().index("  epochs: {epochs}") + 1
    result = await asyncio.to_thread(cli, "apply", str(path), "--publish", url=served, token=token)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:{line}: config.epochs: OUT_OF_RANGE" in result.stdout
    as_json = await asyncio.to_thread(cli, "apply", str(path), "--json", url=served, token=token)
    assert as_json.returncode == 1
    issues = json.loads(as_json.stdout)["issues"]
    assert [(issue["path"], issue["line"]) for issue in issues] == [("config.epochs", line)]
    assert json.loads(as_json.stdout)["published"] is None

    wrong_type = _write(tmp_path, "cli-bad", epochs='"three"')
    typed = await asyncio.to_thread(cli, "apply", str(wrong_type), url=served, token=token)
    assert typed.returncode == 1
    assert f"{path}:{line}: config.epochs: INVALID_TYPE" in typed.stdout

    # Fixed, the same package's draft is updated, completed and published.
    _write(tmp_path, "cli-bad", epochs=2)
    fixed = await asyncio.to_thread(cli, "apply", str(path), "--publish", "--json", url=served, token=token)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    done = json.loads(fixed.stdout)
    assert not done["created"] and done["saved"] and done["published"] == 1


async def test_bad_input_and_an_unreachable_server_have_their_exit_codes(
    served: str, database_url: str, tmp_path: Path
) -> None:
    token = await issue_token(database_url)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nmodel:\n  source: [HUB\n")
    result = await asyncio.to_thread(cli, "apply", str(broken), url=served, token=token)
    assert result.returncode == 2 and f"{broken}:" in result.stderr
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("name: x\ncolour: red\n")
    result = await asyncio.to_thread(cli, "apply", str(unknown), url=served, token=token)
    assert result.returncode == 2 and f"{unknown}:2:" in result.stderr
    result = await asyncio.to_thread(cli, "packages", "list", url=f"http://127.0.0.1:{free_port()}", token=token)
    assert result.returncode == 3
    result = await asyncio.to_thread(cli, "packages", "list", url=served, token="tp_not-a-token")
    assert result.returncode == 3


async def test_package_commands(served: str, database_url: str, tmp_path: Path) -> None:
    token = await issue_token(database_url)
    created = await asyncio.to_thread(
        cli, "packages", "create", "--name", "cli-made", "--json", url=served, token=token
    )
    assert created.returncode == 0, created.stderr
    package_id = json.loads(created.stdout)["package"]["id"]
    steps = tmp_path / "steps.yaml"
    steps.write_text("config:\n  epochs: 500\n")
    edited = await asyncio.to_thread(cli, "packages", "edit", package_id, str(steps), "--json", url=served, token=token)
    assert edited.returncode == 0, edited.stderr
    assert any(issue["path"] == "config.epochs" for issue in json.loads(edited.stdout)["errors"])
    renamed = await asyncio.to_thread(cli, "packages", "rename", package_id, "cli-renamed", url=served, token=token)
    assert renamed.returncode == 0 and "cli-renamed" in renamed.stdout
    taken = await asyncio.to_thread(cli, "packages", "create", "--name", "cli-renamed", url=served, token=token)
    assert taken.returncode == 1 and "NAME_TAKEN" in taken.stderr
    assert (await asyncio.to_thread(cli, "packages", "archive", package_id, url=served, token=token)).returncode == 0
    listed = await asyncio.to_thread(cli, "packages", "list", "--json", url=served, token=token)
    assert package_id not in listed.stdout
    archived = await asyncio.to_thread(cli, "packages", "list", "--archived", "--json", url=served, token=token)
    assert [item["name"] for item in json.loads(archived.stdout)] == ["cli-renamed"]
    shown = await asyncio.to_thread(cli, "packages", "show", package_id, url=served, token=token)
    assert shown.returncode == 0 and "cli-renamed" in shown.stdout and "config.epochs" in shown.stdout


async def test_jobs_watch_survives_a_server_restart(database_url: str, redis_url: str) -> None:
    """A job watched across a server restart on the same port: the watcher reconnects with its
    last cursor and sees the job end (cancelled once the server is back)."""
    token = await issue_token(database_url)
    port = free_port()
    # A queue no worker reads: the job stays QUEUED until it is cancelled.
    quiet = {"REDIS_URL": redis_url, "TRAINPACK_QUEUE_NAMESPACE": f"cli-{uuid.uuid4().hex[:8]}"}
    with subprocess_server(database_url, port=port, **cast(dict[str, Any], quiet)) as base_url:
        async with Api(f"{base_url}/graphql", token) as api:
            created = await api.execute(
                'mutation { createPackage(input: {steps: {model: {source: "HUB", repoId: "meta-llama/Llama-3.2-1B"}}}) '
                "{ ... on PackageCreated { package { id } } } }"
            )
            package_id = created["createPackage"]["package"]["id"]
            jobs = (await api.execute(JOBS, id=package_id))["node"]["jobs"]["edges"]
        job_id = jobs[0]["node"]["id"]
        env = {**os.environ, "TRAINPACK_URL": base_url, "TRAINPACK_TOKEN": token}
        watcher = subprocess.Popen(  # noqa: ASYNC220 - read from a thread below
            [sys.executable, "-m", "trainpack", "jobs", "watch", job_id, "--json", "--reconnect-for", "60"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert watcher.stdout is not None
        first = json.loads(await asyncio.to_thread(watcher.stdout.readline))  # the job's creation, replayed
        assert first["status"] == "QUEUED"
    try:
        await asyncio.sleep(1.5)  # the server is down; the watcher keeps trying
        assert watcher.poll() is None
        with subprocess_server(database_url, port=port, **cast(dict[str, Any], quiet)) as base_url:
            cancelled = await asyncio.to_thread(cli, "jobs", "cancel", job_id, url=base_url, token=token)
            assert cancelled.returncode == 0, cancelled.stderr
            out, err = await asyncio.to_thread(watcher.communicate, timeout=60)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    events = [json.loads(line) for line in out.splitlines()]
    assert watcher.returncode == 1, err  # the job did not succeed
    assert events[-1]["status"] == "CANCELLED" and events[-1]["finished"]
    cursors = [first["cursor"], *(event["cursor"] for event in events)]
    assert len(cursors) == len(set(cursors))  # resumed after the last cursor: nothing twice
    assert "reconnecting" in err


async def test_step_publish_versions_and_restore_commands(served: str, database_url: str, tmp_path: Path) -> None:
    token = await issue_token(database_url)
    steps = tmp_path / "steps.yaml"
    steps.write_text(PACKAGE_YAML.format(name="unused", epochs=3).split("\n", 2)[2])  # without name/description
    created = await asyncio.to_thread(
        cli, "packages", "create", "--name", "cli-steps", "--steps", str(steps), "--json", url=served, token=token
    )
    assert created.returncode == 0, created.stderr
    package_id = json.loads(created.stdout)["package"]["id"]
    early = await asyncio.to_thread(cli, "packages", "publish", package_id, url=served, token=token)
    assert early.returncode == 1  # nothing is complete yet
    # Wait for resolution and profiling, then complete the steps one by one.
    waited = await asyncio.to_thread(cli, "packages", "publish", package_id, "--wait", url=served, token=token)
    assert waited.returncode == 1
    for step in ("model", "config", "dataset", "deploy"):
        done = await asyncio.to_thread(cli, "packages", "complete", package_id, step, url=served, token=token)
        assert done.returncode == 0, done.stdout + done.stderr
    published = await asyncio.to_thread(
        cli, "packages", "publish", package_id, "--changelog", "first", "--wait", url=served, token=token
    )
    assert published.returncode == 0 and "published v1" in published.stdout, published.stderr
    restored = await asyncio.to_thread(cli, "versions", "restore", package_id, "1", "--json", url=served, token=token)
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["version"]["number"] == 2
    listed = await asyncio.to_thread(cli, "versions", "list", package_id, "--json", url=served, token=token)
    assert [(item["number"], item["status"]) for item in json.loads(listed.stdout)] == [(2, "DRAFT"), (1, "PUBLISHED")]
    jobs = await asyncio.to_thread(cli, "jobs", "list", "--package", package_id, "--json", url=served, token=token)
    assert {job["kind"] for job in json.loads(jobs.stdout)} >= {"RESOLVE_MODEL", "PROFILE_DATASET"}
    missing = await asyncio.to_thread(cli, "versions", "restore", package_id, "9", url=served, token=token)
    assert missing.returncode == 1


async def test_apply_gives_up_waiting_with_exit_code_4(database_url: str, redis_url: str, tmp_path: Path) -> None:
    token = await issue_token(database_url)
    unread = {"REDIS_URL": redis_url, "TRAINPACK_QUEUE_NAMESPACE": f"cli-{uuid.uuid4().hex[:8]}"}
    with subprocess_server(database_url, **cast(dict[str, Any], unread)) as base_url:
        path = _write(tmp_path, "cli-stuck")
        result = await asyncio.to_thread(cli, "apply", str(path), "--timeout", "3", url=base_url, token=token)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "jobs still running after 3s" in result.stderr


async def test_two_concurrent_applies_of_a_new_file_make_one_package(
    served: str, database_url: str, tmp_path: Path
) -> None:
    """Two CI jobs applying the same new file at once: one package results, and the loser (if
    any) exits 1 with a typed refusal, never a traceback."""
    token = await issue_token(database_url)
    path = _write(tmp_path, "cli-raced")
    runs = await asyncio.gather(
        *(asyncio.to_thread(cli, "apply", str(path), "--json", url=served, token=token) for _ in range(2))
    )
    assert sorted(run.returncode for run in runs)[0] == 0, [run.stdout + run.stderr for run in runs]
    for run in runs:
        assert "Traceback" not in run.stderr
        if run.returncode != 0:
            assert run.returncode == 1 and json.loads(run.stdout)["refused"], run.stdout
    async with Api(f"{served}/graphql", token) as api:
        listing = await api.execute('{ packages(filter: {search: "cli-raced"}) { edges { node { name } } } }')
    assert [edge["node"]["name"] for edge in listing["packages"]["edges"]] == ["cli-raced"]


async def test_secret_commands(served: str, database_url: str) -> None:
    admin = await issue_token(database_url, [Scope.READ, Scope.WRITE, Scope.ADMIN])
    value = "hf_abcdefghijklmnop1234"
    made = await asyncio.to_thread(
        cli, "secrets", "set", "HF_TOKEN", url=served, token=admin, TRAINPACK_SECRET_VALUE=value
    )
    assert made.returncode == 0 and "HF_TOKEN created" in made.stdout, made.stderr
    listed = await asyncio.to_thread(cli, "secrets", "list", "--json", url=served, token=admin)
    assert value not in listed.stdout
    assert [(item["name"], item["lastFour"]) for item in json.loads(listed.stdout)] == [("HF_TOKEN", "1234")]
    bad = await asyncio.to_thread(cli, "secrets", "set", "lower", url=served, token=admin, TRAINPACK_SECRET_VALUE="x")
    assert bad.returncode == 1 and "SECRET_NAME_INVALID" in bad.stderr + bad.stdout
    reader = await issue_token(database_url, [Scope.READ, Scope.WRITE])
    refused = await asyncio.to_thread(cli, "secrets", "delete", "HF_TOKEN", url=served, token=reader)
    assert refused.returncode == 1 and "FORBIDDEN" in refused.stderr
    deleted = await asyncio.to_thread(cli, "secrets", "delete", "HF_TOKEN", url=served, token=admin)
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads((await asyncio.to_thread(cli, "secrets", "list", "--json", url=served, token=admin)).stdout) == []


async def test_bundle_download_checks_the_digest(served: str, database_url: str, tmp_path: Path) -> None:
    token = await issue_token(database_url)
    applied = await asyncio.to_thread(
        cli, "apply", str(_write(tmp_path, "cli-bundled")), "--publish", "--json", url=served, token=token
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    package_id = json.loads(applied.stdout)["packageId"]
    target = tmp_path / "bundle.tar.gz"
    for _ in range(120):  # the build runs after the publish
        fetched = await asyncio.to_thread(
            cli, "bundle", "download", package_id, "-o", str(target), "--json", url=served, token=token
        )
        if fetched.returncode == 0 or "no bundle yet" not in fetched.stderr:
            break
        await asyncio.sleep(0.5)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    digest = json.loads(fetched.stdout)["sha256"]
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest
    missing = await asyncio.to_thread(cli, "bundle", "download", package_id, "--version", "7", url=served, token=token)
    assert missing.returncode == 1
