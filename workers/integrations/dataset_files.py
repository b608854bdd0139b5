"""Profiling a dataset file (an upload or a local path) in one streaming pass.

Malformed lines become ``DataProblem``s with the line a user can find in an editor and do
not stop the profile; a file that cannot be profiled at all (empty, not the declared format,
not UTF-8, too large, unreadable) raises a permanent ``IntegrationError`` with a stable code.
"""

from __future__ import annotations

import codecs
import csv
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from workers.integrations.errors import Cancelled, IntegrationError
from workflow.datasets import DatasetProfile, DatasetProfiler

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

FileFormat = Literal["JSONL", "CSV", "PARQUET"]

# How often (in rows) a running profile looks at its cancel flag.
CANCEL_CHECK_ROWS = 1000
PARQUET_BATCH_ROWS = 1024
_PARQUET_MAGIC = b"PAR1"
_BOM = codecs.BOM_UTF8


def profile_file(
    path: Path,
    fmt: FileFormat,
    *,
    max_bytes: int | None = None,
    cancel: threading.Event | None = None,
) -> DatasetProfile:
    """Profile ``path`` as ``fmt``; raises ``IntegrationError`` when the file as a whole is
    unusable and ``Cancelled`` once ``cancel`` is set."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise IntegrationError("DATASET_UNREADABLE", f"The dataset file cannot be read: {error.strerror}.") from error
    if max_bytes is not None and size > max_bytes:
        raise IntegrationError(
            "DATASET_TOO_LARGE", f"The dataset file has {size:,} bytes; at most {max_bytes:,} are accepted."
        )
    if size == 0:
        raise IntegrationError("DATASET_EMPTY", "The dataset file is empty.")
    try:
        if fmt == "PARQUET":
            return _profile_parquet(path, cancel)
        _refuse_parquet_as_text(path, fmt)
        if fmt == "CSV":
            return _profile_csv(path, cancel)
        return _profile_jsonl(path, cancel)
    except OSError as error:
        raise IntegrationError("DATASET_UNREADABLE", f"The dataset file cannot be read: {error}.") from error


def _profile_jsonl(path: Path, cancel: threading.Event | None) -> DatasetProfile:
    profiler = DatasetProfiler()
    lines = 0
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            if number == 1:
                raw = raw.removeprefix(_BOM)
            text = _decode(raw, number)
            if not text.strip():
                continue
            lines += 1
            _check_cancel(cancel, lines)
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                profiler.problem(
                    number, "DATASET_LINE_INVALID_JSON", f"not valid JSON ({error.msg} at column {error.colno})"
                )
                continue
            if not isinstance(value, dict):
                profiler.problem(number, "DATASET_LINE_NOT_OBJECT", f"a JSON {_json_type(value)}, not an object")
                continue
            profiler.row(number, value)
    if lines == 0:
        raise IntegrationError("DATASET_EMPTY", "The dataset file has only blank lines.")
    profile = profiler.profile()
    if profile.rows == 0:
        first = profile.problems[0]
        raise IntegrationError(
            "DATASET_FORMAT_INVALID",
            f"No line of the file is a JSON object, so it is not JSONL (line {first.line}: {first.message}).",
        )
    return profile


def _profile_csv(path: Path, cancel: threading.Event | None) -> DatasetProfile:
    with path.open("r", encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        try:
            return _read_csv(reader, cancel)
        except UnicodeDecodeError as error:
            raise IntegrationError(
                "DATASET_ENCODING_INVALID",
                f"The file is not UTF-8 text (near line {reader.line_num + 1}); save it as UTF-8.",
            ) from error


def _read_csv(reader: CsvReader, cancel: threading.Event | None) -> DatasetProfile:
    """Records with the physical line each starts on (``line_num`` counts lines, so a quoted
    field spanning lines moves it by more than one); blank lines are skipped."""
    profiler: DatasetProfiler | None = None
    columns: list[str] = []
    count = 0
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if profiler is None or reader.line_num < start:
                raise IntegrationError("DATASET_FORMAT_INVALID", f"line {start}: not valid CSV ({error}).") from error
            profiler.problem(start, "DATASET_ROW_INVALID_CSV", f"not valid CSV ({error})")
            continue
        if not fields:
            continue
        if profiler is None:
            columns = _header_names(fields)
            if columns[0].startswith(("{", "[")):
                raise IntegrationError(
                    "DATASET_FORMAT_INVALID", "The file starts like JSON, not like a CSV header row."
                )
            profiler = DatasetProfiler(columns)
            continue
        count += 1
        _check_cancel(cancel, count)
        if len(fields) != len(columns):
            profiler.problem(
                start, "DATASET_ROW_WRONG_WIDTH", f"{len(fields)} fields where the header has {len(columns)}"
            )
            continue
        profiler.row(start, dict(zip(columns, fields, strict=True)))
    if profiler is None:
        raise IntegrationError("DATASET_EMPTY", "The CSV file has only blank lines.")
    return profiler.profile()


def _header_names(header: list[str]) -> list[str]:
    """Column names from the header row: blanks named by position, duplicates suffixed."""
    names: list[str] = []
    for position, raw in enumerate(header, start=1):
        name = raw.strip() or f"column_{position}"
        base, suffix = name, 1
        while name in names:
            suffix += 1
            name = f"{base}_{suffix}"
        names.append(name)
    return names


def _profile_parquet(path: Path, cancel: threading.Event | None) -> DatasetProfile:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, ValueError) as error:
        raise IntegrationError(
            "DATASET_FORMAT_INVALID", f"The file is not a readable Parquet file: {error}."
        ) from error
    profiler = DatasetProfiler(parquet.schema_arrow.names)
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            if cancel is not None and cancel.is_set():
                raise Cancelled("The dataset profile was cancelled.")
            for row in batch.to_pylist():
                profiler.row(profiler.rows + 1, row)
    except pa.ArrowException as error:
        raise IntegrationError(
            "DATASET_UNREADABLE", f"The Parquet file is damaged after row {profiler.rows}: {error}."
        ) from error
    finally:
        parquet.close()
    return profiler.profile()


def _refuse_parquet_as_text(path: Path, fmt: FileFormat) -> None:
    with path.open("rb") as file:
        start = file.read(len(_PARQUET_MAGIC))
    if start == _PARQUET_MAGIC:
        raise IntegrationError("DATASET_FORMAT_INVALID", f"The file is a Parquet file, not {fmt}.")


def _decode(raw: bytes, line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise IntegrationError(
            "DATASET_ENCODING_INVALID", f"The file is not UTF-8 text (line {line}); save it as UTF-8."
        ) from error


def _check_cancel(cancel: threading.Event | None, count: int) -> None:
    if cancel is not None and count % CANCEL_CHECK_ROWS == 0 and cancel.is_set():
        raise Cancelled("The dataset profile was cancelled.")


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
