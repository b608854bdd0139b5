"""The profile of one dataset source: rows, columns, a sample, token statistics, malformed lines.

A worker reads the data (a file, the Hub) and feeds it row by row to a ``DatasetProfiler``;
the resulting ``DatasetProfile`` is stored as JSON (shown to clients) and handed to the rules
as ``DatasetFacts``. Everything here is computed in one streaming pass with bounded memory:
counts are exact, percentiles come from a histogram with bounded relative error, and the
lists of problems and gap lines are capped (with their totals kept).

Token counts are approximate: no tokenizer can be downloaded, so ``approximate_tokens``
counts word pieces with a regular expression (see ``TOKEN_METHOD``). They are meant for
sizing ``maxSeqLength`` and cost, not for exact truncation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from workflow.facts import DataProblem, DatasetFacts

Kind = Literal["string", "messages", "number", "boolean", "list", "object", "mixed"]
JsonValue = Any

PROFILE_VERSION = 1
SAMPLE_ROWS = 5
SAMPLE_TEXT_CHARS = 200
SAMPLE_LIST_ITEMS = 10
SAMPLE_DEPTH = 16  # deeper values are shown as "…": a sample is for reading, and jsonb's depth is bounded
MAX_PROBLEMS = 100
MAX_GAP_LINES = 10
# Beyond this many distinct columns (JSONL rows with ever-new keys) new keys are ignored and the
# profile says so: a column's state is the one thing that grows with the data's shape.
MAX_COLUMNS = 500
# Extra tokens per chat message for its role and the chat template's markers.
MESSAGE_OVERHEAD_TOKENS = 4
TOKEN_METHOD = (
    "approximate: runs of letters count one token per started 6 characters, digits one per group of "
    f"up to 3, any other visible character one; chat messages add {MESSAGE_OVERHEAD_TOKENS} each"
)

_PIECE = re.compile(r"[^\W\d_]+|\d{1,3}|[^\w\s]|_")
_EXACT_BELOW = 1024


def approximate_tokens(text: str) -> int:
    """A tokenizer-free token count close to (and usually a little above) a BPE tokenizer's."""
    pieces = _PIECE.findall(text)
    return len(pieces) + sum((len(piece) - 1) // 6 for piece in pieces if len(piece) > 6)


@dataclass(frozen=True)
class TokenStats:
    """Token counts over a set of values; percentiles are within 1/64 of the exact value."""

    count: int
    min: int
    mean: float
    p50: int
    p95: int
    max: int
    total: int

    def to_json(self) -> dict[str, JsonValue]:
        """The stored form."""
        return {
            "count": self.count,
            "min": self.min,
            "mean": round(self.mean, 2),
            "p50": self.p50,
            "p95": self.p95,
            "max": self.max,
            "total": self.total,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, JsonValue]) -> TokenStats:
        """Rebuild the stored form."""
        return cls(
            int(raw["count"]),
            int(raw["min"]),
            float(raw["mean"]),
            int(raw["p50"]),
            int(raw["p95"]),
            int(raw["max"]),
            int(raw["total"]),
        )


class TokenCounter:
    """Streaming token statistics: exact count/min/max/total, percentiles from a histogram whose
    buckets are exact below 1024 and keep 7 significant bits above, so memory stays bounded."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0
        self.min = 0
        self.max = 0
        self._buckets: dict[int, int] = {}

    def add(self, tokens: int) -> None:
        """Count one value of ``tokens`` tokens."""
        if self.count == 0 or tokens < self.min:
            self.min = tokens
        self.max = max(self.max, tokens)
        self.count += 1
        self.total += tokens
        shift = max(0, tokens.bit_length() - 7) if tokens >= _EXACT_BELOW else 0
        bucket = (tokens >> shift) << shift
        self._buckets[bucket] = self._buckets.get(bucket, 0) + 1

    def percentile(self, fraction: float) -> int:
        """The nearest-rank percentile (a bucket's lower bound, clamped to the exact min/max)."""
        rank = max(1, math.ceil(fraction * self.count))
        seen = 0
        for bucket in sorted(self._buckets):
            seen += self._buckets[bucket]
            if seen >= rank:
                return min(max(bucket, self.min), self.max)
        return self.max

    def stats(self) -> TokenStats | None:
        """The statistics so far, ``None`` before any value."""
        if self.count == 0:
            return None
        return TokenStats(
            self.count,
            self.min,
            self.total / self.count,
            self.percentile(0.5),
            self.percentile(0.95),
            self.max,
            self.total,
        )


@dataclass(frozen=True)
class ColumnProfile:
    """One column: its coarse kind (``None`` when every value is missing), how many rows lack a
    value (absent, null, empty or a malformed chat), and token statistics of its text values."""

    name: str
    kind: Kind | None
    missing: int
    tokens: TokenStats | None = None


@dataclass(frozen=True)
class DatasetProfile:
    """What profiling one dataset source found; ``problems`` and ``column_gaps`` are capped,
    ``problem_count`` and each column's ``missing`` are the totals."""

    rows: int
    columns: tuple[ColumnProfile, ...]
    sample: tuple[Mapping[str, JsonValue], ...] = ()
    row_tokens: TokenStats | None = None
    problems: tuple[DataProblem, ...] = ()
    problem_count: int = 0
    column_gaps: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    columns_truncated: bool = False
    token_method: str = TOKEN_METHOD

    @property
    def column_kinds(self) -> dict[str, str]:
        """The kind of every column that has at least one value."""
        return {column.name: column.kind for column in self.columns if column.kind is not None}

    def to_facts(self) -> DatasetFacts:
        """What the rules need of this profile."""
        return DatasetFacts(
            columns=frozenset(column.name for column in self.columns),
            rows=self.rows,
            problems=self.problems,
            column_gaps=dict(self.column_gaps),
            column_kinds=self.column_kinds,
            problem_count=self.problem_count,
            gap_counts={column.name: column.missing for column in self.columns},
            token_mean=round(self.row_tokens.mean, 2) if self.row_tokens else None,
            token_p95=self.row_tokens.p95 if self.row_tokens else None,
            token_max=self.row_tokens.max if self.row_tokens else None,
        )

    def to_json(self) -> dict[str, JsonValue]:
        """The stored (jsonb) and client-visible form, versioned; keys in a stable order."""
        return {
            "version": PROFILE_VERSION,
            "rows": self.rows,
            "columns": [
                {
                    "name": column.name,
                    "kind": column.kind,
                    "missing": column.missing,
                    "tokens": column.tokens.to_json() if column.tokens else None,
                }
                for column in self.columns
            ],
            "columnsTruncated": self.columns_truncated,
            "sample": [dict(row) for row in self.sample],
            "rowTokens": self.row_tokens.to_json() if self.row_tokens else None,
            "tokensApproximate": True,
            "tokenMethod": self.token_method,
            "problems": [{"line": p.line, "code": p.code, "message": p.message} for p in self.problems],
            "problemCount": self.problem_count,
            "columnGaps": {name: list(lines) for name, lines in self.column_gaps.items()},
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, JsonValue]) -> DatasetProfile:
        """Rebuild a stored profile; refuses a version this code does not know."""
        if raw.get("version") != PROFILE_VERSION:
            raise ValueError(f"Unknown dataset profile version {raw.get('version')!r}.")
        return cls(
            rows=int(raw["rows"]),
            columns=tuple(
                ColumnProfile(
                    name=str(column["name"]),
                    kind=cast(Kind | None, column["kind"]),
                    missing=int(column["missing"]),
                    tokens=TokenStats.from_json(column["tokens"]) if column["tokens"] else None,
                )
                for column in raw["columns"]
            ),
            sample=tuple(dict(row) for row in raw["sample"]),
            row_tokens=TokenStats.from_json(raw["rowTokens"]) if raw["rowTokens"] else None,
            problems=tuple(DataProblem(int(p["line"]), str(p["code"]), str(p["message"])) for p in raw["problems"]),
            problem_count=int(raw["problemCount"]),
            column_gaps={str(name): tuple(int(line) for line in lines) for name, lines in raw["columnGaps"].items()},
            columns_truncated=bool(raw["columnsTruncated"]),
            token_method=str(raw["tokenMethod"]),
        )


class _Column:
    def __init__(self, name: str) -> None:
        self.name = name
        self.kinds: set[Kind] = set()
        self.missing = 0
        self.gaps: list[int] = []
        self.tokens = TokenCounter()

    def gap(self, line: int) -> None:
        self.missing += 1
        if len(self.gaps) < MAX_GAP_LINES:
            self.gaps.append(line)

    def profile(self) -> ColumnProfile:
        kind: Kind | None = None
        if len(self.kinds) == 1:
            kind = next(iter(self.kinds))
        elif self.kinds:
            kind = "mixed"
        return ColumnProfile(self.name, kind, self.missing, self.tokens.stats())


class DatasetProfiler:
    """Builds a ``DatasetProfile`` from rows fed one at a time, in one pass and bounded memory.

    ``line`` is what a user can find in the source: the physical line of a JSONL or CSV file
    (where a row starts), the 1-based row number of a Parquet file.
    """

    def __init__(self, columns: Iterable[str] = ()) -> None:
        self._columns: dict[str, _Column] = {}
        self._rows = 0
        self._first_lines: list[int] = []
        self._sample: list[dict[str, JsonValue]] = []
        self._row_tokens = TokenCounter()
        self._problems: list[DataProblem] = []
        self._problem_count = 0
        self._columns_truncated = False
        # Column names as they arrive -> as stored: PostgreSQL cannot store NUL or a lone
        # surrogate, so such names are cleaned like sample text (``_clean``). Usually identical.
        self._names: dict[str, str] = {}
        self._renamed = False
        for name in columns:
            self._add_column(self._stored_name(name))

    @property
    def rows(self) -> int:
        """Rows profiled so far."""
        return self._rows

    def problem(self, line: int, code: str, message: str) -> None:
        """Record a malformed line (it is not a row)."""
        self._problem_count += 1
        if len(self._problems) < MAX_PROBLEMS:
            self._problems.append(DataProblem(line, code, _clean(message)))

    def row(self, line: int, values: Mapping[str, object]) -> None:
        """Profile one row: a mapping of column name to a JSON-like value."""
        names = self._names
        for name in values:
            if name not in names:
                self._add_column(self._stored_name(name))
        if self._renamed:
            values = {names[name]: value for name, value in values.items()}
        row_tokens = 0
        for name, column in self._columns.items():
            value = values.get(name)
            kind, tokens = _inspect(value)
            if kind is None or kind == "malformed":
                column.gap(line)
            if kind is not None:
                column.kinds.add("messages" if kind == "malformed" else kind)
            if tokens is not None:
                column.tokens.add(tokens)
                row_tokens += tokens
        self._row_tokens.add(row_tokens)
        if len(self._first_lines) < MAX_GAP_LINES:
            self._first_lines.append(line)
        if len(self._sample) < SAMPLE_ROWS:
            self._sample.append({name: _sample_value(value) for name, value in values.items()})
        self._rows += 1

    def profile(self) -> DatasetProfile:
        """The profile of everything fed so far."""
        return DatasetProfile(
            rows=self._rows,
            columns=tuple(column.profile() for column in self._columns.values()),
            sample=tuple(self._sample),
            row_tokens=self._row_tokens.stats(),
            problems=tuple(self._problems),
            problem_count=self._problem_count,
            column_gaps={name: tuple(column.gaps) for name, column in self._columns.items() if column.gaps},
            columns_truncated=self._columns_truncated,
        )

    def _stored_name(self, name: str) -> str:
        """The storable form of a column name, remembered for the rows to come."""
        stored = self._names.get(name)
        if stored is None:
            stored = self._names[name] = _clean(name)
            self._renamed = self._renamed or stored != name
        return stored

    def _add_column(self, name: str) -> None:
        if name in self._columns:
            return
        if len(self._columns) >= MAX_COLUMNS:
            self._columns_truncated = True
            return
        column = _Column(name)
        # Every row before this one lacked the column.
        column.missing = self._rows
        column.gaps = self._first_lines[:MAX_GAP_LINES]
        self._columns[name] = column


def _inspect(value: object) -> tuple[Kind | Literal["malformed"] | None, int | None]:
    """A value's kind (``None`` when missing or empty, "malformed" for a broken chat) and its
    token count when it is text."""
    if isinstance(value, bytes | bytearray):
        value = value.decode("utf-8", "replace")
    if value is None:
        return None, None
    if isinstance(value, str):
        if not value.strip():
            return None, None
        return "string", approximate_tokens(value)
    if isinstance(value, bool):
        return "boolean", None
    if isinstance(value, int | float):
        return "number", None
    if isinstance(value, Mapping):
        return ("object", None) if value else (None, None)
    if isinstance(value, Sequence):
        if not value:
            return None, None
        if not any(isinstance(item, Mapping) and ("role" in item or "content" in item) for item in value):
            return "list", None
        tokens = 0
        for item in value:
            if not (isinstance(item, Mapping) and isinstance(item.get("role"), str)):
                return "malformed", None
            content = item.get("content")
            if not isinstance(content, str):
                return "malformed", None
            tokens += approximate_tokens(content) + MESSAGE_OVERHEAD_TOKENS
        return "messages", tokens
    return "string", approximate_tokens(str(value))


def _sample_value(value: object, depth: int = 0) -> JsonValue:
    """A JSON-safe, shortened copy: long text and lists cut, nesting cut at ``SAMPLE_DEPTH``,
    non-finite numbers and other types as text."""
    if depth >= SAMPLE_DEPTH and isinstance(value, Mapping | list | tuple):
        return "…"
    if isinstance(value, bytes | bytearray):
        value = value.decode("utf-8", "replace")
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _clean(value[:SAMPLE_TEXT_CHARS] + "…" if len(value) > SAMPLE_TEXT_CHARS else value)
    if isinstance(value, Mapping):
        return {_clean(str(key)): _sample_value(item, depth + 1) for key, item in value.items()}
    if isinstance(value, Sequence):
        items = [_sample_value(item, depth + 1) for item in value[:SAMPLE_LIST_ITEMS]]
        if len(value) > SAMPLE_LIST_ITEMS:
            items.append(f"… {len(value) - SAMPLE_LIST_ITEMS} more")
        return items
    return _sample_value(str(value))


def _clean(text: str) -> str:
    """Text PostgreSQL's jsonb accepts: no NUL, no lone surrogates."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
