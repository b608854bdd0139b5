"""Reading a version's typed content: its step data and the facts stored on its package."""

from __future__ import annotations

from api.context import Info
from api.steps.outputs import VersionContent
from db.models import Version as VersionRow
from workflow.fact_store import facts_for, kept_profiles
from workflow.records import state_of


async def version_content(info: Info, row: VersionRow) -> VersionContent:
    """The typed content of ``row``; its package (where facts live) comes through the per-request
    loader, so a page of versions costs one package query however many it shows."""
    content = state_of(row).content
    package = await info.context.loaders.package.load(row.package_id)
    stored = package.facts if package is not None else {}
    return VersionContent.of(content, facts_for(content, stored), kept_profiles(content, stored))
