"""The sweeper: sends jobs that were committed but never sent, or whose worker died.

A Redis outage leaves a QUEUED row marked unsent: it is sent once the grace period has passed.
A crash between commit and send leaves a QUEUED row that claims to be sent: it is sent again
once the resend interval (the job lease) has passed since. A killed worker leaves a RUNNING row
whose lease lapses. Either way the row is the truth, and the sweeper (re-)sends its message.
Duplicates are harmless: the actors claim the row.
"""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import structlog

from db.uow import JobSender
from workers.database import unit_of_work, worker_settings
from workflow import jobs

log = structlog.get_logger(__name__)
BATCH = 200
_sender: JobSender | None = None


def use_sender(sender: JobSender) -> None:
    """How the sweeper sends (the process's broker)."""
    global _sender
    _sender = sender


@dramatiq.actor(actor_name="jobs.sweep", max_retries=0, time_limit=60_000)
async def sweep() -> None:
    """Send what is due; note the send so the next sweep leaves it alone for a while."""
    sent = await sweep_once()
    if sent:
        log.info("sweeper sent jobs", count=sent)


async def sweep_once() -> int:
    """One pass; the number of jobs sent."""
    settings = worker_settings()
    assert _sender is not None, "the sweeper needs a job sender"
    async with unit_of_work() as uow:
        due = await uow.jobs.due_for_sending(
            resend_after=timedelta(seconds=max(settings.job_lease_seconds, settings.sweep_unsent_grace_seconds)),
            limit=BATCH,
        )
        if due:
            # Sent inside the transaction that holds the rows (SKIP LOCKED keeps other sweepers
            # off them); if the commit is lost, they are merely sent again later.
            await _sender([(job.id, job.kind, 0) for job in due])
            for job in due:
                if job.status == "RUNNING":
                    log.warning("job's worker stopped renewing its lease; re-sent", job_id=str(job.id))
            await uow.jobs.mark_sent([job.id for job in due])
    # Jobs never sent (their send failed, or they wait for a slot their jobs' endings did not
    # free) go out as their organisations' slots allow.
    async with unit_of_work() as uow:
        released = await jobs.release_waiting_anywhere(
            uow, older_than=timedelta(seconds=settings.sweep_unsent_grace_seconds)
        )
        if released:
            await _sender([(job.id, job.kind, 0) for job in released])
    return len(due) + len(released)
