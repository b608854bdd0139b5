"""The training stack in a virtual environment of its own, built with pip and cached by its pins.

The stack (torch, transformers, trl, peft, datasets, accelerate) stays out of ``uv.lock``: a CUDA
build of torch is gigabytes, and pip alone installs the CPU build a machine may carry. The
environment is built once per set of pins (``workflow.core.training.requirements``), under the
user's cache folder, and reused by every later run; tests run the training in a subprocess of it.

``python -m tests.support.training_env`` builds it ahead of the tests (``.ci/run`` does).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from filelock import FileLock

from workflow.core.training import requirements

ENV_CACHE_VARIABLE = "TRAINPACK_TRAINING_ENV_CACHE"


def cache_root() -> Path:
    """Where built environments are kept (``TRAINPACK_TRAINING_ENV_CACHE``, else the user's cache)."""
    configured = os.environ.get(ENV_CACHE_VARIABLE)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trainpack"


def requirements_text(*, with_bitsandbytes: bool = False) -> str:
    """The pinned requirements file the environment is built from."""
    lines = requirements()
    if with_bitsandbytes:
        from workflow.core.training import BITSANDBYTES

        lines = sorted([*lines, "==".join(BITSANDBYTES)])
    return "\n".join(lines) + "\n"


def ensure_training_env(*, with_bitsandbytes: bool = False) -> Path:
    """The Python executable of the environment for the current pins, built if it is missing."""
    text = requirements_text(with_bitsandbytes=with_bitsandbytes)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"training-env-{digest}"
    python = target / "bin" / "python"
    with FileLock(str(root / f"training-env-{digest}.lock")):
        if (target / "requirements.txt").is_file() and (target / "requirements.txt").read_text() == text:
            return python
        # Built aside and renamed into place once complete, so a run killed half-way leaves
        # nothing that looks ready. Only ``python -m`` is used, which a renamed venv still runs
        # (its console scripts would name the old folder).
        building = Path(tempfile.mkdtemp(prefix=f"building-{digest}-", dir=root))
        try:
            venv.EnvBuilder(with_pip=True).create(building)
            subprocess.run(
                [str(building / "bin" / "python"), "-m", "pip", "install", "--quiet", *text.split()],
                check=True,
            )
            (building / "requirements.txt").write_text(text)  # written last: marks it complete
            shutil.rmtree(target, ignore_errors=True)
            building.rename(target)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    return python


if __name__ == "__main__":
    print(ensure_training_env(with_bitsandbytes="--bitsandbytes" in sys.argv[1:]))
