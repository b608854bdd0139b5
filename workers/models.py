"""Model actors: ``model.resolve`` (Hub metadata or a local directory) and ``model.download``."""

from __future__ import annotations

import asyncio

from workers.hub_tokens import hub_token
from workers.integrations.downloads import download_model
from workers.integrations.hub_models import resolve_hub_model
from workers.integrations.local_models import resolve_local_model
from workers.runner import JobContext, Outcome, job_actor
from workflow.fact_store import model_facts_to_json
from workflow.job_inputs import JobKind


async def _resolve(context: JobContext) -> Outcome:
    """Resolve the chosen model into the metadata step 1 and step 2's rules need."""
    spec = context.job.input
    settings = context.settings
    context.progress(0.1, "Reading the model's metadata")
    if spec["source"] == "HUB":
        facts = await asyncio.to_thread(
            resolve_hub_model,
            spec["repoId"],
            spec["revision"],
            endpoint=settings.hf_endpoint,
            token=await hub_token(context),
        )
    else:
        facts = await asyncio.to_thread(resolve_local_model, spec["path"], settings.local_roots)
    data = model_facts_to_json(facts)
    return Outcome(result=data, facts={"facts": data})


async def _download(context: JobContext) -> Outcome:
    """Download the model's files into the model cache, with byte progress."""
    spec = context.job.input
    settings = context.settings

    def on_progress(done: int, total: int) -> None:
        fraction = done / total if total else None
        context.progress(fraction, f"Downloaded {done / 1e6:.1f} of {total / 1e6:.1f} MB")

    downloaded = await asyncio.to_thread(
        download_model,
        spec["repoId"],
        spec["revision"],
        endpoint=settings.hf_endpoint,
        token=await hub_token(context),
        cache_dir=settings.model_cache_dir,
        allow_patterns=spec.get("allowPatterns"),
        ignore_patterns=spec.get("ignorePatterns"),
        on_progress=on_progress,
        cancel=context.cancel,
    )
    return Outcome(
        result={
            "path": str(downloaded.path),
            "commitSha": downloaded.commit_sha,
            "files": list(downloaded.files),
            "bytes": downloaded.total_bytes,
        }
    )


resolve = job_actor(JobKind.RESOLVE_MODEL, _resolve)
download = job_actor(JobKind.DOWNLOAD_MODEL, _download)
