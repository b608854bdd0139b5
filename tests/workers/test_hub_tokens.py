"""Which Hub token a job's calls carry: the organisation's secret named in step 4, else its
``HF_TOKEN`` secret, else the process's own ``HF_TOKEN``; a key that cannot open it is a coded
failure that quotes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from db.models import Job
from tests.support.secrets import KEY, private_database
from trainpack.database import unit_of_work
from workers import database as worker_database
from workers.hub_tokens import hub_token
from workers.integrations.errors import IntegrationError
from workers.runner import JobContext
from workflow import packages, secrets, tokens
from workflow.access import Actor, Scope
from workflow.sealing import SecretBox, new_key

DEFAULT_VALUE = "hf_default_token_of_the_organisation"
TEAM_VALUE = "hf_team_token_named_in_step_four"


@pytest.fixture(scope="module")
def tokens_database(server_url: str) -> Iterator[str]:
    with private_database(server_url) as url:
        yield url


@pytest.fixture
async def worker_key(tokens_database: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    monkeypatch.setenv("DATABASE_URL", tokens_database)
    monkeypatch.setenv("TRAINPACK_SECRET_KEY", KEY)
    monkeypatch.setenv("HF_TOKEN", "hf_operator_token")
    await worker_database.dispose()
    yield
    await worker_database.dispose()


async def _organisation(url: str) -> Actor:
    async with unit_of_work(url) as uow:
        issued = await tokens.issue(uow, f"tokens-{uuid.uuid4().hex[:8]}", "admin", [Scope.ADMIN])
    actor = tokens.actor_of((issued.token, issued.organisation))
    assert actor is not None
    return actor


async def _job(url: str, actor: Actor, steps: dict[str, object] | None = None) -> JobContext:
    async with unit_of_work(url) as uow:
        package, _ = await packages.create(uow, actor, steps=steps)
    job = Job(id=uuid.uuid4(), organisation_id=actor.organisation_id, package_id=package.id)
    return JobContext(job, worker_database.worker_settings())


async def _set(url: str, actor: Actor, name: str, value: str) -> None:
    async with unit_of_work(url) as uow:
        await secrets.set_secret(uow, actor, SecretBox([KEY]), name, value)


@pytest.mark.usefixtures("worker_key")
async def test_step_4_names_the_secret_else_hf_token_else_the_process_token(tokens_database: str) -> None:
    actor = await _organisation(tokens_database)
    named = await _job(tokens_database, actor, {"deploy": {"target": "HF_SPACE", "hubTokenSecret": "TEAM_TOKEN"}})
    default = await _job(tokens_database, actor)
    assert await hub_token(default) == "hf_operator_token"  # no secret yet: the process's own
    await _set(tokens_database, actor, "HF_TOKEN", DEFAULT_VALUE)
    await _set(tokens_database, actor, "TEAM_TOKEN", TEAM_VALUE)
    assert await hub_token(named) == TEAM_VALUE
    assert await hub_token(default) == DEFAULT_VALUE
    stranger = await _job(tokens_database, await _organisation(tokens_database))
    assert await hub_token(stranger) == "hf_operator_token"  # another organisation's secrets are not its own


@pytest.mark.usefixtures("worker_key")
async def test_a_worker_whose_key_cannot_open_the_secret_fails_with_a_code(
    tokens_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = await _organisation(tokens_database)
    context = await _job(tokens_database, actor)
    await _set(tokens_database, actor, "HF_TOKEN", DEFAULT_VALUE)
    monkeypatch.setenv("TRAINPACK_SECRET_KEY", new_key())
    await worker_database.dispose()
    context.settings = worker_database.worker_settings()
    with pytest.raises(IntegrationError) as failed:
        await hub_token(context)
    assert failed.value.code == "SECRET_UNREADABLE" and not failed.value.transient
    assert DEFAULT_VALUE not in failed.value.message
