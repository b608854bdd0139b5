"""Invariants held by the database itself, whatever the code above it does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from db.models import Package, Version
from trainpack.database import unit_of_work
from workflow import machine
from workflow.records import write_state


async def _package(database_url: str) -> tuple[uuid.UUID, uuid.UUID]:
    async with unit_of_work(database_url) as uow:
        organisation = await uow.tokens.add_organisation(f"org-{uuid.uuid4().hex[:10]}")
        package = Package(id=uuid.uuid4(), organisation_id=organisation.id, name="p", created_by="test")
        uow.packages.add(package)
        await uow.session.flush()
    return organisation.id, package.id


def _version(organisation_id: uuid.UUID, package_id: uuid.UUID, number: int, status: str = "DRAFT") -> Version:
    version = Version(id=uuid.uuid4(), package_id=package_id, organisation_id=organisation_id, created_by="test")
    write_state(version, machine.new_draft())
    version.number = number
    version.status = status
    if status == "PUBLISHED":
        version.published_at = datetime.now(UTC)
    return version


async def test_at_most_one_draft_per_package(database_url: str) -> None:
    organisation_id, package_id = await _package(database_url)
    with pytest.raises(asyncpg.UniqueViolationError, match="uq_versions_one_draft"):
        async with unit_of_work(database_url) as uow:
            await uow.versions.insert(_version(organisation_id, package_id, 1))
            await uow.versions.insert(_version(organisation_id, package_id, 2))


async def test_version_numbers_are_unique_per_package(database_url: str) -> None:
    organisation_id, package_id = await _package(database_url)
    with pytest.raises(asyncpg.UniqueViolationError, match="uq_versions_package_id_number"):
        async with unit_of_work(database_url) as uow:
            await uow.versions.insert(_version(organisation_id, package_id, 1, "PUBLISHED"))
            await uow.versions.insert(_version(organisation_id, package_id, 1))


async def test_package_names_are_unique_per_organisation(database_url: str) -> None:
    organisation_id, _ = await _package(database_url)
    with pytest.raises(IntegrityError, match="uq_packages_organisation_id_name"):
        async with unit_of_work(database_url) as uow:
            uow.packages.add(Package(id=uuid.uuid4(), organisation_id=organisation_id, name="p", created_by="t"))
    _, other_package = await _package(database_url)  # the same name in another organisation is fine
    assert other_package


async def test_published_versions_cannot_be_updated(database_url: str) -> None:
    organisation_id, package_id = await _package(database_url)
    published = _version(organisation_id, package_id, 1, "PUBLISHED")
    async with unit_of_work(database_url) as uow:
        await uow.versions.insert(published)
    with pytest.raises(DBAPIError, match="is published and cannot change"):
        async with unit_of_work(database_url) as uow:
            await uow.session.execute(update(Version).where(Version.id == published.id).values(revision=99))
    async with unit_of_work(database_url) as uow:
        revision = await uow.session.scalar(text("SELECT revision FROM versions WHERE id = :id"), {"id": published.id})
    assert revision == 1


async def test_a_published_version_needs_its_publication_time(database_url: str) -> None:
    organisation_id, package_id = await _package(database_url)
    version = _version(organisation_id, package_id, 1)
    version.status = "PUBLISHED"
    with pytest.raises(asyncpg.CheckViolationError, match="ck_versions_published_at"):
        async with unit_of_work(database_url) as uow:
            await uow.versions.insert(version)
