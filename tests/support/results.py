"""Workers' results for tests that run no worker: the real claim and outcome steps, fed with the
facts a worker would learn about the packages of ``tests.support.content``.

Pending is not done, so a test that completes steps needs its model resolved and its datasets
profiled; this plays the worker's part in the database (the estimate is really computed).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from db.models import Job
from db.uow import UnitOfWork
from trainpack.database import unit_of_work
from workflow import catalogue, jobs
from workflow.core.architecture import architecture_from_config
from workflow.core.hardware import Catalogue
from workflow.estimates import EstimateProblem, compute, result_json
from workflow.events import utcnow
from workflow.fact_store import dataset_facts_to_json, model_facts_to_json
from workflow.facts import DatasetFacts, ModelFacts
from workflow.job_inputs import JobKind

LLAMA_3_2_1B = ModelFacts(
    resolved_sha="4e20de362430cd3b72f300e6b0f18e50e7166e08",
    context_length=131072,
    module_names=frozenset({"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}),
    parameter_count=1_235_814_400,
    licence="llama3.2",
    dtype="bfloat16",
    architecture="LlamaForCausalLM",
    model_type="llama",
    arch=architecture_from_config(
        {
            "model_type": "llama",
            "hidden_size": 2048,
            "num_hidden_layers": 16,
            "num_attention_heads": 32,
            "num_key_value_heads": 8,
            "head_dim": 64,
            "intermediate_size": 8192,
            "vocab_size": 128256,
            "tie_word_embeddings": True,
            "torch_dtype": "bfloat16",
            "max_position_embeddings": 131072,
        }
    ),
)
ALPACA = DatasetFacts(
    columns=frozenset({"instruction", "input", "output"}),
    rows=52_002,
    column_kinds={"instruction": "string", "input": "string", "output": "string"},
    token_mean=70.0,
    token_p95=180,
    token_max=600,
)
LONG_ROWS = DatasetFacts(
    columns=ALPACA.columns,
    rows=40,
    column_kinds=ALPACA.column_kinds,
    token_mean=2500.0,
    token_p95=2500,
    token_max=2500,
)
"""Few rows of 2,500 tokens: a batch of 8 at maxSeqLength 2048 needs about 27 GiB with LoRA on Llama 3.2 1B."""
LEASE = timedelta(seconds=30)


async def finish_jobs(
    database_url: str,
    package_id: uuid.UUID,
    *,
    model: ModelFacts = LLAMA_3_2_1B,
    dataset: DatasetFacts = ALPACA,
    kinds: tuple[JobKind, ...] = tuple(JobKind),
) -> int:
    """Run every queued job of the package (of ``kinds``) to its outcome, as the worker would (the
    jobs those outcomes start too); how many ran."""
    ran = 0
    while True:
        async with unit_of_work(database_url) as uow:
            waiting = [job.id for kind in kinds for job in await uow.jobs.unfinished(package_id, kind.value)]
        if not waiting:
            return ran
        for job_id in waiting:
            async with unit_of_work(database_url) as uow:
                job = await jobs.claim(uow, job_id, LEASE)
            if job is None:
                continue
            async with unit_of_work(database_url) as uow:
                await conclude_job(uow, job, model=model, dataset=dataset)
            ran += 1


async def conclude_job(
    uow: UnitOfWork, job: Job, *, model: ModelFacts = LLAMA_3_2_1B, dataset: DatasetFacts = ALPACA
) -> None:
    """End a claimed job with the result a worker would reach (a coded failure where it would fail)."""
    in_use = (await catalogue.current(uow.hardware)).catalogue  # as the worker sizes it
    try:
        facts = _facts(job, model, dataset, in_use)
    except EstimateProblem as problem:
        await jobs.conclude(uow, jobs.Ending.failed(job, problem.code, problem.message), failure_is_fact=True)
        return
    await jobs.conclude(uow, jobs.Ending.succeeded(job, facts["facts"]), facts=facts)


def _facts(job: Job, model: ModelFacts, dataset: DatasetFacts, in_use: Catalogue) -> dict[str, Any]:
    kind = JobKind(job.kind)
    if kind is JobKind.RESOLVE_MODEL:
        return {"facts": model_facts_to_json(model)}
    if kind is JobKind.PROFILE_DATASET:
        return {"facts": dataset_facts_to_json(dataset)}
    if kind is JobKind.ESTIMATE_COST:
        return {"facts": result_json(compute(job.input, in_use), job.input_key, utcnow().isoformat())}
    return {"facts": {}}
