"""The final table on stdout and ``bench/results/latest.json``."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.support import Measurement

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def table(measurements: list[Measurement], failures: dict[str, str]) -> str:
    """A plain-text table: benchmark, figures, ratio, target, PASS/MISS."""
    rows = [("benchmark", "figures", "ratio", "target", "verdict")]
    rows += [(m.name, m.summary, f"{m.ratio:.3f}", m.target, m.verdict) for m in measurements]
    rows += [(name, f"failed: {error}"[:100], "-", "-", "ERROR") for name, error in failures.items()]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write_json(measurements: list[Measurement], failures: dict[str, str], *, quick: bool, seconds: float) -> Path:
    """Write every figure with the run's context; returns the path written."""
    document: dict[str, Any] = {
        "finished_at": datetime.now(UTC).isoformat(),
        "quick": quick,
        "total_seconds": round(seconds, 1),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform()},
        "database": "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded",
        "results": [asdict(measurement) | {"verdict": measurement.verdict} for measurement in measurements],
        "failures": failures,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return RESULTS
