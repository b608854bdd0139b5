"""Auto-generated names, content hashes and field-by-field diffs."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.diff import ChangeKind, FieldChange, diff_content
from workflow.hashing import canonical_json, content_hash
from workflow.naming import MAX_NAME_LENGTH, auto_name, first_free, name_problem, naming_upload, slugify
from workflow.steps import (
    STEP_ORDER,
    ConfigStepData,
    DatasetSource,
    DatasetStepData,
    DeployStepData,
    EvalSettings,
    LoraSettings,
    ModelStepData,
    PackageContent,
    SpaceSettings,
    Step,
)

DAY = date(2026, 1, 26)


def content(raw: dict[str, Any]) -> PackageContent:
    return PackageContent.from_json(raw)


# --- auto names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {
                "model": {"source": "HUB", "repoId": "meta-llama/Llama-3.2-1B"},
                "config": {"method": "LORA"},
                "dataset": {"sources": [{"source": "HUB", "repoId": "tatsu-lab/alpaca"}]},
            },
            "llama-3-2-1b-lora-alpaca-20260126",
        ),
        ({}, "untitled-package-20260126"),
        ({"config": {"epochs": 3}, "deploy": {"target": "LOCAL_BUNDLE"}}, "untitled-package-20260126"),
        ({"model": {"repoId": "meta-llama/Llama-3.2-1B"}}, "llama-3-2-1b-20260126"),
        ({"config": {"method": "QLORA"}}, "qlora-20260126"),
        (
            {
                "model": {"repoId": "Qwen/Qwen2.5-0.5B-Instruct"},
                "dataset": {"sources": [{"repoId": "HuggingFaceH4/ultrachat_200k"}]},
            },
            "qwen2-5-0-5b-instruct-ultrachat-200k-20260126",
        ),
        (
            {"model": {"source": "LOCAL", "path": "/models/My Model/"}, "config": {"method": "FULL"}},
            "my-model-full-20260126",
        ),
        (
            {"dataset": {"sources": [{"repoId": "a/first"}, {"repoId": "b/second"}]}, "config": {"method": "LORA"}},
            "lora-first-20260126",
        ),
    ],
)
def test_auto_name_follows_the_selections(raw: dict[str, Any], expected: str) -> None:
    assert auto_name(content(raw), DAY) == expected


UPLOAD_ID = "0b7c3f0e-3c4e-4b8e-9a53-2f1f6f0a7d11"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({UPLOAD_ID: "Support Tickets.jsonl"}, "support-tickets-20260126"),
        ({UPLOAD_ID: "data.v2.csv"}, "data-v2-20260126"),
        ({UPLOAD_ID: "README"}, "readme-20260126"),
        ({}, "upload-20260126"),
    ],
)
def test_auto_name_of_an_upload_uses_its_file_name_never_its_id(names: dict[str, str], expected: str) -> None:
    raw = {"dataset": {"sources": [{"source": "UPLOAD", "uploadId": UPLOAD_ID}]}}
    assert naming_upload(content(raw)) == UPLOAD_ID
    assert auto_name(content(raw), DAY, names) == expected


def test_auto_name_uses_the_creation_date() -> None:
    raw = {"config": {"method": "LORA"}}
    assert auto_name(content(raw), date(2025, 12, 31)) == "lora-20251231"


def test_auto_name_of_a_local_model_ignores_a_stale_repo_id() -> None:
    raw = {"model": {"source": "LOCAL", "repoId": "meta-llama/Llama-3.2-1B", "path": "/srv/phi-2"}}
    assert auto_name(content(raw), DAY) == "phi-2-20260126"


def test_a_very_long_auto_name_is_cut_but_keeps_the_date() -> None:
    raw = {
        "model": {"repoId": "org/" + "very-long-model-name-" * 6},
        "config": {"method": "LORA"},
        "dataset": {"sources": [{"repoId": "org/" + "dataset-" * 10}]},
    }
    name = auto_name(content(raw), DAY)
    assert len(name) <= MAX_NAME_LENGTH
    assert name.startswith("very-long-model-name-very-long")
    assert name.endswith("-20260126")
    assert "--" not in name
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Llama-3.2-1B", "llama-3-2-1b"), ("  Hello,  World!  ", "hello-world"), ("a__b..c", "a-b-c"), ("ÄÖ", "")],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


@given(st.text(max_size=40))
def test_slugs_are_lower_case_words_joined_by_single_hyphens(text: str) -> None:
    slug = slugify(text)
    assert all(char in "abcdefghijklmnopqrstuvwxyz0123456789-" for char in slug)
    assert "--" not in slug
    assert not slug.startswith("-")
    assert not slug.endswith("-")


def test_first_free_appends_a_counter_on_collision() -> None:
    base = "llama-3-2-1b-lora-alpaca-20260126"
    assert first_free(base, set()) == base
    assert first_free(base, {"other"}) == base
    assert first_free(base, {base}) == f"{base}-2"
    assert first_free(base, {base, f"{base}-2"}) == f"{base}-3"
    assert first_free(base, {base, f"{base}-2", f"{base}-4"}) == f"{base}-3"
    assert first_free(base, {f"{base}-2"}) == base


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("llama-3-2-1b-lora-alpaca-20260126", True),
        ("My first package", True),
        ("réglage fin", True),
        ("x", True),
        ("x" * MAX_NAME_LENGTH, True),
        ("x" * (MAX_NAME_LENGTH + 1), False),
        ("", False),
        ("   ", False),
        (" leading", False),
        ("trailing ", False),
        ("tab\there", False),
        ("line\nbreak", False),
        ("bell\x07", False),
    ],
)
def test_name_problem(name: str, ok: bool) -> None:
    problem = name_problem(name)
    if ok:
        assert problem is None
    else:
        assert problem


# --- content hash -----------------------------------------------------------------------

FULL: dict[str, Any] = {
    "model": {"source": "HUB", "repoId": "meta-llama/Llama-3.2-1B", "revision": "main"},
    "config": {
        "method": "LORA",
        "trainer": "SFT",
        "epochs": 3.0,
        "lora": {"r": 16, "alpha": 32.0, "targetModules": ["q_proj", "v_proj"]},
    },
    "dataset": {
        "sources": [
            {"source": "HUB", "repoId": "tatsu-lab/alpaca", "format": "INSTRUCTION", "columnMapping": {"prompt": "a"}}
        ]
    },
    "deploy": {"target": "LOCAL_BUNDLE"},
}


def test_equal_content_has_an_equal_hash() -> None:
    first, second = content(FULL), content(FULL)
    assert first is not second
    assert content_hash(first) == content_hash(second)
    assert content_hash(first).startswith("sha256:")
    assert len(content_hash(first)) == len("sha256:") + 64


def test_none_and_absent_fields_hash_the_same() -> None:
    absent = PackageContent(model=ModelStepData(source="HUB", repo_id="a/b"))
    explicit = PackageContent(
        model=ModelStepData(source="HUB", repo_id="a/b", revision=None, path=None),
        config=ConfigStepData(lora=None, epochs=None),
    )
    assert content_hash(absent) == content_hash(explicit)


def test_key_order_and_spelling_do_not_change_the_hash() -> None:
    reordered = {step: dict(reversed(list(block.items()))) for step, block in reversed(list(FULL.items()))}
    reordered["config"]["epochs"] = 3  # an int for a float field
    assert content_hash(content(reordered)) == content_hash(content(FULL))


def test_signed_zero_hashes_like_zero() -> None:
    positive = content({"config": {"weightDecay": 0.0}})
    negative = content({"config": {"weightDecay": -0.0}})
    assert positive == negative
    assert content_hash(positive) == content_hash(negative)


@pytest.mark.parametrize(
    "change",
    [
        {"model": {**FULL["model"], "revision": "dev"}},
        {"model": {**FULL["model"], "revision": None}},
        {"config": {**FULL["config"], "epochs": 3.5}},
        {"config": {**FULL["config"], "lora": {**FULL["config"]["lora"], "targetModules": ["v_proj", "q_proj"]}}},
        {"dataset": {"sources": [*FULL["dataset"]["sources"], {}]}},
        {"dataset": {**FULL["dataset"], "eval": {}}},
        {"deploy": {"target": "HF_SPACE"}},
        {"deploy": {}},
    ],
)
def test_any_change_changes_the_hash(change: dict[str, Any]) -> None:
    changed = content({**FULL, **change})
    assert changed != content(FULL)
    assert content_hash(changed) != content_hash(content(FULL))


def test_canonical_json_is_compact_and_sorted() -> None:
    text = canonical_json(content({"model": {"source": "HUB", "repoId": "a/b"}}))
    assert text == '{"config":{},"dataset":{},"deploy":{},"model":{"repoId":"a/b","source":"HUB"}}'


# --- strategies for random content ------------------------------------------------------

_names = st.text(alphabet="abcxyz-_./0123456789", min_size=1, max_size=10)
_floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
_ints = st.integers(min_value=-10, max_value=10**6)


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


model_blocks = st.builds(
    ModelStepData,
    source=_opt(st.sampled_from(["HUB", "LOCAL"])),
    repo_id=_opt(_names),
    revision=_opt(_names),
    path=_opt(_names),
)
lora_blocks = st.builds(
    LoraSettings,
    r=_opt(_ints),
    alpha=_opt(_floats),
    dropout=_opt(_floats),
    target_modules=_opt(st.lists(_names, max_size=3)),
)
config_blocks = st.builds(
    ConfigStepData,
    method=_opt(st.sampled_from(["FULL", "LORA", "QLORA"])),
    trainer=_opt(st.sampled_from(["SFT", "DPO"])),
    epochs=_opt(_floats),
    learning_rate=_opt(_floats),
    batch_size=_opt(_ints),
    weight_decay=_opt(_floats),
    gradient_checkpointing=_opt(st.booleans()),
    lora=_opt(lora_blocks),
    quant_bits=_opt(_ints),
)
source_blocks = st.builds(
    DatasetSource,
    source=_opt(st.sampled_from(["HUB", "UPLOAD", "LOCAL"])),
    repo_id=_opt(_names),
    format=_opt(st.sampled_from(["CHAT", "INSTRUCTION", "COMPLETION", "PREFERENCE"])),
    column_mapping=_opt(st.dictionaries(st.sampled_from(["prompt", "completion", "messages"]), _names, max_size=2)),
    weight=_opt(_floats),
)
dataset_blocks = st.builds(
    DatasetStepData,
    sources=_opt(st.lists(source_blocks, max_size=3)),
    eval=_opt(st.builds(EvalSettings, mode=_opt(st.sampled_from(["NONE", "FRACTION"])), fraction=_opt(_floats))),
)
deploy_blocks = st.builds(
    DeployStepData,
    target=_opt(st.sampled_from(["HF_SPACE", "LOCAL_BUNDLE"])),
    space=_opt(st.builds(SpaceSettings, owner=_opt(_names), name=_opt(_names), private=_opt(st.booleans()))),
    budget_usd=_opt(_floats),
)
contents = st.builds(
    PackageContent, model=model_blocks, config=config_blocks, dataset=dataset_blocks, deploy=deploy_blocks
)
_block_strategies: dict[Step, st.SearchStrategy[Any]] = {
    Step.MODEL: model_blocks,
    Step.CONFIG: config_blocks,
    Step.DATASET: dataset_blocks,
    Step.DEPLOY: deploy_blocks,
}


@st.composite
def content_pairs(draw: st.DrawFn) -> tuple[PackageContent, PackageContent]:
    """Two contents: identical, independent, or differing in one step's block."""
    first = draw(contents)
    kind = draw(st.sampled_from(["same", "other", "one-step"]))
    if kind == "same":
        return first, PackageContent.from_json(first.to_json())
    if kind == "other":
        return first, draw(contents)
    step = draw(st.sampled_from(STEP_ORDER))
    return first, first.with_block(step, draw(_block_strategies[step]))


@settings(max_examples=200, deadline=None)
@given(contents)
def test_hash_survives_a_json_round_trip(value: PackageContent) -> None:
    rebuilt = PackageContent.from_json(value.to_json())
    assert rebuilt == value
    assert content_hash(rebuilt) == content_hash(value)


@settings(max_examples=200, deadline=None)
@given(content_pairs())
def test_equal_hashes_exactly_when_equal_content(pair: tuple[PackageContent, PackageContent]) -> None:
    first, second = pair
    assert (content_hash(first) == content_hash(second)) is (first == second)


# --- diff -------------------------------------------------------------------------------


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, ChangeKind, Any, Any]]:
    return [(c.path, c.kind, c.before, c.after) for c in diff_content(content(before), content(after))]


def test_identical_content_has_no_diff() -> None:
    assert diff_content(content(FULL), content(FULL)) == []
    assert diff_content(PackageContent(), PackageContent()) == []


def test_changed_added_and_removed_leaves() -> None:
    before = {"model": {"source": "HUB", "repoId": "a/b", "revision": "main"}, "config": {"epochs": 3}}
    after = {"model": {"source": "HUB", "repoId": "c/d", "path": "/x"}, "config": {"epochs": 3}}
    assert diff_content(content(before), content(after)) == [
        FieldChange(Step.MODEL, "model.repoId", ChangeKind.CHANGED, "a/b", "c/d"),
        FieldChange(Step.MODEL, "model.revision", ChangeKind.REMOVED, "main", None),
        FieldChange(Step.MODEL, "model.path", ChangeKind.ADDED, None, "/x"),
    ]


def test_changes_are_listed_in_step_order() -> None:
    before = {"deploy": {"target": "LOCAL_BUNDLE"}, "model": {"repoId": "a/b"}}
    after = {"deploy": {"target": "HF_SPACE"}, "model": {"repoId": "a/c"}}
    assert [change.step for change in diff_content(content(before), content(after))] == [Step.MODEL, Step.DEPLOY]


def test_a_nested_object_added_is_reported_leaf_by_leaf() -> None:
    before = {"config": {"method": "LORA"}}
    after = {"config": {"method": "LORA", "lora": {"r": 16, "alpha": 32, "targetModules": ["q_proj", "v_proj"]}}}
    assert changes(before, after) == [
        ("config.lora.r", ChangeKind.ADDED, None, 16),
        ("config.lora.alpha", ChangeKind.ADDED, None, 32.0),
        ("config.lora.targetModules", ChangeKind.ADDED, None, ["q_proj", "v_proj"]),
    ]
    assert changes(after, before) == [
        ("config.lora.r", ChangeKind.REMOVED, 16, None),
        ("config.lora.alpha", ChangeKind.REMOVED, 32.0, None),
        ("config.lora.targetModules", ChangeKind.REMOVED, ["q_proj", "v_proj"], None),
    ]


def test_a_list_of_strings_is_compared_as_a_whole() -> None:
    before = {"config": {"lora": {"r": 8, "targetModules": ["q_proj"]}}}
    after = {"config": {"lora": {"r": 8, "targetModules": ["q_proj", "v_proj"]}}}
    assert changes(before, after) == [
        ("config.lora.targetModules", ChangeKind.CHANGED, ["q_proj"], ["q_proj", "v_proj"]),
    ]
    reordered = {"config": {"lora": {"r": 8, "targetModules": ["v_proj", "q_proj"]}}}
    assert changes(after, reordered) == [
        ("config.lora.targetModules", ChangeKind.CHANGED, ["q_proj", "v_proj"], ["v_proj", "q_proj"]),
    ]


def test_sources_are_compared_by_index() -> None:
    alpaca = {"source": "HUB", "repoId": "tatsu-lab/alpaca", "format": "INSTRUCTION"}
    chat = {"source": "UPLOAD", "uploadId": "0b7c3f0e-3c4e-4b8e-9a53-2f1f6f0a7d11"}
    before = {"dataset": {"sources": [alpaca]}}
    after = {"dataset": {"sources": [{**alpaca, "format": "CHAT", "columnMapping": {"messages": "m"}}, chat]}}
    assert changes(before, after) == [
        ("dataset.sources[0].format", ChangeKind.CHANGED, "INSTRUCTION", "CHAT"),
        ("dataset.sources[0].columnMapping.messages", ChangeKind.ADDED, None, "m"),
        ("dataset.sources[1].source", ChangeKind.ADDED, None, "UPLOAD"),
        ("dataset.sources[1].uploadId", ChangeKind.ADDED, None, "0b7c3f0e-3c4e-4b8e-9a53-2f1f6f0a7d11"),
    ]
    assert changes(after, {"dataset": {"sources": [after["dataset"]["sources"][0]]}}) == [
        ("dataset.sources[1].source", ChangeKind.REMOVED, "UPLOAD", None),
        ("dataset.sources[1].uploadId", ChangeKind.REMOVED, "0b7c3f0e-3c4e-4b8e-9a53-2f1f6f0a7d11", None),
    ]


def test_a_column_mapping_is_compared_role_by_role() -> None:
    source = {"format": "INSTRUCTION", "columnMapping": {"prompt": "q", "completion": "a"}}
    changed = {"format": "INSTRUCTION", "columnMapping": {"prompt": "question", "completion": "a"}}
    assert changes({"dataset": {"sources": [source]}}, {"dataset": {"sources": [changed]}}) == [
        ("dataset.sources[0].columnMapping.prompt", ChangeKind.CHANGED, "q", "question"),
    ]


@pytest.mark.parametrize(
    ("before", "after", "path", "kind"),
    [
        ({}, {"dataset": {"sources": []}}, "dataset.sources", ChangeKind.ADDED),
        ({"dataset": {"sources": []}}, {}, "dataset.sources", ChangeKind.REMOVED),
        ({}, {"config": {"lora": {}}}, "config.lora", ChangeKind.ADDED),
        (
            {"config": {"lora": {"targetModules": []}}},
            {"config": {"lora": {}}},
            "config.lora.targetModules",
            ChangeKind.REMOVED,
        ),
        ({"dataset": {"sources": []}}, {"dataset": {"sources": [{}]}}, "dataset.sources[0]", ChangeKind.ADDED),
    ],
)
def test_empty_objects_and_lists_are_changes_too(
    before: dict[str, Any], after: dict[str, Any], path: str, kind: ChangeKind
) -> None:
    # They hash differently (and an empty LoRA block on a full fine-tune is a warning), so the diff shows them.
    assert [(change.path, change.kind) for change in diff_content(content(before), content(after))] == [(path, kind)]


@settings(max_examples=200, deadline=None)
@given(contents)
def test_diff_with_itself_is_empty(value: PackageContent) -> None:
    assert diff_content(value, value) == []
    assert diff_content(value, PackageContent.from_json(value.to_json())) == []


@settings(max_examples=300, deadline=None)
@given(content_pairs())
def test_diff_is_empty_exactly_when_hashes_are_equal(pair: tuple[PackageContent, PackageContent]) -> None:
    first, second = pair
    found = diff_content(first, second)
    assert (found == []) is (content_hash(first) == content_hash(second))
    for change in found:
        assert change.path.split(".")[0].split("[")[0] == change.step.value
        assert change.before != change.after
        assert (change.kind is ChangeKind.ADDED) is (change.before is None)
        assert (change.kind is ChangeKind.REMOVED) is (change.after is None)
    # Reversing the comparison swaps additions and removals, leaf for leaf.
    backwards = diff_content(second, first)
    assert sorted(c.path for c in backwards) == sorted(c.path for c in found)
    kinds = {c.path: c.kind for c in found}
    swap = {
        ChangeKind.ADDED: ChangeKind.REMOVED,
        ChangeKind.REMOVED: ChangeKind.ADDED,
        ChangeKind.CHANGED: ChangeKind.CHANGED,
    }
    assert all(kinds[c.path] is swap[c.kind] for c in backwards)
