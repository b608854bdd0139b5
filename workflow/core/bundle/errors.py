"""Why a bundle cannot be rendered, or why an archive is not the bundle it claims to be."""

from __future__ import annotations

from workflow.errors import DomainError


class BundleError(DomainError):
    """Base of the bundle's errors; ``code`` is stable, ``message`` says what to do."""

    code = "BUNDLE_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class BundleInputError(BundleError):
    """The version and its facts do not describe a bundle (incomplete, unpinned, inconsistent).

    Codes: ``BUNDLE_CONFIG_INCOMPLETE``, ``BUNDLE_MODEL_UNPINNED``, ``BUNDLE_MODEL_NOT_ON_HUB``,
    ``BUNDLE_DATASETS_MISMATCH``, ``BUNDLE_DATASET_UNPINNED``, ``BUNDLE_DATASET_SHA256_MISMATCH``,
    ``BUNDLE_DATASET_INVALID``.
    """

    code = "BUNDLE_INPUT_INVALID"


class BundleVerificationError(BundleError):
    """An archive failed verification against its own manifest."""

    code = "BUNDLE_VERIFICATION_FAILED"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ArchiveUnreadableError(BundleVerificationError):
    """Not a gzip-compressed tar archive, or a truncated one."""

    code = "BUNDLE_ARCHIVE_UNREADABLE"


class ArchiveDigestMismatchError(BundleVerificationError):
    """The archive's sha256 is not the one it is named by."""

    code = "BUNDLE_ARCHIVE_DIGEST_MISMATCH"


class UnsafeEntryError(BundleVerificationError):
    """An entry that is not a plain file at a relative path inside the bundle (or a duplicate)."""

    code = "BUNDLE_ENTRY_UNSAFE"


class ManifestMissingError(BundleVerificationError):
    """The archive holds no ``manifest.json``."""

    code = "BUNDLE_MANIFEST_MISSING"


class ManifestInvalidError(BundleVerificationError):
    """``manifest.json`` is not a manifest of a known bundle format."""

    code = "BUNDLE_MANIFEST_INVALID"


class FileMissingError(BundleVerificationError):
    """A file the manifest lists is not in the archive."""

    code = "BUNDLE_FILE_MISSING"


class FileTamperedError(BundleVerificationError):
    """A file's bytes do not match the sha256 and size the manifest records."""

    code = "BUNDLE_FILE_TAMPERED"


class UnexpectedFileError(BundleVerificationError):
    """A file in the archive that the manifest does not list."""

    code = "BUNDLE_FILE_UNEXPECTED"


class ArchiveNotCanonicalError(BundleVerificationError):
    """The files are intact but were not packed the reproducible way (order, times, owners, modes)."""

    code = "BUNDLE_ARCHIVE_NOT_CANONICAL"
