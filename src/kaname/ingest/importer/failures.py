"""Say plainly when the workspace cannot take an import: the disk is full, or it is read-only.

DuckDB, SQLite and the file system each word these their own way; the user gets one line in
the workspace's language instead of a traceback, and the data already loaded is intact (each
write is one transaction).
"""

from __future__ import annotations

import errno

from kaname.ingest.importer.rawfile import ReadError
from kaname.ingest.messages import message

_FULL = ("database or disk is full", "no space left on device", "disk full")
_READ_ONLY = ("readonly database", "read-only", "read only", "permission denied")


def storage_failure(exc: BaseException, language: str = "en") -> ReadError | None:
    """The clear error for a store or file-system failure `exc`, or None for any other."""
    if not _is_storage_error(exc):
        return None
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or any(s in text for s in _FULL):
        return ReadError(message("disk_full", language))
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or any(s in text for s in _READ_ONLY):
        return ReadError(message("workspace_read_only", language))
    return None


def _is_storage_error(exc: BaseException) -> bool:
    import duckdb
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, OSError | DBAPIError | duckdb.Error)
