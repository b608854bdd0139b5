"""Estimate actor: ``estimate.compute`` (the training's memory, time and cost on every flavour).

The body is computation on the job's own input (the estimator needs no I/O) over the hardware
catalogue in use: the input carries every figure it reads (and the catalogue's flavours), so a
result whose inputs the draft no longer has is stored but never consulted.
"""

from __future__ import annotations

from workers.database import unit_of_work
from workers.integrations.errors import IntegrationError
from workers.runner import JobContext, Outcome, job_actor
from workflow import catalogue
from workflow.estimates import EstimateProblem, compute, result_json
from workflow.events import utcnow
from workflow.job_inputs import JobKind


async def _estimate(context: JobContext) -> Outcome:
    """Size the training on every flavour of the catalogue; a coded failure when it cannot be sized."""
    job = context.job
    async with unit_of_work() as uow:
        in_use = await catalogue.current(uow.hardware)
    try:
        found = compute(job.input, in_use.catalogue)
    except EstimateProblem as problem:
        raise IntegrationError(problem.code, problem.message) from None
    data = result_json(found, job.input_key, utcnow().isoformat())
    return Outcome(result=data, facts={"facts": data})


compute_estimate = job_actor(JobKind.ESTIMATE_COST, _estimate)
