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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workers.integrations.errors import Cancelled, IntegrationError
from workflow.datasets import DatasetProfile, DatasetProfiler

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

FileFormat = Literal["JSONL", "CSV", "PARQUET"]

# How often (in rows) a running profile looks at its cancel flag.
CANCEL_CHECK_ROWS = 1000
# Parquet rows are read a few at a time: each batch is measured before it becomes Python values,
# so a value that decompresses into megabytes is counted against the limit, not materialised.
PARQUET_BATCH_ROWS = 64
_PARQUET_MAGIC = b"PAR1"
_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class Limits:
    """How much data one profile reads: bytes of data (a text file's size, what a Parquet file
    decompresses into) and rows; past either the file is refused as ``DATASET_TOO_LARGE``."""

    max_bytes: int | None = None
    max_rows: int | None = None

    def check_rows(self, rows: int) -> None:
        """Refuse the file once it has more than ``max_rows`` rows."""
        if self.max_rows is not None and rows > self.max_rows:
            raise IntegrationError(
                "DATASET_TOO_LARGE", f"The dataset has more than {self.max_rows:,} rows, the most a profile reads."
            )


def profile_file(
    path: Path,
    fmt: FileFormat,
    *,
    max_bytes: int | None = None,
    max_rows: int | None = None,
    cancel: threading.Event | None = None,
) -> DatasetProfile:
    """Profile ``path`` as ``fmt``; raises ``IntegrationError`` when the file as a whole is
    unusable or over the limits, and ``Cancelled`` once ``cancel`` is set."""
    limits = Limits(max_bytes, max_rows)
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
            return _profile_parquet(path, cancel, limits)
        _refuse_parquet_as_text(path, fmt)
        if fmt == "CSV":
            return _profile_csv(path, cancel, limits)
        return _profile_jsonl(path, cancel, limits)
    except OSError as error:
        raise IntegrationError("DATASET_UNREADABLE", f"The dataset file cannot be read: {error}.") from error


def _profile_jsonl(path: Path, cancel: threading.Event | None, limits: Limits) -> DatasetProfile:
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
            except RecursionError:
                profiler.problem(number, "DATASET_LINE_TOO_DEEP", "nested too deeply to be read")
                continue
            if not isinstance(value, dict):
                profiler.problem(number, "DATASET_LINE_NOT_OBJECT", f"a JSON {_json_type(value)}, not an object")
                continue
            profiler.row(number, value)
            limits.check_rows(profiler.rows)
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


def _profile_csv(path: Path, cancel: threading.Event | None, limits: Limits) -> DatasetProfile:
    with path.open("r", encoding="utf-8-sig", newline="") as file:
        # Strict: a quote left open would otherwise silently swallow every line after it.
        reader = csv.reader(file, strict=True)
        try:
            return _read_csv(reader, cancel, limits)
        except UnicodeDecodeError as error:
            raise IntegrationError(
                "DATASET_ENCODING_INVALID",
                f"The file is not UTF-8 text (near line {reader.line_num + 1}); save it as UTF-8.",
            ) from error


def _read_csv(reader: CsvReader, cancel: threading.Event | None, limits: Limits) -> DatasetProfile:
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
            if reader.line_num > start and str(error) == "unexpected end of data":
                swallowed = reader.line_num - start
                message = (
                    f"a quoted field opened here is never closed: the {swallowed:,} line{'s' if swallowed != 1 else ''}"
                    " after it were read as part of it, not as rows"
                )
                profiler.problem(start, "DATASET_ROW_INVALID_CSV", message)
                continue
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
        limits.check_rows(profiler.rows)
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


def _profile_parquet(path: Path, cancel: threading.Event | None, limits: Limits) -> DatasetProfile:
    try:
        schema = pq.read_schema(path)
        # Text columns stay dictionary-encoded when read: a value repeated a million times is one
        # copy in memory, and its length is counted once per row before anything is materialised.
        text_columns = [field.name for field in schema if _is_text(field.type)]
        parquet = pq.ParquetFile(path, read_dictionary=text_columns)
    except (pa.ArrowException, ValueError) as error:
        raise IntegrationError(
            "DATASET_FORMAT_INVALID", f"The file is not a readable Parquet file: {error}."
        ) from error
    limits.check_rows(parquet.metadata.num_rows)
    profiler = DatasetProfiler(parquet.schema_arrow.names)
    budget = limits.max_bytes
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            if cancel is not None and cancel.is_set():
                raise Cancelled("The dataset profile was cancelled.")
            if budget is not None:
                budget -= _materialised_bytes(batch)
                if budget < 0:
                    raise IntegrationError(
                        "DATASET_TOO_LARGE",
                        f"The Parquet file decompresses into more than {limits.max_bytes:,} bytes,"
                        " the most a profile reads.",
                    )
            for row in batch.to_pylist():
                profiler.row(profiler.rows + 1, row)
    except pa.ArrowException as error:
        raise IntegrationError(
            "DATASET_UNREADABLE", f"The Parquet file is damaged after row {profiler.rows}: {error}."
        ) from error
    finally:
        parquet.close()
    return profiler.profile()


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind))


def _materialised_bytes(batch: pa.RecordBatch) -> int:
    """About how many bytes the batch's values take once they are Python objects: the text of
    every row (a dictionary value once per row that uses it) and the buffers of everything else."""
    total = 0
    for column in batch.columns:
        if pa.types.is_dictionary(column.type) and _is_text(column.type.value_type):
            lengths = pc.take(pc.binary_length(column.dictionary), column.indices)
            total += int(pc.sum(lengths).as_py() or 0)
        else:
            total += column.nbytes
    return total


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
