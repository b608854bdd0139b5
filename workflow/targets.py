"""What a write addresses: a package (its draft) or one specific version."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class PackageRef:
    """The package's draft, opened from the latest published version when it has none."""

    package_id: uuid.UUID


@dataclass(frozen=True)
class VersionRef:
    """One version by id: writes succeed only while it is the package's draft."""

    version_id: uuid.UUID


Target = PackageRef | VersionRef
