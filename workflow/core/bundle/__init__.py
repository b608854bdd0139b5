"""The package bundle: a published version rendered into the files that train it (pure).

    bundle = render_bundle(BundleInputs(...))   # files, sorted, manifest included
    archive = pack(bundle)                      # reproducible .tar.gz bytes
    name = archive_digest(archive)              # its sha256 names it
    verify(archive, expected_sha256=name)       # the bundle again, or a BundleVerificationError

No clock, no randomness, no host path: equal inputs give equal bytes on any machine.
"""

from workflow.core.bundle.archive import (
    BUNDLE_FORMAT_VERSION,
    MANIFEST,
    Bundle,
    BundleFile,
    archive_digest,
    pack,
    verify,
)
from workflow.core.bundle.errors import (
    ArchiveDigestMismatchError,
    ArchiveNotCanonicalError,
    ArchiveUnreadableError,
    BundleError,
    BundleInputError,
    BundleVerificationError,
    FileMissingError,
    FileTamperedError,
    ManifestInvalidError,
    ManifestMissingError,
    UnexpectedFileError,
    UnsafeEntryError,
)
from workflow.core.bundle.inputs import BundleInputs, DatasetFile, DatasetPin, HubDatasetPin
from workflow.core.bundle.render import render_bundle
from workflow.core.bundle.space import APP_PORT, BASE_IMAGE

__all__ = [
    "APP_PORT",
    "BASE_IMAGE",
    "BUNDLE_FORMAT_VERSION",
    "MANIFEST",
    "ArchiveDigestMismatchError",
    "ArchiveNotCanonicalError",
    "ArchiveUnreadableError",
    "Bundle",
    "BundleError",
    "BundleFile",
    "BundleInputError",
    "BundleInputs",
    "BundleVerificationError",
    "DatasetFile",
    "DatasetPin",
    "FileMissingError",
    "FileTamperedError",
    "HubDatasetPin",
    "ManifestInvalidError",
    "ManifestMissingError",
    "UnexpectedFileError",
    "UnsafeEntryError",
    "archive_digest",
    "pack",
    "render_bundle",
    "verify",
]
