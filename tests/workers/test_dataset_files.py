"""Profiling real JSONL, CSV and Parquet files written to a temporary directory."""

from __future__ import annotations

import json
import threading
import time
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workers.integrations.dataset_files import profile_file
from workers.integrations.errors import Cancelled, IntegrationError
from workflow.facts import DataProblem

CHAT = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _fails(path: Path, fmt: str, code: str, **options: int) -> IntegrationError:
    with pytest.raises(IntegrationError) as caught:
        profile_file(path, fmt, **options)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert not caught.value.transient
    return caught.value


# --- JSONL -------------------------------------------------------------------------------


def test_jsonl_problems_keep_their_line_numbers_among_blank_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"prompt": "a", "completion": "b"}),
        "",
        "   ",
        json.dumps({"prompt": "c", "completion": ""}),
        '{"prompt": "d", "completion": ',  # line 5: truncated
        "",
        "[1, 2]",  # line 7
        '"text"',  # line 8
        json.dumps({"prompt": "e"}),  # line 9: no completion
    ]
    path = _write(tmp_path, "d.jsonl", ("\n".join(lines) + "\n").encode())
    profile = profile_file(path, "JSONL")
    assert profile.rows == 3
    assert [(p.line, p.code) for p in profile.problems] == [
        (5, "DATASET_LINE_INVALID_JSON"),
        (7, "DATASET_LINE_NOT_OBJECT"),
        (8, "DATASET_LINE_NOT_OBJECT"),
    ]
    assert profile.problems[0].message.startswith("not valid JSON (")
    assert profile.problems[1].message == "a JSON array, not an object"
    assert profile.problems[2].message == "a JSON string, not an object"
    assert profile.problem_count == 3
    assert profile.column_gaps == {"completion": (4, 9)}


def test_jsonl_with_a_bom_and_crlf(tmp_path: Path) -> None:
    body = b'\xef\xbb\xbf{"text": "first"}\r\n\r\n{"text": "second"}\r\n{oops\r\n'
    profile = profile_file(_write(tmp_path, "d.jsonl", body), "JSONL")
    assert profile.rows == 2
    assert [column.name for column in profile.columns] == ["text"]
    assert profile.sample[1] == {"text": "second"}
    assert profile.problems == (DataProblem(4, "DATASET_LINE_INVALID_JSON", profile.problems[0].message),)


def test_jsonl_messages_columns_and_last_line_without_newline(tmp_path: Path) -> None:
    rows = [{"messages": CHAT}, {"messages": [{"role": "user"}]}, {"messages": CHAT}]
    body = "\n".join(json.dumps(row) for row in rows).encode()
    profile = profile_file(_write(tmp_path, "chat.jsonl", body), "JSONL")
    assert profile.rows == 3
    assert profile.column_kinds == {"messages": "messages"}
    assert profile.column_gaps == {"messages": (2,)}
    assert profile.to_facts().column_kinds == {"messages": "messages"}


def test_a_file_with_no_json_object_is_not_jsonl(tmp_path: Path) -> None:
    error = _fails(_write(tmp_path, "d.jsonl", b"prompt,completion\na,b\n"), "JSONL", "DATASET_FORMAT_INVALID")
    assert "line 1" in error.message


def test_jsonl_of_blank_lines_is_empty(tmp_path: Path) -> None:
    _fails(_write(tmp_path, "d.jsonl", b"\n  \r\n\n"), "JSONL", "DATASET_EMPTY")


def test_non_utf8_jsonl_names_the_line(tmp_path: Path) -> None:
    body = b'{"a": "ok"}\n{"a": "caf\xe9"}\n'
    error = _fails(_write(tmp_path, "d.jsonl", body), "JSONL", "DATASET_ENCODING_INVALID")
    assert "line 2" in error.message


# --- CSV ---------------------------------------------------------------------------------


def test_csv_quoted_commas_and_newlines_keep_physical_line_numbers(tmp_path: Path) -> None:
    body = (
        "prompt,completion\r\n"  # 1
        '"Hello, world","a ""quoted"" answer"\r\n'  # 2
        '"spans\r\ntwo lines",x\r\n'  # 3-4
        "only-one-field\r\n"  # 5: ragged
        "\r\n"  # 6: blank
        "a,b,c\r\n"  # 7: ragged
        "last,\r\n"  # 8: empty completion
    )
    profile = profile_file(_write(tmp_path, "d.csv", body.encode()), "CSV")
    assert profile.rows == 3
    assert profile.sample[0] == {"prompt": "Hello, world", "completion": 'a "quoted" answer'}
    assert profile.sample[1] == {"prompt": "spans\r\ntwo lines", "completion": "x"}
    assert [(p.line, p.code) for p in profile.problems] == [
        (5, "DATASET_ROW_WRONG_WIDTH"),
        (7, "DATASET_ROW_WRONG_WIDTH"),
    ]
    assert profile.problems[0].message == "1 fields where the header has 2"
    assert profile.column_gaps == {"completion": (8,)}
    assert profile.column_kinds == {"prompt": "string", "completion": "string"}


def test_csv_with_a_bom_and_odd_header_names(tmp_path: Path) -> None:
    body = "\ufefftext,,text\nx,y,z\n".encode()
    profile = profile_file(_write(tmp_path, "d.csv", body), "CSV")
    assert [column.name for column in profile.columns] == ["text", "column_2", "text_2"]
    assert profile.sample == ({"text": "x", "column_2": "y", "text_2": "z"},)


def test_a_header_only_csv_has_columns_and_no_rows(tmp_path: Path) -> None:
    profile = profile_file(_write(tmp_path, "d.csv", b"prompt,completion\n"), "CSV")
    assert profile.rows == 0
    assert profile.to_facts().columns == frozenset({"prompt", "completion"})
    assert profile.to_facts().rows == 0


def test_jsonl_declared_as_csv_is_refused(tmp_path: Path) -> None:
    _fails(_write(tmp_path, "d.csv", b'{"a": 1}\n{"a": 2}\n'), "CSV", "DATASET_FORMAT_INVALID")


def test_non_utf8_csv_is_refused(tmp_path: Path) -> None:
    _fails(_write(tmp_path, "d.csv", b"name\ncaf\xe9\n"), "CSV", "DATASET_ENCODING_INVALID")


# --- Parquet -----------------------------------------------------------------------------


def test_parquet_with_nulls_lists_and_structs(tmp_path: Path) -> None:
    table = pa.table(
        {
            "prompt": ["a", None, "c", ""],
            "score": [1.5, 2.0, None, 4.0],
            "tags": [["x"], [], None, ["y", "z"]],
            "meta": [{"k": 1}, {"k": 2}, None, {"k": None}],
            "messages": [CHAT, None, CHAT, [{"role": "user", "content": None}]],
        }
    )
    path = tmp_path / "d.parquet"
    pq.write_table(table, path, row_group_size=2)
    profile = profile_file(path, "PARQUET")
    assert profile.rows == 4
    assert profile.column_kinds == {
        "prompt": "string",
        "score": "number",
        "tags": "list",
        "meta": "object",
        "messages": "messages",
    }
    assert profile.column_gaps == {
        "prompt": (2, 4),
        "score": (3,),
        "tags": (2, 3),
        "meta": (3,),
        "messages": (2, 4),
    }
    assert profile.problems == ()
    json.dumps(profile.to_json(), allow_nan=False)


def test_an_empty_parquet_table_has_columns_and_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), path)
    profile = profile_file(path, "PARQUET")
    assert (profile.rows, [c.name for c in profile.columns]) == (0, ["text"])


def test_text_declared_as_parquet_and_parquet_declared_as_text_are_refused(tmp_path: Path) -> None:
    _fails(_write(tmp_path, "d.parquet", b'{"a": 1}\n'), "PARQUET", "DATASET_FORMAT_INVALID")
    path = tmp_path / "real.parquet"
    pq.write_table(pa.table({"a": [1]}), path)
    _fails(path, "JSONL", "DATASET_FORMAT_INVALID")
    _fails(path, "CSV", "DATASET_FORMAT_INVALID")


# --- whole-file failures, limits and cancellation ----------------------------------------


@pytest.mark.parametrize("fmt", ["JSONL", "CSV", "PARQUET"])
def test_an_empty_file_is_refused(tmp_path: Path, fmt: str) -> None:
    _fails(_write(tmp_path, "empty", b""), fmt, "DATASET_EMPTY")


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    _fails(tmp_path / "nope.jsonl", "JSONL", "DATASET_UNREADABLE")


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.jsonl", b'{"a": 1}\n' * 100)
    error = _fails(path, "JSONL", "DATASET_TOO_LARGE", max_bytes=899)
    assert "900" in error.message
    assert profile_file(path, "JSONL", max_bytes=900).rows == 100


@pytest.mark.parametrize("fmt", ["JSONL", "CSV", "PARQUET"])
def test_a_set_cancel_flag_stops_the_profile(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "big"
    if fmt == "PARQUET":
        pq.write_table(pa.table({"text": ["x"] * 5000}), path)
    elif fmt == "CSV":
        path.write_text("text\n" + "x\n" * 5000)
    else:
        path.write_text('{"text": "x"}\n' * 5000)
    cancel = threading.Event()
    assert profile_file(path, fmt, cancel=cancel).rows == 5000  # type: ignore[arg-type]
    cancel.set()
    with pytest.raises(Cancelled):
        profile_file(path, fmt, cancel=cancel)  # type: ignore[arg-type]


def test_a_large_file_is_profiled_in_bounded_memory_and_reasonable_time(tmp_path: Path) -> None:
    rows = 200_000
    path = tmp_path / "big.jsonl"
    with path.open("w") as file:
        for index in range(rows):
            text = "word " * (index % 50)
            file.write(json.dumps({"prompt": f"Question {index}?", "completion": text, "id": index}) + "\n")
    size = path.stat().st_size
    tracemalloc.start()
    started = time.perf_counter()
    try:
        profile = profile_file(path, "JSONL")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert profile.rows == rows
    assert profile.column_gaps == {"completion": tuple(range(1, 50 * 9 + 2, 50))}
    completion = next(column for column in profile.columns if column.name == "completion")
    assert completion.missing == rows // 50
    assert completion.tokens is not None
    assert (completion.tokens.min, completion.tokens.max, completion.tokens.p50) == (1, 49, 25)
    assert peak < min(size // 4, 8_000_000), (peak, size)
    assert elapsed < 30
