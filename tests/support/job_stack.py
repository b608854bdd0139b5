"""What the end-to-end job tests share: `trainpack worker` processes, their environment, and the
GraphQL calls that create packages, save steps and watch their jobs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.graphql import Api

JOBS = """
query ($id: ID!) { node(id: $id) { ... on Package {
  jobs(first: 20) { edges { node { id kind status progress message attempts error { code message } result } } }
  draft { revision steps { step status summary errors { code path message } warnings { code } } }
} } }
"""
SAVE = """
mutation ($input: SaveDraftInput!) { saveDraft(input: $input) {
  __typename ... on DraftUpdated { revision errors { code path message } }
  ... on UserError { code message } } }
"""
COMPLETE = """
mutation ($input: StepActionInput!) { completeStep(input: $input) {
  __typename ... on DraftUpdated { revision version { steps { step status errors { code message } } } }
  ... on UserError { code message } } }
"""
CREATE = "mutation { createPackage(input: {}) { ... on PackageCreated { package { id } draft { revision } } } }"
FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")


def worker_env(database_url: str, redis_url: str, hub_url: str, cache: str, namespace: str) -> dict[str, str]:
    """A worker's environment: short leases, heartbeats and sweeps, so faults heal in seconds."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HF_ENDPOINT": hub_url,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TRAINPACK_QUEUE_NAMESPACE": namespace,
        "TRAINPACK_MODEL_CACHE_DIR": cache,
        "TRAINPACK_DATASET_CACHE_DIR": cache,
        "TRAINPACK_JOB_LEASE_SECONDS": "3",
        "TRAINPACK_JOB_HEARTBEAT_SECONDS": "0.5",
        "TRAINPACK_JOB_MIN_BACKOFF_MS": "200",
        "TRAINPACK_JOB_MAX_BACKOFF_MS": "1000",
        "TRAINPACK_BROKER_HEARTBEAT_MS": "3000",
        "TRAINPACK_BROKER_MAINTENANCE_CHANCE": "1000000",
        "TRAINPACK_SWEEP_EVERY_SECONDS": "1",
        "TRAINPACK_SWEEP_UNSENT_GRACE_SECONDS": "1",
        "TRAINPACK_LOG_LEVEL": "WARNING",
        "TRAINPACK_WORKER_METRICS_PORT": "0",  # workers of parallel tests would contend for one port
    }


@contextmanager
def worker_process(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`trainpack worker` in its own process group (so kill -9 reaches its Dramatiq children)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "trainpack", "worker", "--processes", "1", "--threads", "4"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


async def new_package(api: Api) -> tuple[str, int]:
    """A new package's id and its draft's revision."""
    created = (await api.execute(CREATE))["createPackage"]
    return created["package"]["id"], created["draft"]["revision"]


async def save(api: Api, package_id: str, revision: int, steps: dict[str, Any]) -> dict[str, Any]:
    """Save steps of the draft; the DraftUpdated result."""
    result: dict[str, Any] = (
        await api.execute(SAVE, input={"id": package_id, "expectedRevision": revision, "steps": steps})
    )["saveDraft"]
    assert result["__typename"] == "DraftUpdated", result
    return result


async def complete(api: Api, package_id: str, revision: int, step: str) -> dict[str, Any]:
    """Complete a step; the DraftUpdated result."""
    result: dict[str, Any] = (
        await api.execute(COMPLETE, input={"id": package_id, "expectedRevision": revision, "step": step.upper()})
    )["completeStep"]
    assert result["__typename"] == "DraftUpdated", result
    return result


async def view(api: Api, package_id: str) -> dict[str, Any]:
    """The package's jobs and draft steps."""
    node: dict[str, Any] = (await api.execute(JOBS, id=package_id))["node"]
    return node


def jobs_of(package: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The package view's jobs of one kind."""
    return [edge["node"] for edge in package["jobs"]["edges"] if edge["node"]["kind"] == kind]


async def wait_for_jobs(api: Api, package_id: str, kind: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    """Poll until ``count`` jobs of ``kind`` have finished; those jobs."""
    deadline = time.monotonic() + timeout
    while True:
        found = jobs_of(await view(api, package_id), kind)
        finished = [job for job in found if job["status"] in FINISHED]
        if len(finished) >= count:
            return finished
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs did not finish: {found}")
        await asyncio.sleep(0.2)
