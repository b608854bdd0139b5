"""How the CLI prints: tables and progress with rich on stderr/stdout, or one JSON document.

Exit codes (the README lists them): 0 done, 1 the server reported issues or a job failed,
2 bad input (arguments, config, package file), 3 the server could not be reached or refused the
token, 4 the wait timed out.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

OK, ISSUES, BAD_INPUT, UNREACHABLE, TIMED_OUT = 0, 1, 2, 3, 4

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(value: Any) -> None:
    """One JSON document on stdout (for scripts)."""
    print(json.dumps(value, default=str, sort_keys=True))


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A plain table on stdout."""
    shown = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for column in columns:
        shown.add_column(column)
    for row in rows:
        shown.add_row(*("" if cell is None else str(cell) for cell in row))
    out.print(shown)
