#!/usr/bin/env python3
"""Bootstrap and run trainpack with nothing but Python installed.

    python3 run.py dev    # a complete local instance with GraphiQL (embedded PostgreSQL)
    python3 run.py test   # lint, type checks and the whole test suite

Creates ``.venv`` on first use, installs the pinned uv into it, and syncs the locked
dependencies (``uv.lock``) before running.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
UV_VERSION = "0.13.9"


def _run(*command: str | Path) -> None:
    subprocess.run([str(part) for part in command], cwd=ROOT, check=True)


def ensure_environment() -> None:
    """Create the virtual environment and install the locked dependencies into it."""
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not (BIN / "uv").exists():
        _run(BIN / "python", "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}")
    env_python = BIN / "python"
    subprocess.run(
        [str(BIN / "uv"), "sync", "--frozen", "--quiet", "--python", str(env_python)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)},
    )


def main(argv: list[str]) -> int:
    """Dispatch ``dev`` / ``test`` (extra arguments go to the underlying command)."""
    if not argv or argv[0] not in ("dev", "test", "bench"):
        print(__doc__)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "dev":
        return subprocess.call([str(BIN / "trainpack"), "dev", *rest], cwd=ROOT)
    if command == "bench":
        return subprocess.call([str(BIN / "python"), "-m", "bench", *rest], cwd=ROOT)
    for check in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy", "."]):
        if subprocess.call([str(BIN / check[0]), *check[1:]], cwd=ROOT) != 0:
            return 1
    return subprocess.call([str(BIN / "pytest"), *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
