"""The typed step API: documented by introspection, saves merge, validation refuses wrong types."""

from __future__ import annotations

from typing import Any

from tests.support import documents as docs
from tests.support.content import CONFIG, DATASET, VALID_STEPS
from tests.support.flows import complete, publish, published_package
from tests.support.graphql import Api
from tests.support.typed import TYPED_VALID_STEPS, create_typed, draft_content, save_typed, typed

TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }"
INTROSPECTION = f"""
query {{ __schema {{ types {{
  name kind description
  fields {{ name description type {{ {TYPE_REF} }} }}
  inputFields {{ name description type {{ {TYPE_REF} }} }}
}} }} }}
"""


def _named(ref: dict[str, Any]) -> str:
    while ref.get("ofType"):
        ref = ref["ofType"]
    name: str = ref["name"]
    return name


def _walk(types: dict[str, dict[str, Any]], root: str, key: str) -> dict[str, list[str]]:
    """Every object (or input) type reachable from ``root``, with its fields lacking a description."""
    seen: dict[str, list[str]] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        found = types[name]
        seen[name] = [field["name"] for field in found[key] if not (field["description"] or "").strip()]
        for field in found[key]:
            target = types[_named(field["type"])]
            if target[key] is not None:
                todo.append(target["name"])
    return seen


async def _types(api: Api) -> dict[str, dict[str, Any]]:
    schema = (await api.execute(INTROSPECTION))["__schema"]
    return {item["name"]: item for item in schema["types"]}


async def test_every_typed_step_input_field_is_described(api: Api) -> None:
    types = await _types(api)
    patch = next(field for field in types["SaveDraftInput"]["inputFields"] if field["name"] == "patch")
    content = next(field for field in types["CreatePackageInput"]["inputFields"] if field["name"] == "content")
    assert _named(patch["type"]) == _named(content["type"]) == "StepsInput"
    reached = _walk(types, "StepsInput", "inputFields")
    assert {"ModelStepInput", "ConfigStepInput", "LoraInput", "DatasetStepInput", "DatasetSourceInput"} <= set(reached)
    assert {"ColumnMappingInput", "EvalSplitInput", "DeployStepInput", "SpaceInput"} <= set(reached)
    assert {name: missing for name, missing in reached.items() if missing} == {}
    assert all(types[name]["description"] for name in reached)
    method = next(field for field in types["ConfigStepInput"]["inputFields"] if field["name"] == "method")
    assert types[_named(method["type"])]["kind"] == "ENUM"  # a closed set is an enum


async def test_every_typed_step_output_field_is_described(api: Api) -> None:
    types = await _types(api)
    content = next(field for field in types["Version"]["fields"] if field["name"] == "content")
    reached = _walk(types, _named(content["type"]), "fields")
    assert {"ModelStep", "ResolvedModel", "ConfigStep", "DatasetStep", "DatasetSource", "DatasetProfile"} <= set(
        reached
    )
    assert {"TokenStatistics", "DeployStep", "SpaceSettings", "EvalSplit", "ColumnMapping"} <= set(reached)
    assert {name: missing for name, missing in reached.items() if missing} == {}
    # The typed inputs and outputs mirror each other field for field.
    for output, input_type in (("ConfigStep", "ConfigStepInput"), ("DatasetSource", "DatasetSourceInput")):
        outputs = {field["name"] for field in types[output]["fields"]}
        assert {field["name"] for field in types[input_type]["inputFields"]} <= outputs


async def test_a_one_field_autosave_leaves_its_siblings_as_they_were(api: Api) -> None:
    package_id, revision = await create_typed(api, typed({**VALID_STEPS, "config": {**CONFIG, "epochs": 1}}))
    before = await draft_content(api, package_id)
    saved = await save_typed(api, package_id, revision, {"config": {"epochs": 3}}, trigger="AUTOSAVE")
    assert saved["__typename"] == "DraftUpdated" and saved["changed"] is True
    after = await draft_content(api, package_id)
    assert after["content"]["config"] == {**before["content"]["config"], "epochs": 3}
    assert {key: after["content"][key] for key in ("model", "dataset", "deploy")} == {
        key: before["content"][key] for key in ("model", "dataset", "deploy")
    }
    assert after["steps"][1]["data"] == {**CONFIG, "epochs": 3}  # the stored form, as the JSON form shows it
    assert after["content"]["config"]["lora"] == {
        "r": 16,
        "alpha": 32,
        "dropout": 0.05,
        "targetModules": ["all-linear"],
    }
    assert after["content"]["config"]["precision"] == "BF16"


async def test_a_nested_field_merges_into_its_object(api: Api) -> None:
    package_id, revision = await create_typed(api, TYPED_VALID_STEPS)
    saved = await save_typed(api, package_id, revision, {"config": {"lora": {"r": 8}}})
    assert saved["__typename"] == "DraftUpdated"
    lora = (await draft_content(api, package_id))["content"]["config"]["lora"]
    assert lora == {"r": 8, "alpha": 32, "dropout": 0.05, "targetModules": ["all-linear"]}


async def test_null_clears_a_field_an_object_and_a_whole_step(api: Api) -> None:
    package_id, revision = await create_typed(api, TYPED_VALID_STEPS)
    saved = await save_typed(
        api,
        package_id,
        revision,
        {"model": {"revision": None}, "config": {"lora": {"dropout": None}, "warmupRatio": None}},
    )
    assert saved["__typename"] == "DraftUpdated"
    draft = await draft_content(api, package_id)
    assert draft["content"]["model"]["revision"] is None and draft["content"]["model"]["repoId"]
    assert "revision" not in draft["steps"][0]["data"]
    assert draft["content"]["config"]["lora"]["dropout"] is None and draft["content"]["config"]["lora"]["r"] == 16
    assert "warmupRatio" not in draft["steps"][1]["data"]
    cleared = await save_typed(api, package_id, saved["revision"], {"dataset": {"eval": None}, "deploy": None})
    assert cleared["__typename"] == "DraftUpdated"
    draft = await draft_content(api, package_id)
    assert draft["steps"][3]["data"] == {} and draft["content"]["deploy"]["target"] is None
    assert draft["content"]["dataset"]["eval"] is None and draft["content"]["dataset"]["sources"]


async def test_a_list_is_replaced_whole(api: Api) -> None:
    second = {**DATASET["sources"][0], "repoId": "acme/more", "weight": 2.0}
    package_id, revision = await create_typed(
        api, typed({**VALID_STEPS, "dataset": {**DATASET, "sources": [*DATASET["sources"], second]}})
    )
    sources = (await draft_content(api, package_id))["content"]["dataset"]["sources"]
    assert [source["repoId"] for source in sources] == ["tatsu-lab/alpaca", "acme/more"]
    # Editing one source: send the list as read back, with that one changed.
    edited = [{**DATASET["sources"][0], "maxSamples": 100}, second]
    saved = await save_typed(api, package_id, revision, {"dataset": {"sources": edited}})
    assert saved["__typename"] == "DraftUpdated"
    draft = await draft_content(api, package_id)
    assert [source["maxSamples"] for source in draft["content"]["dataset"]["sources"]] == [100, None]
    assert draft["content"]["dataset"]["eval"] == {"mode": "FRACTION", "fraction": 0.1, "split": None}
    dropped = await save_typed(api, package_id, saved["revision"], {"dataset": {"sources": [second]}})
    assert dropped["__typename"] == "DraftUpdated"
    assert [s["repoId"] for s in (await draft_content(api, package_id))["content"]["dataset"]["sources"]] == [
        "acme/more"
    ]


async def test_a_wrong_type_is_refused_by_validation_and_changes_nothing(api: Api) -> None:
    package_id, revision = await create_typed(api, TYPED_VALID_STEPS)
    for patch in ({"config": {"epochs": "three"}}, {"config": {"method": "LORAX"}}, {"config": {"unknown": 1}}):
        response = await api.raw(
            "mutation($input: SaveDraftInput!) { saveDraft(input: $input) { __typename } }",
            {"input": {"id": package_id, "expectedRevision": revision, "patch": patch}},
        )
        body = response.json()
        assert body.get("data") is None and body["errors"], body
        assert "Variable '$input'" in body["errors"][0]["message"], body
    inline = await api.raw(
        f'mutation {{ saveDraft(input: {{id: "{package_id}", expectedRevision: {revision}, '
        "patch: {config: {batchSize: 2.5}}}) { __typename } }"
    )
    assert inline.json().get("data") is None and inline.json()["errors"]
    assert (await draft_content(api, package_id))["revision"] == revision


async def test_an_out_of_range_value_is_saved_and_reported_with_its_path(api: Api) -> None:
    package_id, revision = await create_typed(api, TYPED_VALID_STEPS)
    source = {**TYPED_VALID_STEPS["dataset"]["sources"][0], "weight": -1.0}
    saved = await save_typed(
        api, package_id, revision, {"config": {"epochs": 0, "lora": {"r": 0}}, "dataset": {"sources": [source]}}
    )
    assert saved["__typename"] == "DraftUpdated"
    assert {(e["path"], e["code"]) for e in saved["errors"]} >= {
        ("config.epochs", "OUT_OF_RANGE"),
        ("config.lora.r", "OUT_OF_RANGE"),
        ("dataset.sources[0].weight", "OUT_OF_RANGE"),
    }
    content = (await draft_content(api, package_id))["content"]
    config = content["config"]
    assert (config["epochs"], config["lora"]["r"], config["lora"]["alpha"]) == (0, 0, 32)
    assert content["dataset"]["sources"][0]["weight"] == -1.0


async def test_what_workers_learn_is_null_until_they_report(api: Api) -> None:
    package_id, _ = await create_typed(api, TYPED_VALID_STEPS)
    content = (await draft_content(api, package_id))["content"]
    assert (content["model"]["resolved"], content["model"]["failure"]) == (None, None)
    assert [(s["profile"], s["failure"]) for s in content["dataset"]["sources"]] == [(None, None)]


async def test_a_create_with_a_wrong_type_is_refused_by_validation(api: Api) -> None:
    response = await api.raw(
        "mutation($input: CreatePackageInput!) { createPackage(input: $input) { __typename } }",
        {"input": {"content": {"model": {"source": "SOMEWHERE"}}}},
    )
    assert response.json().get("data") is None and response.json()["errors"]
    listing = await api.execute("query { packages(first: 5) { edges { node { id } } } }")
    assert listing["packages"]["edges"] == []


async def test_a_malformed_value_the_schema_cannot_see_is_refused_with_its_path(api: Api) -> None:
    package_id, revision = await create_typed(api)
    refused = await save_typed(api, package_id, revision, {"dataset": {"sources": [{"uploadId": "not-an-id"}]}})
    assert refused["__typename"] == "ValidationFailed"
    assert [(i["path"], i["code"]) for i in refused["issues"]] == [("dataset.sources[0].uploadId", "UPLOAD_ID_INVALID")]
    assert (await draft_content(api, package_id))["revision"] == revision


async def test_typed_and_json_step_data_together_are_refused(api: Api) -> None:
    package_id, revision = await create_typed(api)
    refused = await save_typed(api, package_id, revision, {"config": {"epochs": 2}}, steps={"config": {"epochs": 2}})
    assert refused["__typename"] == "ValidationFailed"
    assert [(i["path"], i["code"]) for i in refused["issues"]] == [("steps", "CONFLICTING_FIELDS")]


async def test_a_preset_fills_step_two_and_the_patch_wins(api: Api) -> None:
    package_id, revision = await create_typed(api, TYPED_VALID_STEPS)
    saved = await save_typed(
        api, package_id, revision, {"config": {"epochs": 1, "lora": {"r": 4}}}, configPreset="qlora-low-memory"
    )
    assert saved["__typename"] == "DraftUpdated"
    draft = await draft_content(api, package_id)
    config = draft["content"]["config"]
    assert (config["preset"], config["method"], config["quantBits"], config["optimizer"]) == (
        "qlora-low-memory",
        "QLORA",
        4,
        "paged_adamw_8bit",
    )
    assert (config["epochs"], config["lora"]["r"], config["lora"]["alpha"]) == (1, 4, 32)
    assert draft["content"]["model"]["repoId"] == "meta-llama/Llama-3.2-1B"  # other steps untouched
    presets = await api.execute("query { configPresets { key config { method quantBits lora { r } } } }")
    qlora = next(preset for preset in presets["configPresets"] if preset["key"] == "qlora-low-memory")
    assert qlora["config"] == {"method": "QLORA", "quantBits": 4, "lora": {"r": 16}}


async def test_the_diff_of_a_typed_edit_names_the_fields_by_their_paths(api: Api) -> None:
    package_id, revision = await published_package(api)
    saved = await save_typed(api, package_id, revision, {"config": {"lora": {"r": 8}, "seed": None}})
    assert saved["__typename"] == "DraftUpdated"
    revision = (await complete(api, package_id, saved["revision"], "CONFIG"))["revision"]
    assert (await publish(api, package_id, revision, "r 8"))["__typename"] == "VersionPublished"
    diff = (await api.execute(docs.DIFF, id=package_id, **{"from": 1, "to": 2}))["node"]["diff"]
    changes = {(change["path"], change["kind"]) for change in diff["changes"]}
    assert ("config.lora.r", "CHANGED") in changes
    assert all(path.startswith("config.") for path, _ in changes), changes
