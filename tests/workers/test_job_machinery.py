"""The job machinery against a real PostgreSQL (and Redis for sending): rows, claims, outcomes, facts.

Job bodies here are small coroutines standing in for the integrations, so each rule of the
runner (claim, retry with backoff, permanent failure, cancellation, time limit, takeover of
a stalled job, the sweeper) is exercised on its own; the real actors run end to end in
tests/e2e.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from db.models import Event, Job, Package
from db.repositories.job_batches import JobEventSpec
from db.uow import set_job_sender
from tests.support.job_rows import HUB_MODEL, job_row, new_actor, only_job, package_with_model
from trainpack.database import unit_of_work
from trainpack.settings import Settings
from workers import database as worker_database
from workers.broker import job_sender, redis_broker
from workers.integrations.errors import IntegrationError
from workers.runner import JobContext, Outcome, run_job
from workflow import drafts, jobs
from workflow.access import Actor
from workflow.errors import OperationRefusedError
from workflow.events import utcnow
from workflow.fact_store import model_facts_to_json
from workflow.facts import ModelFacts
from workflow.job_inputs import JobKind
from workflow.steps import Step
from workflow.targets import PackageRef

pytestmark = pytest.mark.usefixtures("worker_env")

FACTS = ModelFacts(
    "4e20de3f00c0ffee4e20de3f00c0ffee4e20de3f",
    context_length=2048,
    module_names=frozenset({"q_proj", "v_proj"}),
    parameter_count=1_240_000,
    licence="apache-2.0",
    architecture="LlamaForCausalLM",
)


async def _event_types(database_url: str, package_id: uuid.UUID) -> list[str]:
    async with unit_of_work(database_url) as uow:
        rows = await uow.session.scalars(select(Event.type).where(Event.package_id == package_id).order_by(Event.id))
    return list(rows)


async def _draft_state(database_url: str, actor: Actor, package_id: uuid.UUID) -> dict[str, Any]:
    async with unit_of_work(database_url) as uow:
        locked = await uow.packages.lock_with_draft(actor.organisation_id, package_id)
    assert locked is not None and locked.draft is not None
    return {"states": locked.draft.step_states, "revision": locked.draft.revision, "facts": locked.package.facts}


async def _resolved(_: JobContext) -> Outcome:
    data = model_facts_to_json(FACTS)
    return Outcome(result=data, facts={"facts": data})


async def test_saving_a_model_schedules_one_resolution_and_a_repeat_save_none(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, job_id = await package_with_model(database_url, actor)
    job = await job_row(database_url, job_id)
    assert (job.kind, job.status, job.input) == ("RESOLVE_MODEL", "QUEUED", HUB_MODEL["model"])
    assert "JOB_CREATED" in await _event_types(database_url, package_id)
    state = await _draft_state(database_url, actor, package_id)
    async with unit_of_work(database_url) as uow:  # same model again, other steps edited: no second job
        await drafts.save(
            uow,
            actor,
            PackageRef(package_id),
            {**HUB_MODEL, "config": {"epochs": 2}},
            expected_revision=state["revision"],
        )
    assert (await only_job(database_url, package_id)).id == job_id


async def test_a_resolution_becomes_facts_and_revalidates_the_draft_without_a_revision_bump(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, job_id = await package_with_model(database_url, actor)
    before = await _draft_state(database_url, actor, package_id)
    assert any(w["code"] == "MODEL_RESOLUTION_PENDING" for w in before["states"]["model"]["warnings"])
    async with unit_of_work(database_url) as uow:  # a config that the model's context cannot hold
        await drafts.save(
            uow, actor, PackageRef(package_id), {"config": {"maxSeqLength": 4096}}, expected_revision=before["revision"]
        )
    await run_job(str(job_id), JobKind.RESOLVE_MODEL, _resolved)
    job = await job_row(database_url, job_id)
    assert (job.status, job.progress, job.attempts, job.error_code) == ("SUCCEEDED", 1.0, 1, None)
    assert job.result is not None and job.result["contextLength"] == 2048
    after = await _draft_state(database_url, actor, package_id)
    assert after["revision"] == before["revision"] + 1  # only the user's save bumped it
    assert not any(w["code"] == "MODEL_RESOLUTION_PENDING" for w in after["states"]["model"]["warnings"])
    assert "4e20de3" in after["states"]["model"]["summary"]
    config_errors = [issue["code"] for issue in after["states"]["config"]["errors"]]
    assert "MAX_SEQ_LENGTH_EXCEEDS_CONTEXT" in config_errors  # re-validated against the arrived context
    async with unit_of_work(database_url) as uow:  # completing step 1 now passes; step 2 sees the context
        done = await drafts.complete_step(
            uow, actor, PackageRef(package_id), Step.MODEL, expected_revision=after["revision"]
        )
    assert done.version.step_states["model"]["status"] == "COMPLETE"
    types = await _event_types(database_url, package_id)
    assert types.count("JOB_FINISHED") == 1 and "JOB_PROGRESS" in types


async def test_a_permanent_failure_fails_at_once_with_its_code_and_becomes_a_step_error(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, job_id = await package_with_model(database_url, actor)

    async def not_found(_: JobContext) -> Outcome:
        raise IntegrationError("HUB_NOT_FOUND", "No model acme/tiny-llama on the Hub.")

    await run_job(str(job_id), JobKind.RESOLVE_MODEL, not_found)
    job = await job_row(database_url, job_id)
    assert (job.status, job.error_code, job.attempts) == ("FAILED", "HUB_NOT_FOUND", 1)
    state = await _draft_state(database_url, actor, package_id)
    assert [e["code"] for e in state["states"]["model"]["errors"]] == ["HUB_NOT_FOUND"]


@pytest.fixture
def sent() -> Iterator[list[tuple[uuid.UUID, str, int]]]:
    """Messages the units of work sent after commit (a sender that records instead of queueing)."""
    messages: list[tuple[uuid.UUID, str, int]] = []

    async def record(batch: Sequence[tuple[uuid.UUID, str, int]]) -> None:
        messages.extend(batch)

    set_job_sender(record)
    yield messages
    set_job_sender(None)


async def test_transient_failures_requeue_with_backoff_then_fail_after_the_last_attempt(
    database_url: str, sent: list[tuple[uuid.UUID, str, int]]
) -> None:
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)
    calls = 0

    async def unavailable(_: JobContext) -> Outcome:
        nonlocal calls
        calls += 1
        raise IntegrationError("HUB_RATE_LIMITED", "Too many requests.", transient=True, retry_after=2)

    await run_job(str(job_id), JobKind.RESOLVE_MODEL, unavailable)
    job = await job_row(database_url, job_id)
    assert (job.status, job.attempts, job.error_code) == ("QUEUED", 1, "HUB_RATE_LIMITED")
    assert job.sent_at is not None and job.sent_at > utcnow() + timedelta(seconds=1)  # honours Retry-After
    assert sent[0] == (job_id, "RESOLVE_MODEL", 0) and sent[1][:2] == (job_id, "RESOLVE_MODEL")
    assert sent[1][2] >= 2000  # the retry's message is delayed by Retry-After
    for _ in range(2):
        await run_job(str(job_id), JobKind.RESOLVE_MODEL, unavailable)
    job = await job_row(database_url, job_id)
    assert (job.status, job.attempts, job.error_code, calls) == ("FAILED", 3, "HUB_RATE_LIMITED", 3)


async def test_a_duplicate_delivery_of_a_finished_job_does_nothing(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, job_id = await package_with_model(database_url, actor)
    await run_job(str(job_id), JobKind.RESOLVE_MODEL, _resolved)
    events = await _event_types(database_url, package_id)
    ran = False

    async def body(_: JobContext) -> Outcome:
        nonlocal ran
        ran = True
        return Outcome(result={})

    await run_job(str(job_id), JobKind.RESOLVE_MODEL, body)
    assert not ran
    assert await _event_types(database_url, package_id) == events
    assert (await job_row(database_url, job_id)).attempts == 1


async def test_two_deliveries_of_one_job_at_the_same_time_run_it_once(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, job_id = await package_with_model(database_url, actor)
    runs = 0

    async def body(_: JobContext) -> Outcome:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.05)
        return Outcome(result={"ran": runs})

    await asyncio.gather(*(run_job(str(job_id), JobKind.DOWNLOAD_MODEL, body) for _ in range(3)))
    assert runs == 1
    job = await job_row(database_url, job_id)
    assert (job.status, job.attempts, job.result) == ("SUCCEEDED", 1, {"ran": 1})
    assert (await _event_types(database_url, package_id)).count("JOB_FINISHED") == 1


async def test_concurrent_jobs_share_their_transactions_and_each_ends_once_with_its_own_outcome(
    database_url: str,
) -> None:
    actor = await new_actor(database_url)
    made = [await package_with_model(database_url, actor) for _ in range(6)]

    async def body(context: JobContext) -> Outcome:
        await asyncio.sleep(0.01)
        if context.job.package_id == made[0][0]:
            raise IntegrationError("HUB_NOT_FOUND", "No such model.")
        return Outcome(result={"package": str(context.job.package_id)})

    await asyncio.gather(*(run_job(str(job_id), JobKind.DOWNLOAD_MODEL, body) for _, job_id in made))
    for index, (package_id, job_id) in enumerate(made):
        job = await job_row(database_url, job_id)
        if index == 0:
            assert (job.status, job.error_code, job.result) == ("FAILED", "HUB_NOT_FOUND", None)
        else:
            assert (job.status, job.result, job.progress) == ("SUCCEEDED", {"package": str(package_id)}, 1.0)
        types = await _event_types(database_url, package_id)
        assert types.count("JOB_FINISHED") == 1 and types.count("JOB_PROGRESS") >= 1
    # The six claims went out together, in one transaction; the outcomes in fewer than six.
    assert len(await _transactions(database_url, [p for p, _ in made], "JOB_PROGRESS")) == 1
    assert len(await _transactions(database_url, [p for p, _ in made], "JOB_FINISHED")) < 6


async def _transactions(database_url: str, package_ids: list[uuid.UUID], event_type: str) -> set[int]:
    async with unit_of_work(database_url) as uow:
        rows = await uow.session.scalars(
            select(Event.tx).where(Event.package_id.in_(package_ids), Event.type == event_type)
        )
    return {int(tx) for tx in rows}


async def test_one_locked_job_row_does_not_hold_up_the_other_jobs_of_the_worker(database_url: str) -> None:
    actor = await new_actor(database_url)
    (_, blocked_id), (_, free_id) = [await package_with_model(database_url, actor) for _ in range(2)]
    async with unit_of_work(database_url) as holder:
        await holder.jobs.get(blocked_id, lock=True)  # e.g. a sweeper or a cancel holding the row
        kind = JobKind.DOWNLOAD_MODEL
        runs = [asyncio.create_task(run_job(str(job_id), kind, _empty)) for job_id in (blocked_id, free_id)]
        await asyncio.wait_for(runs[1], 10)  # the batch gave up on the lock and ran the free job alone
        assert (await job_row(database_url, free_id)).status == "SUCCEEDED"
        assert not runs[0].done()
    await asyncio.wait_for(runs[0], 10)  # the lock is gone: the blocked job runs too
    assert (await job_row(database_url, blocked_id)).status == "SUCCEEDED"


async def _empty(_: JobContext) -> Outcome:
    return Outcome(result={})


async def test_a_delivery_cancelled_while_its_claim_is_taken_gives_the_claim_back(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, job_id = await package_with_model(database_url, actor)
    async with unit_of_work(database_url) as holder:
        await holder.jobs.get(job_id, lock=True)  # keeps the claim in flight
        delivery = asyncio.create_task(run_job(str(job_id), JobKind.DOWNLOAD_MODEL, _empty))
        await asyncio.sleep(0.2)
        delivery.cancel()  # e.g. the worker shutting down
    with pytest.raises(asyncio.CancelledError):
        await delivery
    for _ in range(50):  # the claim commits once the lock is gone, then is given back
        job = await job_row(database_url, job_id)
        if job.status == "QUEUED":
            break
        await asyncio.sleep(0.05)
    assert (job.status, job.attempts) == ("QUEUED", 0)
    await run_job(str(job_id), JobKind.DOWNLOAD_MODEL, _empty)  # the redelivery runs it at once
    assert ((await job_row(database_url, job_id)).status, (await job_row(database_url, job_id)).attempts) == (
        "SUCCEEDED",
        1,
    )
    assert "JOB_FINISHED" in await _event_types(database_url, package_id)


async def test_a_stalled_worker_cannot_end_the_attempt_of_the_worker_that_took_over(database_url: str) -> None:
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)
    async with unit_of_work(database_url) as uow:
        first = await jobs.claim(uow, job_id, timedelta(seconds=30))
        assert first is not None
        await uow.session.execute(
            update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(minutes=5))
        )
    async with unit_of_work(database_url) as uow:
        second = await jobs.claim(uow, job_id, timedelta(seconds=30))
        assert second is not None and second.attempts == 2
    async with unit_of_work(database_url) as uow:  # the first worker wakes up and reports its outcome
        assert await jobs.conclude(uow, jobs.Ending.failed(first, "JOB_TIME_LIMIT", "Too slow.")) is None
    assert ((await job_row(database_url, job_id)).status, (await job_row(database_url, job_id)).attempts) == (
        "RUNNING",
        2,
    )
    async with unit_of_work(database_url) as uow:
        assert await jobs.conclude(uow, jobs.Ending.succeeded(second, {"ok": True})) is not None
    done = await job_row(database_url, job_id)
    assert (done.status, done.result, done.error_code) == ("SUCCEEDED", {"ok": True}, None)


async def test_a_cancelled_retry_keeps_the_error_it_was_retrying_after(database_url: str) -> None:
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)
    async with unit_of_work(database_url) as uow:
        assert await jobs.claim(uow, job_id, timedelta(seconds=30)) is not None
        await jobs.retry_later(uow, job_id, "HUB_UNAVAILABLE", "HTTP 503.", timedelta(seconds=0))
    async with unit_of_work(database_url) as uow:
        again = await jobs.claim(uow, job_id, timedelta(seconds=30))
        assert again is not None
        await jobs.conclude(uow, jobs.Ending.cancelled(again))
    job = await job_row(database_url, job_id)
    assert (job.status, job.error_code, job.error_message) == ("CANCELLED", "HUB_UNAVAILABLE", "HTTP 503.")


async def test_a_delayed_retry_whose_send_fails_keeps_its_backoff(database_url: str) -> None:
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)

    async def queue_down(batch: Sequence[tuple[uuid.UUID, str, int]]) -> None:
        raise ConnectionError(f"Redis is down; {len(batch)} messages not sent")

    set_job_sender(queue_down)
    try:
        async with unit_of_work(database_url) as uow:
            assert await jobs.claim(uow, job_id, timedelta(seconds=30)) is not None
            await jobs.retry_later(uow, job_id, "HUB_RATE_LIMITED", "Slow down.", timedelta(seconds=60))
    finally:
        set_job_sender(None)
    job = await job_row(database_url, job_id)
    assert job.status == "QUEUED"
    assert job.sent_at is not None and job.sent_at > utcnow() + timedelta(seconds=50)  # not resent at once


async def test_a_running_job_is_left_alone_while_its_worker_beats_and_taken_over_once_it_stalls(
    database_url: str,
) -> None:
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)
    async with unit_of_work(database_url) as uow:
        assert await jobs.claim(uow, job_id, timedelta(seconds=30)) is not None  # the first worker
    async with unit_of_work(database_url) as uow:
        assert await jobs.claim(uow, job_id, timedelta(seconds=30)) is None  # alive: not taken
        await uow.session.execute(
            update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(minutes=5))
        )
    await run_job(str(job_id), JobKind.RESOLVE_MODEL, _resolved)  # the redelivery after the first died
    job = await job_row(database_url, job_id)
    assert (job.status, job.attempts) == ("SUCCEEDED", 2)


async def test_cancel_stops_a_queued_job_at_once_and_a_running_one_at_its_next_report(database_url: str) -> None:
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)
    async with unit_of_work(database_url) as uow:
        cancelled = await jobs.cancel(uow, actor, job_id)
    assert cancelled.status == "CANCELLED"
    async with unit_of_work(database_url) as uow:
        with pytest.raises(OperationRefusedError):
            await jobs.cancel(uow, actor, job_id)

    async with unit_of_work(database_url) as uow:
        job = await jobs.start(uow, actor, (await job_row(database_url, job_id)).package_id, JobKind.RESOLVE_MODEL)
    started = asyncio.Event()
    stopped_by_cancel = False

    async def slow(context: JobContext) -> Outcome:
        nonlocal stopped_by_cancel
        started.set()
        for step in range(400):
            await asyncio.sleep(0.01)
            try:
                context.progress(step / 400, "working")
            except Exception:
                stopped_by_cancel = True
                raise
        return Outcome(result={})

    running = asyncio.create_task(run_job(str(job.id), JobKind.RESOLVE_MODEL, slow))
    await started.wait()
    async with unit_of_work(database_url) as uow:
        await jobs.cancel(uow, actor, job.id)
    await asyncio.wait_for(running, 3)
    finished = await job_row(database_url, job.id)
    assert finished.status == "CANCELLED" and stopped_by_cancel
    assert 0 < finished.progress < 1


async def test_a_job_past_its_time_limit_fails_with_a_code(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINPACK_JOB_TIME_LIMIT_SECONDS", "0.3")
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)

    async def forever(_: JobContext) -> Outcome:
        await asyncio.sleep(30)
        return Outcome(result={})

    await asyncio.wait_for(run_job(str(job_id), JobKind.RESOLVE_MODEL, forever), 5)
    job = await job_row(database_url, job_id)
    assert (job.status, job.error_code) == ("FAILED", "JOB_TIME_LIMIT")


async def test_an_unexpected_error_fails_the_job_without_leaking_details(database_url: str) -> None:
    actor = await new_actor(database_url)
    _, job_id = await package_with_model(database_url, actor)

    async def broken(_: JobContext) -> Outcome:
        raise KeyError("secret internals")

    await run_job(str(job_id), JobKind.RESOLVE_MODEL, broken)
    job = await job_row(database_url, job_id)
    assert (job.status, job.error_code) == ("FAILED", "JOB_INTERNAL_ERROR")
    assert "secret" not in (job.error_message or "")


async def test_the_sweeper_sends_committed_jobs_that_were_never_sent(
    database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import sweeper

    monkeypatch.setenv("TRAINPACK_SWEEP_UNSENT_GRACE_SECONDS", "0")
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    broker = redis_broker(Settings(redis_url=redis_url, queue_namespace=namespace))
    try:
        sweeper.use_sender(job_sender(broker))
        actor = await new_actor(database_url)
        _, job_id = await package_with_model(database_url, actor)  # no sender configured: left unsent
        assert (await job_row(database_url, job_id)).sent_at is None
        sent = await sweeper.sweep_once()
        assert sent >= 1
        job = await job_row(database_url, job_id)
        assert job.sent_at is not None
        queued = broker.client.hvals(f"{namespace}:default.msgs")  # type: ignore[attr-defined]
        assert any(str(job_id).encode() in message for message in queued)
        assert await sweeper.sweep_once() == 0  # just sent: not again before the resend interval
    finally:
        broker.flush_all()
        broker.close()


async def test_package_facts_are_kept_per_input(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id, job_id = await package_with_model(database_url, actor)
    await run_job(str(job_id), JobKind.RESOLVE_MODEL, _resolved)
    async with unit_of_work(database_url) as uow:
        package = await uow.session.get(Package, package_id)
    assert package is not None and next(iter(package.facts["model"].values()))["facts"]["contextLength"] == 2048


async def _job_events(database_url: str, package_id: uuid.UUID, event_type: str) -> list[tuple[str, dict[str, Any]]]:
    async with unit_of_work(database_url) as uow:
        rows = await uow.session.execute(
            select(Event.actor, Event.payload)
            .where(Event.package_id == package_id, Event.type == event_type)
            .order_by(Event.id)
        )
    return [(actor, dict(payload)) for actor, payload in rows]


def _comparable(job: Job) -> tuple[Any, ...]:
    return (job.status, job.attempts, job.message, job.progress, job.result, job.error_code, job.error_message)


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
async def test_a_batched_step_writes_the_same_row_and_event_as_the_step_in_a_unit_of_work(
    database_url: str, outcome: str
) -> None:
    """The worker's coalesced claims and endings are single statements that build their events in
    SQL; the one-by-one path builds them in Python. Both must leave the same trace, to the JSON
    text (a claim's progress 0.0 and a success's 1.0 stay floats)."""
    actor = await new_actor(database_url)
    (by_uow_package, by_uow), (batched_package, batched) = [
        await package_with_model(database_url, actor) for _ in range(2)
    ]
    lease = timedelta(seconds=30)
    async with unit_of_work(database_url) as uow:
        claimed_by_uow = (await jobs.claim_many(uow, [by_uow], lease))[by_uow]
    claimed_batched = (await jobs.claim_batch(worker_database.job_batches(), [batched, uuid.uuid4()], lease))[batched]
    assert _comparable(claimed_by_uow) == _comparable(claimed_batched)

    def ending(job: Job) -> jobs.Ending:
        if outcome == "succeeded":
            return jobs.Ending.succeeded(job, {"files": 2})
        return jobs.Ending.failed(job, "HUB_NOT_FOUND", "No such model.")

    async with unit_of_work(database_url) as uow:
        await jobs.end_many(uow, [ending(claimed_by_uow)])
    ended = await jobs.end_batch(worker_database.job_batches(), [ending(claimed_batched)])
    assert [job.id for job in ended.jobs] == [batched]
    assert _comparable(await job_row(database_url, by_uow)) == _comparable(await job_row(database_url, batched))
    for event_type in ("JOB_PROGRESS", "JOB_FINISHED"):
        [(uow_actor, uow_payload)] = await _job_events(database_url, by_uow_package, event_type)
        [(batch_actor, batch_payload)] = await _job_events(database_url, batched_package, event_type)
        assert uow_actor == batch_actor == "worker:model.resolve"
        assert uow_payload.pop("jobId") == str(by_uow) and batch_payload.pop("jobId") == str(batched)
        assert json.dumps(uow_payload, sort_keys=True) == json.dumps(batch_payload, sort_keys=True)
    # A second ending of the same attempt finds it ended: no row, no event.
    again = await jobs.end_batch(
        worker_database.job_batches(), [jobs.Ending.succeeded(claimed_batched, {"late": True})]
    )
    assert again.jobs == []
    assert len(await _job_events(database_url, batched_package, "JOB_FINISHED")) == 1


async def test_batched_steps_recover_from_a_database_that_dropped_their_connections(database_url: str) -> None:
    actor = await new_actor(database_url)
    made = [await package_with_model(database_url, actor) for _ in range(3)]
    lease = timedelta(seconds=30)
    batches = worker_database.job_batches()
    assert await jobs.claim_batch(batches, [made[0][1]], lease)  # the pool now holds a connection
    async with unit_of_work(database_url) as uow:  # a restart, or an idle-connection reaper
        killed = await uow.session.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query LIKE 'WITH changed AS%'"
            )
        )
    assert killed
    await asyncio.sleep(0.2)  # the closed socket is noticed by the event loop
    assert set(await jobs.claim_batch(batches, [made[1][1]], lease)) == {made[1][1]}
    assert set(await jobs.claim_batch(batches, [made[2][1]], lease)) == {made[2][1]}


def test_a_job_event_spec_names_only_columns_of_jobs() -> None:
    with pytest.raises(ValueError, match="secret"):
        JobEventSpec.of("JOB_PROGRESS", {"leak": "secret"}, {})
