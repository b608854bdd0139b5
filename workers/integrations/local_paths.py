"""Where LOCAL models and datasets may be read from.

A LOCAL source names a path on the worker's disk, chosen by whoever edits the package. Without
a fence, any token with write scope could have the worker profile ``/etc/passwd`` as a CSV and
read it back through the dataset sample. Paths are resolved (symlinks followed, ``..``
collapsed) before they are compared, so neither a link nor a relative path steps outside.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workers.integrations.errors import IntegrationError


def confined(location: str | Path, roots: Sequence[Path]) -> Path:
    """``location`` resolved, if it lies inside one of ``roots``; else a permanent coded failure.

    Relative roots are taken from the worker's working directory. The roots are folders the
    operator controls: a path is checked, then opened, so someone able to swap links inside a
    root between the two could still step out.
    """
    try:
        resolved = Path(location).resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte …
        raise IntegrationError("LOCAL_PATH_NOT_FOUND", f"{str(location)!r} cannot be resolved to a file.") from None
    for root in roots:
        if resolved.is_relative_to(root.resolve()):
            return resolved
    raise IntegrationError(
        "LOCAL_PATH_FORBIDDEN",
        f"{str(location)!r} is outside the folders this service reads local models and datasets from"
        " (TRAINPACK_LOCAL_ROOTS).",
    )
