"""Merge patches of step data (pure): omitted unchanged, null clears, objects merge, lists replace."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.content import VALID_STEPS
from workflow.errors import ValidationFailedError
from workflow.patches import merge_patch, merged_blocks
from workflow.steps import PackageContent, Step

keys = st.sampled_from(["a", "b", "c", "d"])
leaves = st.one_of(st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=3))
documents = st.recursive(
    st.dictionaries(keys, leaves, max_size=4), lambda inner: st.dictionaries(keys, inner, max_size=4), max_leaves=12
)
patches = st.recursive(
    st.dictionaries(keys, st.one_of(leaves, st.none()), max_size=4),
    lambda inner: st.dictionaries(keys, st.one_of(inner, st.none()), max_size=4),
    max_leaves=12,
)

STORED = PackageContent.from_json(VALID_STEPS)


@settings(deadline=None)  # shared CI cores: a slow example is not a failure
@given(documents)
def test_an_empty_patch_changes_nothing(stored: dict[str, Any]) -> None:
    assert merge_patch(stored, {}) == stored


@settings(deadline=None)  # shared CI cores: a slow example is not a failure
@given(documents, patches)
def test_a_patch_sets_what_it_names_and_keeps_the_rest(stored: dict[str, Any], patch: dict[str, Any]) -> None:
    merged = merge_patch(stored, patch)
    for key, value in stored.items():
        if key not in patch:
            assert merged[key] == value
    for key, value in patch.items():
        if value is None:
            assert key not in merged
        elif not isinstance(value, dict):
            assert merged[key] == value
    assert merge_patch(merged, patch) == merged  # applying it twice is applying it once


@settings(deadline=None)  # shared CI cores: a slow example is not a failure
@given(documents, patches)
def test_the_stored_document_is_never_mutated(stored: dict[str, Any], patch: dict[str, Any]) -> None:
    copy = repr(stored)
    merge_patch(stored, patch)
    assert repr(stored) == copy


def test_a_one_field_patch_keeps_the_blocks_other_fields() -> None:
    blocks = merged_blocks(STORED, {"config": {"epochs": 5}})
    assert blocks[Step.CONFIG].to_json() == {**VALID_STEPS["config"], "epochs": 5}
    assert set(blocks) == {Step.CONFIG}


def test_null_clears_fields_and_whole_steps_and_lists_replace() -> None:
    blocks = merged_blocks(
        STORED,
        {"config": {"lora": {"targetModules": ["q_proj"], "dropout": None}}, "deploy": None, "dataset": {"eval": None}},
    )
    assert blocks[Step.CONFIG].to_json()["lora"] == {"r": 16, "alpha": 32, "targetModules": ["q_proj"]}
    assert blocks[Step.DEPLOY].to_json() == {}
    assert blocks[Step.DATASET].to_json() == {"sources": VALID_STEPS["dataset"]["sources"]}


def test_a_preset_fills_the_block_and_the_patch_wins() -> None:
    blocks = merged_blocks(STORED, {"config": {"epochs": 1}}, config_preset="full-fine-tune")
    config = blocks[Step.CONFIG].to_json()
    assert (config["method"], config["epochs"], config["preset"]) == ("FULL", 1, "full-fine-tune")
    assert "lora" not in config  # the preset fills the block: the stored LoRA settings are not kept


def test_a_malformed_merge_is_refused_with_its_path() -> None:
    with pytest.raises(ValidationFailedError) as refused:
        merged_blocks(STORED, {"config": {"lora": {"rank": 4}}, "nope": {}})
    assert {(issue.path, issue.code.value) for issue in refused.value.issues} == {
        ("config.lora.rank", "UNKNOWN_FIELD"),
        ("nope", "UNKNOWN_FIELD"),
    }
