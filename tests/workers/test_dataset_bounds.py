"""What profiling refuses or reports instead of failing deep inside: compression bombs, rows past
the row limit, rows nested too deep, and a CSV quote that never closes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workers.integrations.dataset_files import profile_file
from workers.integrations.errors import IntegrationError
from workflow.datasets import DatasetProfiler

BOMB_ROWS = 100
BOMB_TEXT = 2_400_000  # 100 rows of 2.4 MB that compress into about a kilobyte


def _bomb(path: Path) -> Path:
    text = "a" * BOMB_TEXT
    pq.write_table(pa.table({"prompt": [text] * BOMB_ROWS, "completion": ["b"] * BOMB_ROWS}), path, compression="zstd")
    return path


def test_a_parquet_file_that_expands_past_the_limit_is_refused_without_expanding(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.parquet")
    assert path.stat().st_size < 10_000
    script = textwrap.dedent(
        f"""
        import resource, sys
        from pathlib import Path
        import pyarrow as pa
        from workers.integrations.dataset_files import profile_file
        from workers.integrations.errors import IntegrationError
        try:
            profile_file(Path({str(path)!r}), "PARQUET", max_bytes=20_000_000)
        except IntegrationError as error:
            print(error.code, pa.default_memory_pool().max_memory())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    code, peak = done.stdout.split()
    assert code == "DATASET_TOO_LARGE"
    assert int(peak) < 20_000_000  # the 240 MB were never materialised


def test_a_parquet_file_within_the_limit_is_profiled(tmp_path: Path) -> None:
    profile = profile_file(_bomb(tmp_path / "ok.parquet"), "PARQUET", max_bytes=400_000_000)
    assert profile.rows == BOMB_ROWS


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("rows.jsonl", b"".join(json.dumps({"text": str(number)}).encode() + b"\n" for number in range(50))),
        ("rows.csv", b"text\n" + b"".join(f"{number}\n".encode() for number in range(50))),
    ],
)
def test_rows_past_the_row_limit_are_refused(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IntegrationError) as caught:
        profile_file(path, "JSONL" if name.endswith("jsonl") else "CSV", max_rows=20)
    assert caught.value.code == "DATASET_TOO_LARGE" and "20" in caught.value.message
    assert profile_file(path, "JSONL" if name.endswith("jsonl") else "CSV", max_rows=50).rows == 50


def test_a_parquet_file_past_the_row_limit_is_refused_from_its_metadata(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": [str(number) for number in range(50)]}), path)
    with pytest.raises(IntegrationError) as caught:
        profile_file(path, "PARQUET", max_rows=20)
    assert caught.value.code == "DATASET_TOO_LARGE"


@pytest.mark.parametrize("depth", [900, 1000, 5000])
def test_a_jsonl_row_nested_deeply_is_a_problem_of_its_line_not_a_crash(tmp_path: Path, depth: int) -> None:
    deep = '{"a":' * depth + "1" + "}" * depth
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps({"text": "fine"}) + "\n" + '{"text": "x", "extra": ' + deep + "}\n")
    profile = profile_file(path, "JSONL")
    assert profile.rows + len(profile.problems) == 2
    if profile.rows == 2:  # parsed: its sample is cut at a storable depth
        assert len(json.dumps(profile.to_json())) < 10_000
    else:
        assert [problem.line for problem in profile.problems] == [2]
        assert profile.problems[0].code == "DATASET_LINE_TOO_DEEP"


def test_a_sample_value_is_cut_at_a_fixed_depth() -> None:
    value: object = "leaf"
    for _ in range(200):
        value = {"a": value}
    profiler = DatasetProfiler()
    profiler.row(1, {"nested": value})
    depth, sample = 0, profiler.profile().sample[0]["nested"]
    while isinstance(sample, dict):
        depth, sample = depth + 1, sample["a"]
    assert depth < 50


def test_a_csv_quote_that_never_closes_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('prompt,completion\nhello,world\nbroken,"never closed\nnext,row\nlast,row\n')
    profile = profile_file(path, "CSV")
    assert profile.rows == 1
    [problem] = profile.problems
    assert problem.line == 3 and "never closed" in problem.message.lower()
