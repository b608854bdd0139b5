"""``trainpack apply``: make the server's package match a package file.

Find the package by name (or create it), save the steps that differ, wait for the jobs the
save started (through the package's event stream), complete the steps in order, report every
issue at its YAML line, and publish when asked. A run that finds nothing to change changes
nothing and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from client.events import latest_cursor, package_events
from client.generated import GraphQLClient
from client.generated.enums import JobStatus, StepName, StepStatus
from client.generated.fragments import PackageDetail, VersionFields
from client.generated.input_types import (
    CreatePackageInput,
    PackageFilterInput,
    PublishVersionInput,
    SaveDraftInput,
    StepActionInput,
)
from client.generated.package_events import PackageEventsPackageEventsJobEvent
from client.package_file import STEPS, PackageFile, patch_for

POLL_SECONDS = 2.0
JobProgress = Callable[[PackageEventsPackageEventsJobEvent], None]


@dataclass(frozen=True)
class FoundIssue:
    """One issue of the server, placed in the file."""

    path: str
    code: str
    message: str
    severity: str
    line: int | None


@dataclass
class ApplyOutcome:
    """What one run did; ``issues`` non-empty means the file does not describe a valid package."""

    package_id: str = ""
    name: str = ""
    created: bool = False
    saved: bool = False
    completed: list[str] = field(default_factory=list)
    published: int | None = None
    issues: list[FoundIssue] = field(default_factory=list)
    failed_jobs: list[str] = field(default_factory=list)
    refused: str | None = None

    @property
    def changed(self) -> bool:
        """Whether the run wrote anything."""
        return self.created or self.saved or bool(self.completed) or self.published is not None

    @property
    def ok(self) -> bool:
        """No issue, no failed job, nothing refused."""
        return not self.issues and not self.failed_jobs and self.refused is None


class ApplyTimeoutError(Exception):
    """The jobs did not end within the time given."""


def _steps_data(version: VersionFields | None) -> dict[str, dict[str, Any]]:
    if version is None:
        return {}
    return {step.step.value.lower(): dict(step.data or {}) for step in version.steps}


def _error_of(result: Any) -> str:
    dumped = result.model_dump(by_alias=True, mode="json")
    return f"{dumped.get('code')}: {dumped.get('message')}"


class Applier:
    """One ``apply`` run against one server."""

    def __init__(self, client: GraphQLClient, file: PackageFile, *, on_job: JobProgress | None = None) -> None:
        self.client = client
        self.file = file
        self.on_job = on_job
        self.outcome = ApplyOutcome(name=file.name)

    async def run(self, *, publish: bool, changelog: str | None, wait_seconds: float) -> ApplyOutcome:
        """Bring the package in line with the file; the outcome (never raises for issues)."""
        package = await self._find()
        cursor: str | None = None
        if package is None:
            package = await self._create()
            if package is None:
                return self.outcome
            # Taken before the jobs are listed: a job listed as running ends after this cursor.
            cursor = await latest_cursor(self.client, package.id)
        else:
            cursor = await latest_cursor(self.client, package.id)
            package = await self._save(package)
            if package is None:
                return self.outcome
        self.outcome.package_id, self.outcome.name = package.id, package.name
        if package.draft is None:  # nothing to do: the latest published version is the file
            return self.outcome
        await self._wait_for_jobs(package.id, cursor, wait_seconds)
        draft = await self._complete(package.id)
        if draft is None:
            return self.outcome
        self._collect_issues(draft)
        if publish and self.outcome.ok:
            await self._publish(package.id, draft.revision, changelog)
        return self.outcome

    async def _find(self) -> PackageDetail | None:
        listing = await self.client.list_packages(
            first=100, filter_=PackageFilterInput(search=self.file.name, archived=None)
        )
        for edge in listing.packages.edges:
            if edge.node.name == self.file.name:
                return await self._load(edge.node.id)
        return None

    async def _load(self, package_id: str) -> PackageDetail:
        node = (await self.client.get_package(package_id)).node
        assert isinstance(node, PackageDetail), node
        return node

    async def _create(self) -> PackageDetail | None:
        result = (
            await self.client.create_package(
                CreatePackageInput(name=self.file.name, description=self.file.description, steps=self.file.steps)
            )
        ).create_package
        package = getattr(result, "package", None)
        if package is None:
            self._refuse(result)
            return None
        self.outcome.created = True
        return await self._load(package.id)

    async def _save(self, package: PackageDetail) -> PackageDetail | None:
        current = _steps_data(package.draft or package.latest_published_version)
        wanted = {step: self.file.steps.get(step, {}) for step in STEPS}
        patch = {
            step: patch_for(current.get(step, {}), wanted[step]) for step in STEPS if current.get(step) != wanted[step]
        }
        if not patch:
            return package
        result = (
            await self.client.save_draft(
                SaveDraftInput(id=package.id, expected_revision=package.current_revision, steps=patch)
            )
        ).save_draft
        if getattr(result, "revision", None) is None:
            self._refuse(result)
            return None
        self.outcome.saved = bool(getattr(result, "changed", True))
        return await self._load(package.id)

    async def _wait_for_jobs(self, package_id: str, after: str | None, wait_seconds: float) -> None:
        """Until no job of the package is queued or running.

        Progress comes from the package's events after ``after`` (a cursor taken before the jobs
        are listed, so no ending is missed); the job list is also read every
        ``POLL_SECONDS``, since the server hands events out only once no older transaction is
        open, and a long transaction elsewhere on the database can hold them back.
        """
        pending = await self._pending_jobs(package_id)
        if not pending:
            return
        watched = set(pending)
        follower = asyncio.create_task(self._follow(package_id, after, set(pending), wait_seconds))
        try:
            async with asyncio.timeout(wait_seconds):
                while True:
                    await asyncio.wait({follower}, timeout=POLL_SECONDS)
                    if follower.done():
                        follower.result()
                        break
                    pending = await self._pending_jobs(package_id)
                    watched |= pending
                    if not pending:
                        break
        except TimeoutError:
            raise ApplyTimeoutError(f"jobs still running after {wait_seconds:.0f}s") from None
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        ended = await self.client.package_jobs(package_id, first=100, status=[JobStatus.FAILED, JobStatus.CANCELLED])
        jobs = getattr(ended.node, "jobs", None)
        for edge in jobs.edges if jobs is not None else []:
            if edge.node.id in watched:
                code = edge.node.error.code if edge.node.error else None
                self.outcome.failed_jobs.append(f"{edge.node.kind.value} {edge.node.status.value} {code}")

    async def _follow(self, package_id: str, after: str | None, pending: set[str], wait_seconds: float) -> None:
        """Report job events until none of the package's jobs is left running."""
        stream = package_events(self.client, package_id, after, reconnect_for=wait_seconds)
        async with contextlib.aclosing(stream) as events:
            async for envelope in events:
                event = envelope.package_events
                if not isinstance(event, PackageEventsPackageEventsJobEvent):
                    continue
                if self.on_job is not None:
                    self.on_job(event)
                if event.finished:
                    pending.discard(event.job_id)
                    if not pending:
                        pending |= await self._pending_jobs(package_id)  # an ending may have started another
                    if not pending:
                        return

    async def _pending_jobs(self, package_id: str) -> set[str]:
        node = (
            await self.client.package_jobs(package_id, first=100, status=[JobStatus.QUEUED, JobStatus.RUNNING])
        ).node
        jobs = getattr(node, "jobs", None)
        return {edge.node.id for edge in jobs.edges} if jobs is not None else set()

    async def _complete(self, package_id: str) -> VersionFields | None:
        package = await self._load(package_id)
        draft = package.draft
        assert draft is not None
        for step in StepName:
            view = next(item for item in draft.steps if item.step == step)
            if view.status == StepStatus.COMPLETE:
                continue
            result = (
                await self.client.complete_step(
                    StepActionInput(id=package_id, expected_revision=draft.revision, step=step)
                )
            ).complete_step
            version = getattr(result, "version", None)
            if version is None:
                self._refuse(result)
                return None
            draft = version
            done = next(item for item in draft.steps if item.step == step)
            self.outcome.completed.append(step.value)
            if done.status != StepStatus.COMPLETE:
                break  # later steps cannot be completed before this one
        return draft

    def _collect_issues(self, draft: VersionFields) -> None:
        for step in draft.steps:
            for issue in step.errors:
                self.outcome.issues.append(
                    FoundIssue(
                        issue.path, issue.code.value, issue.message, issue.severity.value, self.file.line_of(issue.path)
                    )
                )
        if self.outcome.issues:
            return
        for step in draft.steps:
            if step.status != StepStatus.COMPLETE:
                path = step.step.value.lower()
                self.outcome.issues.append(
                    FoundIssue(
                        path, "STEP_INCOMPLETE", f"step {path} is {step.status.value}", "ERROR", self.file.line_of(path)
                    )
                )

    async def _publish(self, package_id: str, revision: int, changelog: str | None) -> None:
        result = (
            await self.client.publish_version(
                PublishVersionInput(id=package_id, expected_revision=revision, changelog=changelog)
            )
        ).publish_version
        version = getattr(result, "version", None)
        if version is None:
            self._refuse(result)
            return
        self.outcome.published = version.number

    def _refuse(self, result: Any) -> None:
        dumped = result.model_dump(by_alias=True, mode="json")
        for issue in dumped.get("issues") or []:
            self.outcome.issues.append(
                FoundIssue(
                    issue["path"], issue["code"], issue["message"], issue["severity"], self.file.line_of(issue["path"])
                )
            )
        self.outcome.refused = _error_of(result)
