"""The pure core imports nothing of the database, the transport, or the outside world.

ARCHITECTURE.md: ``workflow/`` pure modules import nothing of the other layers. Each check
runs in a fresh interpreter where importing a forbidden package raises ``ImportError``.
Service modules of ``workflow/`` (``drafts.py``, ``packages.py``…) use the database and are
deliberately not listed: the pure modules are named one by one.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PURE_MODULES = (
    "workflow.steps",
    "workflow.issues",
    "workflow.errors",
    "workflow.presets",
    "workflow.patches",
    "workflow.fact_store",
    "workflow.facts",
    "workflow.datasets",
    "workflow.rules",
    "workflow.rules.checks",
    "workflow.rules.model",
    "workflow.rules.config",
    "workflow.rules.dataset",
    "workflow.rules.deploy",
    "workflow.summaries",
    "workflow.naming",
    "workflow.hashing",
    "workflow.diff",
    "workflow.machine",
    "workflow.text",
    "workflow.targets",
    "workflow.access",
    "workflow.events",
    "workflow.sealing",
    *sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "workflow" / "core").rglob("*.py")
    ),
)

# Third-party I/O and transport packages, and this project's other layers.
BLOCKED = (
    "sqlalchemy",
    "strawberry",
    "asyncpg",
    "starlette",
    "uvicorn",
    "alembic",
    "dramatiq",
    "redis",
    "huggingface_hub",
    "httpx",
    "db",
    "api",
    "workers",
    "trainpack",
)

_SCRIPT = textwrap.dedent(
    """
    import importlib
    import importlib.abc
    import sys

    blocked = set(sys.argv[1].split(","))
    modules = sys.argv[2].split(",")


    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in blocked:
                raise ImportError(f"{name} is blocked for the pure core")
            return None


    already = sorted(name for name in sys.modules if name.partition(".")[0] in blocked)
    if already:
        sys.exit(f"already imported before the check: {already}")
    sys.meta_path.insert(0, Blocker())
    for module in modules:
        importlib.import_module(module)
    leaked = sorted(name for name in sys.modules if name.partition(".")[0] in blocked)
    if leaked:
        sys.exit(f"imported despite the blocker: {leaked}")
    print("ok", len(modules))
    """
)


def _import_with_blocker(
    modules: tuple[str, ...], blocked: tuple[str, ...] = BLOCKED
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, ",".join(blocked), ",".join(modules)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_pure_modules_import_without_db_transport_or_io_packages() -> None:
    result = _import_with_blocker(PURE_MODULES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ok {len(PURE_MODULES)}"


@pytest.mark.parametrize("forbidden", ["sqlalchemy", "strawberry", "db.models", "api"])
def test_the_blocker_refuses_forbidden_imports(forbidden: str) -> None:
    """The check above can fail: importing a blocked name in the same harness is an error."""
    result = _import_with_blocker(("workflow.steps", forbidden))
    assert result.returncode != 0
    assert "is blocked for the pure core" in result.stderr


def test_every_listed_module_exists() -> None:
    for module in PURE_MODULES:
        relative = Path(*module.split("."))
        assert (ROOT / f"{relative}.py").is_file() or (ROOT / relative / "__init__.py").is_file(), module
