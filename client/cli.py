"""The SDK's command line: ``trainpack packages|versions|jobs|apply …`` against a running server.

Server and token come from ``TRAINPACK_URL`` / ``TRAINPACK_TOKEN`` or the config file
(``client/connection.py``). Every command takes ``--json`` for scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import httpx
import typer
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from client import output
from client.apply import Applier, ApplyOutcome, ApplyTimeoutError
from client.connection import ConnectionConfigError, load_connection
from client.events import ConnectionLostError, job_events
from client.generated import GraphQLClient
from client.generated.enums import JobStatus, StepName
from client.generated.exceptions import GraphQLClientGraphQLMultiError, GraphQLClientHttpError
from client.generated.input_types import (
    CreatePackageInput,
    DeleteSecretInput,
    JobInput,
    PackageFilterInput,
    PackageInput,
    PublishVersionInput,
    RenamePackageInput,
    RestoreVersionInput,
    SaveDraftInput,
    SetSecretInput,
    StepActionInput,
)
from client.package_file import PackageFileError, load

packages_app = typer.Typer(help="Packages on the server: list, show, create, rename, archive, edit, publish.")
versions_app = typer.Typer(help="A package's versions: list, diff, restore.")
jobs_app = typer.Typer(help="Background jobs: list, watch, cancel.")
bundle_app = typer.Typer(help="Built package bundles: download.")

Json = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of text.")]
P = ParamSpec("P")
R = TypeVar("R")


def _fail(code: int, message: str) -> typer.Exit:
    output.err.print(message)
    return typer.Exit(code)


def command(body: Callable[P, Awaitable[R]]) -> Callable[P, R]:
    """Run an async command body with the connection's client; map transport failures to exit codes."""

    @functools.wraps(body)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return asyncio.run(body(*args, **kwargs))  # type: ignore[arg-type]
        except ConnectionConfigError as exc:
            raise _fail(output.BAD_INPUT, str(exc)) from None
        except httpx.TransportError as exc:
            raise _fail(output.UNREACHABLE, f"cannot reach the server: {exc}") from None
        except httpx.HTTPStatusError as exc:
            raise _fail(output.ISSUES, f"the server answered HTTP {exc.response.status_code}") from None
        except GraphQLClientHttpError as exc:
            raise _fail(output.UNREACHABLE, f"the server answered HTTP {exc.status_code}") from None
        except GraphQLClientGraphQLMultiError as exc:
            codes = {str((error.extensions or {}).get("code")) for error in exc.errors}
            code = output.UNREACHABLE if "UNAUTHENTICATED" in codes else output.ISSUES
            raise _fail(code, "; ".join(error.message for error in exc.errors)) from None
        except ConnectionLostError as exc:
            raise _fail(output.UNREACHABLE, str(exc)) from None

    return run


def _client() -> GraphQLClient:
    return load_connection().client()


def _result(result: Any, as_json: bool, success: str, show: Callable[[Any], None]) -> None:
    """Print a mutation's union result; exit 1 on a user error."""
    dumped = result.model_dump(by_alias=True, mode="json")
    if dumped.get("__typename") != success:
        if as_json:
            output.emit_json(dumped)
        else:
            output.err.print(f"{dumped.get('code')}: {dumped.get('message')}")
            for issue in dumped.get("issues") or []:
                output.err.print(f"  {issue['path']}: {issue['code']} {issue['message']}")
        raise typer.Exit(output.ISSUES)
    if as_json:
        output.emit_json(dumped)
    else:
        show(result)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = YAML(typ="safe").load(path.read_text())
    except (OSError, YAMLError) as exc:
        raise _fail(output.BAD_INPUT, f"{path}: {exc}") from None
    if not isinstance(loaded, dict):
        raise _fail(output.BAD_INPUT, f"{path}: expected a mapping of step blocks")
    return loaded


# -- packages -----------------------------------------------------------------------------------


@packages_app.command("list")
@command
async def packages_list(
    search: Annotated[str | None, typer.Option(help="Part of the name.")] = None,
    archived: Annotated[bool, typer.Option(help="Show archived packages instead.")] = False,
    as_json: Json = False,
) -> None:
    """List the organisation's packages, most recently updated first."""
    async with _client() as client:
        listing = await client.list_packages(first=100, filter_=PackageFilterInput(search=search, archived=archived))
    nodes = [edge.node for edge in listing.packages.edges]
    if as_json:
        output.emit_json([node.model_dump(by_alias=True, mode="json") for node in nodes])
        return
    output.table(
        "packages",
        ["id", "name", "revision", "updated"],
        [[node.id, node.name, node.current_revision, node.updated_at] for node in nodes],
    )


@packages_app.command("show")
@command
async def packages_show(
    package_id: Annotated[str, typer.Argument(help="The package's id.")], as_json: Json = False
) -> None:
    """A package with its draft and latest published version, step by step."""
    async with _client() as client:
        node = (await client.get_package(package_id)).node
    if node is None or node.typename__ != "Package":
        raise _fail(output.ISSUES, f"no package {package_id}")
    dumped = node.model_dump(by_alias=True, mode="json")
    if as_json:
        output.emit_json(dumped)
        return
    output.out.print(f"[bold]{dumped['name']}[/bold]  {dumped['id']}  revision {dumped['currentRevision']}")
    for label in ("draft", "latestPublishedVersion"):
        version = dumped.get(label)
        if version is None:
            continue
        output.out.print(f"{label}: v{version['number']} {version['status']} ({version['progress']['nextAction']})")
        for step in version["steps"]:
            output.out.print(f"  {step['step']:<8} {step['status']:<12} {step['summary'] or ''}")
            for issue in step["errors"]:
                output.out.print(f"    {issue['path']}: {issue['code']} {issue['message']}")


@packages_app.command("create")
@command
async def packages_create(
    name: Annotated[str | None, typer.Option(help="An explicit name (else one follows the selections).")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    steps: Annotated[Path | None, typer.Option(help="A YAML file of initial step blocks.")] = None,
    as_json: Json = False,
) -> None:
    """Create a package with draft v1."""
    data = _read_yaml(steps) if steps else None
    async with _client() as client:
        result = await client.create_package(CreatePackageInput(name=name, description=description, steps=data))
    _result(
        result.create_package, as_json, "PackageCreated", lambda r: output.out.print(f"{r.package.id} {r.package.name}")
    )


@packages_app.command("rename")
@command
async def packages_rename(package_id: str, name: str, as_json: Json = False) -> None:
    """Give a package an explicit name."""
    async with _client() as client:
        result = await client.rename_package(RenamePackageInput(id=package_id, name=name))
    _result(result.rename_package, as_json, "PackageUpdated", lambda r: output.out.print(r.package.name))


@packages_app.command("archive")
@command
async def packages_archive(
    package_id: str,
    undo: Annotated[bool, typer.Option("--undo", help="Unarchive instead.")] = False,
    as_json: Json = False,
) -> None:
    """Archive (or with --undo unarchive) a package."""
    async with _client() as client:
        if undo:
            result: Any = (await client.unarchive_package(PackageInput(id=package_id))).unarchive_package
        else:
            result = (await client.archive_package(PackageInput(id=package_id))).archive_package
    _result(
        result,
        as_json,
        "PackageUpdated",
        lambda r: output.out.print(f"{r.package.name} archived={r.package.archived_at}"),
    )


def _show_draft(result: Any) -> None:
    output.out.print(f"revision {result.revision}{'' if result.changed else ' (unchanged)'}")
    for issue in result.errors:
        output.out.print(f"  {issue.path}: {issue.code.value} {issue.message}")


@packages_app.command("edit")
@command
async def packages_edit(
    package_id: str,
    steps: Annotated[Path, typer.Argument(help="A YAML file of step blocks to merge into the draft.")],
    expected_revision: Annotated[int | None, typer.Option(help="Default: the package's current revision.")] = None,
    as_json: Json = False,
) -> None:
    """Save step data from a YAML file into the draft (merged: omitted fields stay)."""
    data = _read_yaml(steps)
    async with _client() as client:
        revision = expected_revision or await _current_revision(client, package_id)
        result = await client.save_draft(SaveDraftInput(id=package_id, expected_revision=revision, steps=data))
    _result(result.save_draft, as_json, "DraftUpdated", _show_draft)


@packages_app.command("complete")
@command
async def packages_complete(
    package_id: str,
    step: Annotated[StepName, typer.Argument(case_sensitive=False)],
    as_json: Json = False,
) -> None:
    """Complete one step (full validation); exit 1 when it ends in ERROR."""
    async with _client() as client:
        revision = await _current_revision(client, package_id)
        result = (
            await client.complete_step(StepActionInput(id=package_id, expected_revision=revision, step=step))
        ).complete_step
    _result(result, as_json, "DraftUpdated", _show_draft)
    view = next(item for item in result.version.steps if item.step == step)  # type: ignore[union-attr]
    if view.status.value != "COMPLETE":
        raise typer.Exit(output.ISSUES)


@packages_app.command("publish")
@command
async def packages_publish(
    package_id: str,
    changelog: Annotated[str | None, typer.Option()] = None,
    wait: Annotated[
        bool, typer.Option(help="Wait for the package's jobs to end, before publishing and after (what it started).")
    ] = False,
    as_json: Json = False,
) -> None:
    """Publish the draft as an immutable version."""
    async with _client() as client:
        if wait:
            await _wait_package_jobs(client, package_id)
        revision = await _current_revision(client, package_id)
        result = await client.publish_version(
            PublishVersionInput(id=package_id, expected_revision=revision, changelog=changelog)
        )
        if wait and result.publish_version.typename__ == "VersionPublished":
            await _wait_package_jobs(client, package_id)  # the publish pipeline's jobs, once the API has them
    _result(
        result.publish_version,
        as_json,
        "VersionPublished",
        lambda r: output.out.print(f"published v{r.version.number}"),
    )


async def _current_revision(client: GraphQLClient, package_id: str) -> int:
    node = (await client.get_package(package_id)).node
    if node is None or node.typename__ != "Package":
        raise _fail(output.ISSUES, f"no package {package_id}")
    revision: int = node.current_revision
    return revision


async def _wait_package_jobs(client: GraphQLClient, package_id: str) -> None:
    from client.events import latest_cursor, package_events
    from client.generated.package_events import PackageEventsPackageEventsJobEvent

    cursor = await latest_cursor(client, package_id)
    node = (await client.package_jobs(package_id, first=100, status=[JobStatus.QUEUED, JobStatus.RUNNING])).node
    pending = {edge.node.id for edge in node.jobs.edges} if node is not None and hasattr(node, "jobs") else set()
    if not pending:
        return
    async for envelope in package_events(client, package_id, cursor):
        event = envelope.package_events
        if isinstance(event, PackageEventsPackageEventsJobEvent) and event.finished:
            pending.discard(event.job_id)
            if not pending:
                return


# -- versions -----------------------------------------------------------------------------------


@versions_app.command("list")
@command
async def versions_list(package_id: str, as_json: Json = False) -> None:
    """Every version of a package, newest first."""
    async with _client() as client:
        node = (await client.list_versions(package_id, first=100)).node
    if node is None or not hasattr(node, "versions"):
        raise _fail(output.ISSUES, f"no package {package_id}")
    rows = [edge.node for edge in node.versions.edges]
    if as_json:
        output.emit_json([row.model_dump(by_alias=True, mode="json") for row in rows])
        return
    output.table(
        "versions",
        ["number", "status", "published", "changelog"],
        [[row.number, row.status.value, row.published_at, row.changelog] for row in rows],
    )


@versions_app.command("diff")
@command
async def versions_diff(package_id: str, from_number: int, to_number: int, as_json: Json = False) -> None:
    """The field-by-field changes between two versions."""
    async with _client() as client:
        node = (await client.diff_versions(package_id, from_number, to_number)).node
    diff = getattr(node, "diff", None)
    if diff is None:
        raise _fail(output.ISSUES, f"no such versions of {package_id}")
    if as_json:
        output.emit_json(diff.model_dump(by_alias=True, mode="json"))
        return
    if diff.identical:
        output.out.print("identical")
    for change in diff.changes:
        output.out.print(f"{change.kind:<8} {change.path}: {change.before!r} -> {change.after!r}")


@versions_app.command("restore")
@command
async def versions_restore(package_id: str, number: int, as_json: Json = False) -> None:
    """Open a new draft copied from published version ``number``."""
    async with _client() as client:
        node = (await client.version_id(package_id, number)).node
        version = getattr(node, "version", None)
        if version is None:
            raise _fail(output.ISSUES, f"package {package_id} has no version {number}")
        result = await client.restore_version(RestoreVersionInput(version_id=version.id))
    _result(result.restore_version, as_json, "DraftUpdated", _show_draft)


# -- jobs ---------------------------------------------------------------------------------------


@jobs_app.command("list")
@command
async def jobs_list(
    package_id: Annotated[str | None, typer.Option("--package", help="Only this package's jobs.")] = None,
    status: Annotated[list[JobStatus] | None, typer.Option(help="Only these statuses (repeatable).")] = None,
    as_json: Json = False,
) -> None:
    """Jobs of the organisation (or one package), newest first."""
    async with _client() as client:
        if package_id:
            node = (await client.package_jobs(package_id, first=100, status=status)).node
            edges = node.jobs.edges if node is not None and hasattr(node, "jobs") else []
        else:
            edges = (await client.list_jobs(first=100, status=status)).jobs.edges
    jobs = [edge.node for edge in edges]
    if as_json:
        output.emit_json([job.model_dump(by_alias=True, mode="json") for job in jobs])
        return
    output.table(
        "jobs",
        ["id", "kind", "status", "progress", "message"],
        [[job.id, job.kind.value, job.status.value, f"{job.progress:.0%}", job.message] for job in jobs],
    )


@jobs_app.command("watch")
@command
async def jobs_watch(
    job_id: str,
    reconnect_for: Annotated[float, typer.Option(help="Seconds to keep reconnecting while the server is away.")] = 60,
    as_json: Json = False,
) -> None:
    """Follow a job until it ends (reconnecting with the last cursor); exit 1 unless it SUCCEEDED."""
    from rich.progress import Progress

    last: Any = None
    async with _client() as client:
        with Progress(console=output.err, disable=as_json, transient=False) as progress:
            bar = progress.add_task(f"job {job_id}", total=1.0)

            def dropped(exc: BaseException) -> None:
                progress.console.print(f"connection lost ({type(exc).__name__}); reconnecting…")

            stream = job_events(client, job_id, reconnect_for=reconnect_for, on_drop=dropped)
            async with contextlib.aclosing(stream) as events:
                async for event in events:
                    last = event
                    if as_json:
                        output.emit_json(event.model_dump(by_alias=True, mode="json"))
                    description = f"{event.kind.value} {event.status.value}"
                    progress.update(bar, completed=event.progress, description=description)
                    if event.finished:
                        break
    if last is None or not last.finished:
        raise _fail(output.ISSUES, "the job's events ended before it did")
    if not as_json:
        output.out.print(f"{last.kind.value} {last.status.value} {last.error_code or ''}".rstrip())
    if last.status != JobStatus.SUCCEEDED:
        raise typer.Exit(output.ISSUES)


@jobs_app.command("cancel")
@command
async def jobs_cancel(job_id: str, as_json: Json = False) -> None:
    """Cancel a job: a queued one at once, a running one at its next report."""
    async with _client() as client:
        result = await client.cancel_job(JobInput(id=job_id))
    _result(result.cancel_job, as_json, "JobUpdated", lambda r: output.out.print(f"{r.job.id} {r.job.status.value}"))


# -- bundles ------------------------------------------------------------------------------------


@bundle_app.command("download")
@command
async def bundle_download(
    package_id: str,
    version: Annotated[int | None, typer.Option(help="Default: the latest published version.")] = None,
    output_path: Annotated[Path | None, typer.Option("--output", "-o", help="Default: <sha256>.tar.gz here.")] = None,
    as_json: Json = False,
) -> None:
    """Download a published version's bundle (checked against its sha256); exit 1 if not built yet."""
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    from client.bundles import BundleDigestError, download

    connection = load_connection()
    async with connection.client() as client:
        if version is None:
            node: Any = (await client.package_bundle(package_id)).node
            found = getattr(node, "latest_published_version", None)
        else:
            node = (await client.version_bundle(package_id, version)).node
            found = getattr(node, "version", None)
    if found is None:
        raise _fail(output.ISSUES, f"no published version of {package_id}")
    if found.bundle is None:
        raise _fail(output.ISSUES, f"version {found.number} has no bundle yet (see `trainpack jobs list --package`)")
    bundle = found.bundle
    target = output_path or Path(f"{bundle.sha_256}.tar.gz")
    columns = (*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=output.err, disable=as_json) as progress:
        bar = progress.add_task(f"bundle v{found.number}", total=bundle.size_bytes)
        try:
            await download(connection, bundle.download_url, bundle.sha_256, target, lambda n: progress.advance(bar, n))
        except BundleDigestError as exc:
            raise _fail(output.ISSUES, str(exc)) from None
    if as_json:
        output.emit_json({"path": str(target), "sha256": bundle.sha_256, "version": found.number})
    else:
        output.out.print(f"{target} ({bundle.sha_256})")


# -- secrets ------------------------------------------------------------------------------------


@command
async def secrets_list(as_json: Json = False) -> None:
    """The organisation's secrets by name, with the value's last four characters (never the value)."""
    async with _client() as client:
        secrets = (await client.list_secrets()).secrets
    if as_json:
        output.emit_json([secret.model_dump(by_alias=True, mode="json") for secret in secrets])
        return
    output.table(
        "secrets",
        ["name", "last four", "updated", "by"],
        [[secret.name, secret.last_four, secret.updated_at, secret.updated_by] for secret in secrets],
    )


@command
async def secrets_set(
    name: Annotated[str, typer.Argument(help="An environment variable's name, e.g. HF_TOKEN.")],
    value: Annotated[
        str, typer.Option(prompt=True, hide_input=True, envvar="TRAINPACK_SECRET_VALUE", help="Asked for if not given.")
    ],
    as_json: Json = False,
) -> None:
    """Create or replace a secret (the `admin` scope); the value is read from a prompt or the environment."""
    async with _client() as client:
        result = (await client.set_secret(SetSecretInput(name=name, value=value))).set_secret
    _result(
        result,
        as_json,
        "SecretSet",
        lambda r: output.out.print(f"{r.secret.name} {'created' if r.created else 'replaced'}"),
    )


@command
async def secrets_delete(name: str, as_json: Json = False) -> None:
    """Delete a secret (the `admin` scope)."""
    async with _client() as client:
        result = (await client.delete_secret(DeleteSecretInput(name=name))).delete_secret
    _result(result, as_json, "SecretDeleted", lambda r: output.out.print(f"{r.name} deleted"))


# -- apply --------------------------------------------------------------------------------------


def _outcome_json(outcome: ApplyOutcome) -> dict[str, Any]:
    return {
        "packageId": outcome.package_id,
        "name": outcome.name,
        "created": outcome.created,
        "saved": outcome.saved,
        "completed": outcome.completed,
        "published": outcome.published,
        "changed": outcome.changed,
        "failedJobs": outcome.failed_jobs,
        "refused": outcome.refused,
        "issues": [issue.__dict__ for issue in outcome.issues],
    }


@command
async def apply(
    file: Annotated[Path, typer.Argument(help="The package file (YAML).")],
    publish: Annotated[bool, typer.Option("--publish", help="Publish when every step is complete.")] = False,
    changelog: Annotated[str | None, typer.Option(help="The changelog of the published version.")] = None,
    wait_seconds: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the jobs.")] = 600,
    as_json: Json = False,
) -> None:
    """Create or update the package a YAML file describes, complete its steps, and publish with --publish."""
    from rich.progress import Progress, TaskID

    try:
        package_file = load(file)
    except PackageFileError as exc:
        where = f"{file}:{exc.line}" if exc.line else str(file)
        raise _fail(output.BAD_INPUT, f"{where}: {exc}") from None
    async with _client() as client:
        with Progress(console=output.err, disable=as_json, transient=True) as progress:
            bars: dict[str, TaskID] = {}

            def on_job(event: Any) -> None:
                if event.job_id not in bars:
                    bars[event.job_id] = progress.add_task(event.kind.value, total=1.0)
                progress.update(
                    bars[event.job_id], completed=event.progress, description=f"{event.kind.value} {event.status.value}"
                )

            try:
                outcome = await Applier(client, package_file, on_job=on_job).run(
                    publish=publish, changelog=changelog, wait_seconds=wait_seconds
                )
            except ApplyTimeoutError as exc:
                raise _fail(output.TIMED_OUT, str(exc)) from None
    if as_json:
        output.emit_json(_outcome_json(outcome))
    else:
        _print_outcome(file, outcome)
    if not outcome.ok:
        raise typer.Exit(output.ISSUES)


def _print_outcome(file: Path, outcome: ApplyOutcome) -> None:
    for issue in outcome.issues:
        where = f"{file}:{issue.line}" if issue.line else str(file)
        output.out.print(f"{where}: {issue.path}: {issue.code} {issue.message}")
    for job in outcome.failed_jobs:
        output.out.print(f"job failed: {job}")
    if outcome.refused:
        output.out.print(f"refused: {outcome.refused}")
    if not outcome.changed:
        verdict = "no change, nothing to do" if outcome.ok else "nothing was changed"
        output.out.print(f"{outcome.name}: {verdict}")
        return
    done = []
    if outcome.created:
        done.append("created")
    if outcome.saved:
        done.append("draft saved")
    if outcome.completed:
        done.append("completed " + ", ".join(step.lower() for step in outcome.completed))
    if outcome.published is not None:
        done.append(f"published v{outcome.published}")
    output.out.print(f"{outcome.name} ({outcome.package_id}): {'; '.join(done)}")


def install(app: typer.Typer, secrets: typer.Typer) -> None:
    """Add the client commands to the ``trainpack`` command; the secret commands join ``secrets``,
    the group that also holds the server's key commands."""
    app.add_typer(packages_app, name="packages")
    app.add_typer(versions_app, name="versions")
    app.add_typer(jobs_app, name="jobs")
    app.add_typer(bundle_app, name="bundle")
    secrets.command("set")(secrets_set)
    secrets.command("list")(secrets_list)
    secrets.command("delete")(secrets_delete)
    app.command("apply")(apply)
