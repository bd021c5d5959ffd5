"""Office Open XML files (.docx, and .pptx or .xlsx should they come) are zip containers: one check for all.

A zip declares the unpacked size of every part in its directory, and `zipfile` never unpacks more
than that, so a zip bomb is refused from the directory alone, before any parser opens a part.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from index.formats.base import InvalidFile, LoadError

MAX_UNPACKED_MB = 200  # what an Office file's parts may declare in total, uncompressed
MAX_PARTS = 10_000
MAX_RATIO = 100  # a part over RATIO_FLOOR_MB packed tighter than this is a zip bomb
RATIO_FLOOR_MB = 10


def check_container(path: Path) -> None:
    """Refuse an Office file that is not a zip, or whose zip directory declares a bomb.

    Raises:
        InvalidFile: the file is not a zip archive.
        LoadError: too many parts, too large unpacked, or a part compressed over `MAX_RATIO`:1.
    """
    if not zipfile.is_zipfile(path):
        raise InvalidFile("not a zip archive")
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise LoadError(str(path), f"zip bomb? {len(parts)} parts in a {path.suffix.lower()} (at most {MAX_PARTS})")
    total_mb = sum(part.file_size for part in parts) / (1 << 20)
    if total_mb > MAX_UNPACKED_MB:
        raise LoadError(str(path), f"zip bomb? unpacks to {total_mb:.0f} MB (at most {MAX_UNPACKED_MB} MB)")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FLOOR_MB << 20 and ratio > MAX_RATIO:
            raise LoadError(
                str(path),
                f"zip bomb? {part.filename} unpacks {part.file_size >> 20} MB from {part.compress_size >> 10} KB "
                f"(compression ratio {ratio:.0f}:1, at most {MAX_RATIO}:1)",
            )
