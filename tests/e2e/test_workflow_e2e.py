"""The whole draft → publish → history workflow over real HTTP, against `trainpack serve`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from strawberry import relay

from tests.conftest import issue_token
from tests.support import documents as docs
from tests.support.content import CONFIG, DATASET, DEPLOY, MODEL, STEP_NAMES
from tests.support.graphql import Api
from tests.support.results import finish_jobs
from tests.support.servers import subprocess_server


@pytest.fixture(scope="module")
def served(database_url: str) -> Iterator[str]:
    with subprocess_server(database_url) as base_url:
        yield f"{base_url}/graphql"


async def save(api: Api, package_id: str, revision: int, steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    result = await api.execute(
        docs.SAVE, input={"id": package_id, "expectedRevision": revision, "steps": steps, **extra}
    )
    payload: dict[str, Any] = result["saveDraft"]
    return payload


async def complete(api: Api, package_id: str, revision: int, step: str) -> dict[str, Any]:
    result = await api.execute(docs.COMPLETE, input={"id": package_id, "expectedRevision": revision, "step": step})
    payload: dict[str, Any] = result["completeStep"]
    return payload


async def package(api: Api, package_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await api.execute(docs.PACKAGE, id=package_id))["node"]
    return node


async def test_create_fill_publish_edit_diff_restore(served: str, database_url: str) -> None:
    async with Api(served, await issue_token(database_url)) as api:
        created = (await api.execute(docs.CREATE, input={}))["createPackage"]
        assert created["__typename"] == "PackageCreated"
        package_id = created["package"]["id"]
        assert created["package"]["name"].startswith("untitled-package-")
        assert created["draft"] == {"id": created["draft"]["id"], "number": 1, "revision": 1, "currentStep": "MODEL"}

        # Autosaves of partial data, step by step.
        saved = await save(api, package_id, 1, {"model": {"source": "HUB"}}, trigger="AUTOSAVE")
        assert saved["__typename"] == "DraftUpdated" and saved["revision"] == 2
        saved = await save(api, package_id, 2, {"model": MODEL}, trigger="AUTOSAVE")
        assert saved["revision"] == 3
        assert saved["package"]["name"].startswith("llama-3-2-1b-")  # the auto-name follows the selection

        # An invalid value gives typed errors and changes nothing.
        bad = await save(api, package_id, 3, {"config": {"epochs": "three", "lora": {"r": 1.5}, "colour": "red"}})
        assert bad["__typename"] == "ValidationFailed"
        assert {(issue["path"], issue["code"]) for issue in bad["issues"]} == {
            ("config.epochs", "INVALID_TYPE"),
            ("config.lora.r", "INVALID_TYPE"),
            ("config.colour", "UNKNOWN_FIELD"),
        }
        unchanged = await package(api, package_id)
        assert unchanged["draft"]["revision"] == 3
        assert unchanged["draft"]["steps"][1]["data"] == {}

        # A stale expectedRevision is a conflict carrying the current revision.
        stale = await save(api, package_id, 2, {"config": CONFIG})
        assert stale["__typename"] == "RevisionConflict"
        assert (stale["expectedRevision"], stale["currentRevision"]) == (2, 3)

        # Complete all four steps, once the workers' results are in (this server runs none: the
        # test records them; pending is not done).
        revision = 3
        for step, data in zip(STEP_NAMES, (MODEL, CONFIG, DATASET, DEPLOY), strict=True):
            if step != "MODEL":
                saved = await save(api, package_id, revision, {step.lower(): data}, trigger="AUTOSAVE")
                assert saved["__typename"] == "DraftUpdated", saved
                revision = saved["revision"]
            await finish_jobs(database_url, uuid.UUID(relay.GlobalID.from_id(package_id).node_id))
            done = await complete(api, package_id, revision, step)
            assert done["__typename"] == "DraftUpdated", done
            statuses = {item["step"]: item["status"] for item in done["version"]["steps"]}
            assert statuses[step] == "COMPLETE", done
            revision = done["revision"]

        published = (
            await api.execute(
                docs.PUBLISH, input={"id": package_id, "expectedRevision": revision, "changelog": "First training run"}
            )
        )["publishVersion"]
        assert published["__typename"] == "VersionPublished", published
        assert published["version"]["number"] == 1 and published["version"]["status"] == "PUBLISHED"
        revision = published["version"]["revision"]

        # Edit: draft v2 opens from v1.
        edited_config = {**CONFIG, "epochs": 5, "lora": {**CONFIG["lora"], "r": 32}}
        saved = await save(api, package_id, revision, {"config": edited_config})
        assert saved["__typename"] == "DraftUpdated"
        assert saved["version"]["number"] == 2
        state = await package(api, package_id)
        assert state["draft"]["basedOn"] == {"number": 1}
        config_step = saved["version"]["steps"][1]
        assert config_step["status"] == "IN_PROGRESS"
        revision = saved["revision"]
        done = await complete(api, package_id, revision, "CONFIG")
        assert {item["status"] for item in done["version"]["steps"]} == {"COMPLETE"}
        revision = done["revision"]
        published = (
            await api.execute(
                docs.PUBLISH, input={"id": package_id, "expectedRevision": revision, "changelog": "More epochs"}
            )
        )["publishVersion"]
        assert published["version"]["number"] == 2
        revision = published["version"]["revision"]

        # The diff lists exactly the changed fields.
        diff = (await api.execute(docs.DIFF, id=package_id, **{"from": 1, "to": 2}))["node"]["diff"]
        assert diff["identical"] is False
        assert sorted((c["path"], c["kind"], c["before"], c["after"]) for c in diff["changes"]) == [
            ("config.epochs", "CHANGED", 3, 5),
            ("config.lora.r", "CHANGED", 16, 32),
        ]

        # Restore v1 as draft v3.
        restored = await api.execute(docs.RESTORE, input={"versionId": state["latestPublishedVersion"]["id"]})
        restored = restored["restoreVersion"]
        assert restored["__typename"] == "DraftUpdated"
        assert restored["version"]["number"] == 3
        assert restored["version"]["steps"][1]["data"]["epochs"] == 3
        assert restored["revision"] > revision
        history = await package(api, package_id)
        assert [edge["node"]["number"] for edge in history["versions"]["edges"]] == [3, 2, 1]
        assert history["draft"]["basedOn"] == {"number": 1}

        # The auto-name follows the selections until the user renames the package.
        revision = restored["revision"]
        switched = await save(api, package_id, revision, {"model": {"source": "HUB", "repoId": "Qwen/Qwen2.5-0.5B"}})
        assert switched["package"]["name"].startswith("qwen2-5-0-5b-lora-alpaca-")
        renamed = (await api.execute(docs.RENAME, input={"id": package_id, "name": "my-tuned-qwen"}))["renamePackage"]
        assert renamed["package"] == {"id": package_id, "name": "my-tuned-qwen", "nameIsCustom": True}
        again = await save(api, package_id, switched["revision"], {"model": MODEL})
        assert again["package"]["name"] == "my-tuned-qwen"
