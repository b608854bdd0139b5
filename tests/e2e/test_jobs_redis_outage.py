"""Redis stops while a job is created: the API still answers, the row stays queued, and the job
runs once Redis is back (the sweeper sends what the API could not).

A private redis-server is used (the shared one must stay up for the other tests), stopped with
SIGKILL and restarted empty on the same port, as a crashed Redis without persistence would be.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid

import pytest

from tests.conftest import issue_token
from tests.support.graphql import Api
from tests.support.hub_standin import HubStandin
from tests.support.job_stack import jobs_of, new_package, save, view, wait_for_jobs, worker_env, worker_process
from tests.support.model_files import tiny_llama
from tests.support.redis_server import redis_server
from tests.support.servers import InProcessServer

pytestmark = pytest.mark.slow


async def test_a_job_created_while_redis_is_down_runs_once_redis_is_back(database_url: str) -> None:
    namespace = f"outage-{uuid.uuid4().hex[:8]}"
    with HubStandin() as hub, tempfile.TemporaryDirectory(prefix="trainpack-models-") as cache, redis_server() as queue:
        sha = hub.add_model("acme/patient", tiny_llama().files)
        # A lease far longer than the wait below: only the "unsent" mark (not the resend of a job
        # presumed lost in a crash) can get the job sent in time.
        env = {**worker_env(database_url, queue.url, hub.url, cache, namespace), "TRAINPACK_JOB_LEASE_SECONDS": "300"}
        with (
            InProcessServer.start(database_url, redis_url=queue.url, queue_namespace=namespace) as server,
            worker_process(env),
        ):
            async with Api(server.graphql_url, await issue_token(database_url)) as api:
                # The worker is connected: a first job runs normally.
                first_id, revision = await new_package(api)
                await save(api, first_id, revision, {"model": {"source": "HUB", "repoId": "acme/patient"}})
                [healthy] = await wait_for_jobs(api, first_id, "RESOLVE_MODEL", 1)
                assert healthy["status"] == "SUCCEEDED", healthy

                queue.stop()
                package_id, revision = await new_package(api)
                began = time.monotonic()
                await save(api, package_id, revision, {"model": {"source": "HUB", "repoId": "acme/patient"}})
                assert time.monotonic() - began < 5, "a save must not hang on the unreachable queue"
                await asyncio.sleep(2)  # sweeps come and go; none can send while Redis is down
                [waiting] = jobs_of(await view(api, package_id), "RESOLVE_MODEL")
                assert (waiting["status"], waiting["attempts"]) == ("QUEUED", 0), waiting

                queue.start()
                [done] = await wait_for_jobs(api, package_id, "RESOLVE_MODEL", 1, timeout=45)
                assert (done["status"], done["attempts"]) == ("SUCCEEDED", 1), done
                assert done["result"]["resolvedSha"] == sha
                model_step = next(s for s in (await view(api, package_id))["draft"]["steps"] if s["step"] == "MODEL")
                assert sha[:7] in model_step["summary"]
