"""Use case: store an uploaded dataset file (checked for name, format and size) for profiling."""

from __future__ import annotations

import hashlib
import uuid

from db.models import Upload
from db.uow import UnitOfWork
from workflow.access import Actor, Scope
from workflow.errors import OperationRefusedError
from workflow.events import utcnow
from workflow.job_inputs import local_file_format
from workflow.text import require_length, require_storable

FILENAME_LENGTH = 255


async def store(
    uow: UnitOfWork, actor: Actor, filename: str, content: bytes, *, declared_format: str | None, max_bytes: int
) -> Upload:
    """Keep the file; its format is the declared one, else read off the file name's extension."""
    actor.require(Scope.WRITE)
    require_storable(filename=filename)
    require_length("filename", filename, FILENAME_LENGTH)
    fmt = declared_format or local_file_format(filename)
    if fmt is None:
        raise OperationRefusedError(
            "UPLOAD_FORMAT_UNKNOWN", "Name the file .jsonl, .csv or .parquet, or give its format explicitly."
        )
    if not content:
        raise OperationRefusedError("UPLOAD_EMPTY", "The uploaded file is empty.")
    if len(content) > max_bytes:
        raise OperationRefusedError("UPLOAD_TOO_LARGE", f"The file is over the {max_bytes}-byte upload limit.")
    upload = Upload(
        id=uuid.uuid4(),
        organisation_id=actor.organisation_id,
        filename=filename,
        format=fmt,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        created_at=utcnow(),
        created_by=actor.label,
    )
    uow.uploads.add(upload)
    return upload
