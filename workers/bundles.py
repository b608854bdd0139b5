"""Bundle actor: ``package.build`` renders a published version into its bundle and stores it.

The bundle is made from the version and the facts pinned for it only (``workflow.builds``):
rendering and packing are pure and run off the event loop, then the archive goes into the
content-addressed store, where a rebuild of the same version lands on the same name.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

from db.bundle_store import BundleStoreError, bundle_store
from workers.database import unit_of_work
from workers.integrations.errors import IntegrationError
from workers.integrations.local_paths import confined
from workers.runner import JobContext, Outcome, job_actor
from workflow import builds
from workflow.core.bundle import Bundle, BundleError, DatasetFile, archive_digest, pack, render_bundle, verify
from workflow.job_inputs import JobKind


async def _build(context: JobContext) -> Outcome:
    """Render, pack, verify and store the version's bundle; its sha256, size and files."""
    settings = context.settings
    async with unit_of_work() as uow:
        try:
            material = await builds.building(uow, context.job)
        except BundleError as error:
            failure: BundleError | None = error
        else:
            failure = None
    if failure is not None:  # the BUILDING event is recorded; the job fails with the bundle's code
        raise IntegrationError(failure.code, str(failure))
    context.progress(0.2, "Rendering the bundle")

    def read_local(local: builds.LocalDataset) -> DatasetFile:
        path = confined(local.path, settings.local_roots)
        if not path.is_file():
            raise IntegrationError("LOCAL_PATH_NOT_FOUND", f"No file at {local.path!r}.")
        content = path.read_bytes()
        return DatasetFile(path.name, local.file_format, content, hashlib.sha256(content).hexdigest())

    try:
        bundle, archive = await asyncio.to_thread(_render, material, read_local)
    except BundleError as error:
        raise IntegrationError(error.code, str(error)) from None
    context.progress(0.7, f"Storing the bundle ({len(archive) / 1e6:.1f} MB)")
    try:
        sha256 = await asyncio.to_thread(bundle_store(settings).put, archive)
    except BundleStoreError as error:
        raise IntegrationError("BUNDLE_STORE_FAILED", str(error)) from None
    files = [{"path": file.path, "size": file.size, "sha256": file.sha256} for file in bundle.files]
    return Outcome(result={"sha256": sha256, "sizeBytes": len(archive), "files": files})


def _render(
    material: builds.BuildMaterial, read_local: Callable[[builds.LocalDataset], DatasetFile]
) -> tuple[Bundle, bytes]:
    """The bundle and its archive, read back and verified before anything is stored."""
    bundle = render_bundle(material.inputs(read_local))
    archive = pack(bundle)
    verify(archive, expected_sha256=archive_digest(archive))
    return bundle, archive


build = job_actor(JobKind.BUILD_PACKAGE, _build)
