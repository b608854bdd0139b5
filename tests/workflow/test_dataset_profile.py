"""The dataset profile (statistics, JSON form, facts) and the dataset rules that read it."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflow.datasets import (
    MAX_COLUMNS,
    MAX_GAP_LINES,
    MAX_PROBLEMS,
    PROFILE_VERSION,
    SAMPLE_ROWS,
    SAMPLE_TEXT_CHARS,
    DatasetProfile,
    DatasetProfiler,
    TokenCounter,
    approximate_tokens,
)
from workflow.facts import DataProblem, DatasetFacts, Facts, Failure
from workflow.issues import Issue, IssueCode, Severity
from workflow.rules import validate_step
from workflow.rules.dataset import MAX_ROW_ISSUES
from workflow.steps import PackageContent, Step
from workflow.summaries import summarize

CHAT = [{"role": "user", "content": "Hello there"}, {"role": "assistant", "content": "Hi!"}]

# --- approximate tokens and streaming statistics ----------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("   ", 0),
        ("hello", 1),
        ("hello world", 2),
        ("Hello, world!", 4),
        ("internationalization", 4),  # 20 letters: one token per started 6
        ("12345", 2),  # digits in groups of up to 3
        ("snake_case", 3),
    ],
)
def test_approximate_tokens(text: str, tokens: int) -> None:
    assert approximate_tokens(text) == tokens


def _nearest_rank(values: list[int], fraction: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


@given(st.lists(st.integers(0, 1023), min_size=1, max_size=300))
def test_small_counts_have_exact_percentiles(values: list[int]) -> None:
    counter = TokenCounter()
    for value in values:
        counter.add(value)
    stats = counter.stats()
    assert stats is not None
    assert (stats.count, stats.min, stats.max, stats.total) == (len(values), min(values), max(values), sum(values))
    assert stats.mean == pytest.approx(sum(values) / len(values))
    assert stats.p50 == _nearest_rank(values, 0.5)
    assert stats.p95 == _nearest_rank(values, 0.95)


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=300))
def test_large_counts_have_percentiles_within_one_64th(values: list[int]) -> None:
    counter = TokenCounter()
    for value in values:
        counter.add(value)
    for fraction in (0.5, 0.95):
        exact = _nearest_rank(values, fraction)
        assert exact * (1 - 1 / 64) - 1 <= counter.percentile(fraction) <= exact


def test_the_histogram_stays_bounded() -> None:
    counter = TokenCounter()
    for value in range(0, 5_000_000, 7):
        counter.add(value)
    assert len(counter._buckets) < 2_000
    assert counter.count == len(range(0, 5_000_000, 7))


def test_an_empty_counter_has_no_stats() -> None:
    assert TokenCounter().stats() is None


# --- the profiler ------------------------------------------------------------------------


def test_kinds_gaps_and_tokens_per_column() -> None:
    profiler = DatasetProfiler()
    profiler.row(1, {"text": "one two", "n": 1, "flag": True, "chat": CHAT, "tags": ["a"], "meta": {"k": 1}})
    profiler.row(2, {"text": "", "n": 2.5, "flag": None, "chat": [{"role": "user"}], "tags": [], "meta": {}})
    profiler.row(4, {"text": "three", "n": "x", "chat": "not a chat"})
    profile = profiler.profile()
    assert profile.rows == 3
    assert profile.column_kinds == {
        "text": "string",
        "n": "mixed",
        "flag": "boolean",
        "chat": "mixed",
        "tags": "list",
        "meta": "object",
    }
    assert profile.column_gaps == {
        "text": (2,),
        "flag": (2, 4),
        "chat": (2,),  # a message without content is malformed, hence a gap
        "tags": (2, 4),
        "meta": (2, 4),
    }
    by_name = {column.name: column for column in profile.columns}
    assert by_name["text"].missing == 1
    text_tokens = by_name["text"].tokens
    assert text_tokens is not None
    assert (text_tokens.count, text_tokens.min, text_tokens.max, text_tokens.total) == (2, 1, 2, 3)
    chat_tokens = by_name["chat"].tokens
    assert chat_tokens is not None
    # Two messages of 2 and 2 tokens plus 4 each for the template; "not a chat" is text (3).
    assert (chat_tokens.count, chat_tokens.max, chat_tokens.min) == (2, 12, 3)
    assert by_name["n"].tokens is not None  # the one string value counts
    assert by_name["flag"].tokens is None
    row_tokens = profile.row_tokens
    assert row_tokens is not None
    assert (row_tokens.count, row_tokens.total) == (3, 2 + 12 + 0 + 1 + 1 + 3)


def test_a_well_formed_chat_column_is_messages() -> None:
    profiler = DatasetProfiler()
    for line in range(1, 4):
        profiler.row(line, {"messages": CHAT})
    profiler.row(4, {"messages": [{"role": "user", "content": 5}]})
    profile = profiler.profile()
    assert profile.column_kinds == {"messages": "messages"}
    assert profile.column_gaps == {"messages": (4,)}


def test_a_column_that_appears_late_has_gaps_on_the_earlier_lines() -> None:
    profiler = DatasetProfiler(["a"])
    for line in range(1, 30):
        profiler.row(line * 2, {"a": "x"})
    profiler.row(100, {"a": "x", "late": "y"})
    profile = profiler.profile()
    late = next(column for column in profile.columns if column.name == "late")
    assert late.missing == 29
    assert profile.column_gaps["late"] == tuple(range(2, 2 * MAX_GAP_LINES + 1, 2))


def test_an_all_null_column_has_no_kind_and_header_columns_stay_in_order() -> None:
    profiler = DatasetProfiler(["b", "a"])
    profiler.row(2, {"b": None, "a": "x"})
    profile = profiler.profile()
    assert [column.name for column in profile.columns] == ["b", "a"]
    assert profile.columns[0].kind is None
    assert profile.column_kinds == {"a": "string"}


def test_problems_and_gaps_are_capped_but_counted() -> None:
    profiler = DatasetProfiler()
    for line in range(1, 1001):
        profiler.problem(line, "DATASET_LINE_INVALID_JSON", "not valid JSON")
    for line in range(1001, 1101):
        profiler.row(line, {"a": None})
    profile = profiler.profile()
    assert len(profile.problems) == MAX_PROBLEMS
    assert profile.problem_count == 1000
    assert profile.column_gaps["a"] == tuple(range(1001, 1001 + MAX_GAP_LINES))
    assert profile.columns[0].missing == 100
    facts = profile.to_facts()
    assert facts.problem_count == 1000
    assert facts.gap_counts == {"a": 100}


def test_too_many_columns_are_cut_and_said_so() -> None:
    profiler = DatasetProfiler()
    profiler.row(1, {f"c{index}": 1 for index in range(MAX_COLUMNS + 10)})
    profile = profiler.profile()
    assert len(profile.columns) == MAX_COLUMNS
    assert profile.columns_truncated


def test_the_sample_is_the_first_rows_shortened_and_json_safe() -> None:
    profiler = DatasetProfiler()
    long = "x" * (SAMPLE_TEXT_CHARS + 50)
    for line in range(1, 10):
        profiler.row(
            line, {"text": long, "n": float("nan"), "raw": b"by\xfftes", "items": list(range(30)), "z": "a\x00b"}
        )
    profile = profiler.profile()
    assert len(profile.sample) == SAMPLE_ROWS
    first = profile.sample[0]
    assert first["text"] == "x" * SAMPLE_TEXT_CHARS + "…"
    assert first["n"] == "nan"
    assert first["raw"] == "by\ufffdtes"
    assert first["items"][-1] == "… 20 more"
    assert "\x00" not in first["z"]
    json.dumps(profile.to_json(), allow_nan=False)


# --- JSON round trip and facts -----------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False) | st.text(max_size=250),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
ROWS = st.lists(st.dictionaries(st.sampled_from(["a", "b", "messages", "é"]), JSON_VALUES, max_size=4), max_size=8)


# Generation of nested JSON rows is slow on a loaded machine; the property itself is cheap.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ROWS, st.lists(st.integers(1, 50), max_size=5))
def test_the_json_form_round_trips(rows: list[dict[str, Any]], problem_lines: list[int]) -> None:
    profiler = DatasetProfiler()
    for line in problem_lines:
        profiler.problem(line, "DATASET_LINE_NOT_OBJECT", "a JSON array, not an object")
    for line, row in enumerate(rows, start=100):
        profiler.row(line, row)
    profile = profiler.profile()
    stored = json.loads(json.dumps(profile.to_json(), allow_nan=False))
    again = DatasetProfile.from_json(stored)
    assert again.to_json() == profile.to_json()
    assert again.to_facts() == profile.to_facts()
    assert stored["version"] == PROFILE_VERSION
    assert stored["tokensApproximate"] is True


def test_the_json_form_is_stable() -> None:
    profiler = DatasetProfiler(["prompt"])
    profiler.row(2, {"prompt": "hi"})
    assert list(profiler.profile().to_json()) == [
        "version",
        "rows",
        "columns",
        "columnsTruncated",
        "sample",
        "rowTokens",
        "tokensApproximate",
        "tokenMethod",
        "problems",
        "problemCount",
        "columnGaps",
    ]
    assert profiler.profile().to_json()["columns"] == [
        {
            "name": "prompt",
            "kind": "string",
            "missing": 0,
            "tokens": {"count": 1, "min": 1, "mean": 1.0, "p50": 1, "p95": 1, "max": 1, "total": 1},
        }
    ]


def test_an_unknown_version_is_refused() -> None:
    stored = DatasetProfiler().profile().to_json()
    with pytest.raises(ValueError, match="version"):
        DatasetProfile.from_json({**stored, "version": PROFILE_VERSION + 1})


def test_to_facts() -> None:
    profiler = DatasetProfiler(["instruction", "output"])
    profiler.problem(3, "DATASET_LINE_INVALID_JSON", "not valid JSON")
    profiler.row(1, {"instruction": "a", "output": "b"})
    profiler.row(2, {"instruction": "a", "output": None})
    assert profiler.profile().to_facts() == DatasetFacts(
        columns=frozenset({"instruction", "output"}),
        rows=2,
        problems=(DataProblem(3, "DATASET_LINE_INVALID_JSON", "not valid JSON"),),
        column_gaps={"output": (2,)},
        column_kinds={"instruction": "string", "output": "string"},
        problem_count=1,
        gap_counts={"instruction": 0, "output": 1},
        token_mean=1.5,
        token_p95=2,
        token_max=2,
    )


# --- rules with a profile ----------------------------------------------------------------

INSTRUCTION = {
    "source": "UPLOAD",
    "uploadId": "0b7c3f0e-3c4e-4b8e-9a53-2f1f6f0a7d11",
    "format": "INSTRUCTION",
    "columnMapping": {"prompt": "instruction", "completion": "output"},
}
CHAT_SOURCE = {"source": "HUB", "repoId": "acme/chats", "format": "CHAT", "columnMapping": {"messages": "conv"}}


def _content(*sources: dict[str, Any]) -> PackageContent:
    return PackageContent.from_json({"config": {"trainer": "SFT"}, "dataset": {"sources": list(sources)}})


def _facts(**by_index: DatasetFacts | Failure) -> Facts:
    datasets = {int(k[1:]): v for k, v in by_index.items() if isinstance(v, DatasetFacts)}
    failures = {int(k[1:]): v for k, v in by_index.items() if isinstance(v, Failure)}
    return Facts(datasets=datasets, dataset_failures=failures)


def _issues(content: PackageContent, facts: Facts, *, for_completion: bool = True) -> list[Issue]:
    report = validate_step(Step.DATASET, content, facts, for_completion=for_completion)
    return [*report.errors, *report.warnings]


def _alpaca(**changes: Any) -> DatasetFacts:
    base: dict[str, Any] = {
        "columns": frozenset({"instruction", "output", "input"}),
        "rows": 52_002,
        "column_kinds": {"instruction": "string", "output": "string", "input": "string"},
    }
    return DatasetFacts(**{**base, **changes})


def test_a_clean_profile_is_valid_and_no_longer_pending() -> None:
    assert _issues(_content(INSTRUCTION), _facts(s0=_alpaca())) == []
    pending = _issues(_content(INSTRUCTION), Facts())
    assert [(i.code, i.severity) for i in pending] == [(IssueCode.DATASET_PROFILE_PENDING, Severity.PENDING)]


@pytest.mark.parametrize(
    "code", ["DATASET_EMPTY", "DATASET_FORMAT_INVALID", "DATASET_TOO_LARGE", "DATASET_ENCODING_INVALID"]
)
def test_a_worker_failure_is_an_error_with_its_code(code: str) -> None:
    issues = _issues(_content(INSTRUCTION), _facts(s0=Failure(code, "The file says no.")))
    assert issues == [Issue("dataset.sources[0]", IssueCode(code), "The file says no.")]


def test_an_unknown_failure_code_is_reported_as_a_failed_profile() -> None:
    issues = _issues(_content(INSTRUCTION), _facts(s0=Failure("HUB_NOT_FOUND", "No such dataset.")))
    assert issues == [Issue("dataset.sources[0]", IssueCode.DATASET_PROFILE_FAILED, "HUB_NOT_FOUND: No such dataset.")]


def test_a_failure_wins_over_a_profile_and_applies_to_its_own_source_only() -> None:
    facts = Facts(
        datasets={0: _alpaca(columns=frozenset())},
        dataset_failures={0: Failure("DATASET_EMPTY", "empty")},
    )
    assert [i.code for i in _issues(_content(INSTRUCTION, INSTRUCTION), facts)] == [
        IssueCode.DATASET_EMPTY,
        IssueCode.DATASET_PROFILE_PENDING,
    ]


def test_a_mapped_column_must_exist_and_the_message_names_the_columns_that_do() -> None:
    source = {**INSTRUCTION, "columnMapping": {"prompt": "question", "completion": "output"}}
    issues = _issues(_content(source), _facts(s0=_alpaca()))
    assert issues == [
        Issue(
            "dataset.sources[0].columnMapping.prompt",
            IssueCode.DATASET_COLUMN_MISSING,
            "The data has no column 'question'; its columns are: 'input', 'instruction', 'output'.",
        )
    ]
    # Missing columns are about the data, so a save reports them too.
    assert [i.code for i in _issues(_content(source), _facts(s0=_alpaca()), for_completion=False)] == [
        IssueCode.DATASET_COLUMN_MISSING
    ]


def test_a_chat_mapping_needs_a_messages_column() -> None:
    profile = DatasetFacts(columns=frozenset({"conv"}), rows=3, column_kinds={"conv": "string"})
    issues = _issues(_content(CHAT_SOURCE), _facts(s0=profile))
    assert [(i.path, i.code) for i in issues] == [
        ("dataset.sources[0].columnMapping.messages", IssueCode.DATASET_COLUMN_KIND_MISMATCH)
    ]
    assert "string" in issues[0].message
    good = DatasetFacts(columns=frozenset({"conv"}), rows=3, column_kinds={"conv": "messages"})
    assert _issues(_content(CHAT_SOURCE), _facts(s0=good)) == []


def test_malformed_lines_are_errors_starting_with_their_line_in_line_order() -> None:
    problems = (
        DataProblem(9, "DATASET_LINE_NOT_OBJECT", "a JSON array, not an object"),
        DataProblem(7, "DATASET_LINE_INVALID_JSON", "not valid JSON (Expecting value at column 1)"),
    )
    issues = _issues(_content(INSTRUCTION), _facts(s0=_alpaca(problems=problems, problem_count=2)))
    assert issues == [
        Issue(
            "dataset.sources[0]",
            IssueCode.DATASET_ROW_MALFORMED,
            "line 7: not valid JSON (Expecting value at column 1)",
        ),
        Issue("dataset.sources[0]", IssueCode.DATASET_ROW_MALFORMED, "line 9: a JSON array, not an object"),
    ]


@pytest.mark.parametrize(("stored", "total"), [(MAX_ROW_ISSUES + 1, MAX_ROW_ISSUES + 1), (40, 12_345)])
def test_malformed_lines_are_capped_with_a_summary(stored: int, total: int) -> None:
    problems = tuple(DataProblem(line, "DATASET_LINE_INVALID_JSON", "bad") for line in range(stored, 0, -1))
    issues = _issues(_content(INSTRUCTION), _facts(s0=_alpaca(problems=problems, problem_count=total)))
    messages = [i.message for i in issues]
    assert messages[:-1] == [f"line {line}: bad" for line in range(1, MAX_ROW_ISSUES + 1)]
    rest = total - MAX_ROW_ISSUES
    assert messages[-1] == f"… and {rest:,} more malformed line{'s' if rest > 1 else ''}."
    assert {i.code for i in issues} == {IssueCode.DATASET_ROW_MALFORMED}


def test_gaps_in_mapped_columns_only_are_errors_with_line_numbers() -> None:
    gaps = {"output": (4, 8), "input": (1, 2, 3), "instruction": tuple(range(1, MAX_GAP_LINES + 1))}
    counts = {"output": 2, "input": 3, "instruction": 500}
    issues = _issues(_content(INSTRUCTION), _facts(s0=_alpaca(column_gaps=gaps, gap_counts=counts)))
    assert [(i.path, i.code) for i in issues] == [
        ("dataset.sources[0].columnMapping.prompt", IssueCode.DATASET_VALUE_MISSING),
        ("dataset.sources[0].columnMapping.completion", IssueCode.DATASET_VALUE_MISSING),
    ]
    assert issues[0].message.endswith(f"lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 (and {500 - MAX_GAP_LINES} more).")
    assert issues[1].message == "Column 'output' is missing, null, empty or malformed on lines 4, 8."


def test_zero_rows_is_an_error() -> None:
    issues = _issues(_content(INSTRUCTION), _facts(s0=_alpaca(rows=0)))
    assert [(i.path, i.code) for i in issues] == [("dataset.sources[0]", IssueCode.DATASET_EMPTY)]


def test_findings_follow_the_sources_in_order_and_are_deterministic() -> None:
    broken = DatasetFacts(
        columns=frozenset({"conv"}),
        rows=0,
        problems=(DataProblem(2, "DATASET_LINE_INVALID_JSON", "bad"),),
        problem_count=1,
        column_kinds={"conv": "object"},
    )
    content = _content(INSTRUCTION, CHAT_SOURCE)
    facts = _facts(s0=_alpaca(columns=frozenset({"instruction"})), s1=broken)
    first = _issues(content, facts)
    assert [(i.path, i.code) for i in first] == [
        ("dataset.sources[0].columnMapping.completion", IssueCode.DATASET_COLUMN_MISSING),
        ("dataset.sources[1]", IssueCode.DATASET_EMPTY),
        ("dataset.sources[1].columnMapping.messages", IssueCode.DATASET_COLUMN_KIND_MISMATCH),
        ("dataset.sources[1]", IssueCode.DATASET_ROW_MALFORMED),
    ]
    assert _issues(content, facts) == first


def test_a_profile_made_by_the_profiler_drives_the_rules() -> None:
    profiler = DatasetProfiler()
    profiler.row(1, {"conv": CHAT})
    profiler.row(2, {"conv": [{"role": "user"}]})
    profiler.problem(3, "DATASET_LINE_INVALID_JSON", "not valid JSON")
    issues = _issues(_content(CHAT_SOURCE), _facts(s0=profiler.profile().to_facts()))
    assert [(i.code, i.message) for i in issues] == [
        (IssueCode.DATASET_ROW_MALFORMED, "line 3: not valid JSON"),
        (IssueCode.DATASET_VALUE_MISSING, "Column 'conv' is missing, null, empty or malformed on line 2."),
    ]


# --- summary -----------------------------------------------------------------------------


def test_the_dataset_summary_shows_the_row_count_once_profiled() -> None:
    source = {**INSTRUCTION, "source": "HUB", "repoId": "tatsu-lab/alpaca", "uploadId": None}
    content = _content(source)
    assert summarize(Step.DATASET, content, Facts()) == "tatsu-lab/alpaca · INSTRUCTION"
    facts = _facts(s0=_alpaca())
    assert summarize(Step.DATASET, content, facts) == "tatsu-lab/alpaca · 52,002 rows · INSTRUCTION"
