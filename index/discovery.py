"""Which files of a folder are documents to read: walking it, apart from parsing them.

`find_files` lists the files whose suffix names a format of `index.formats` and sets aside, with
the reason, everything else: other types, symlink loops and links out of the folder, pipes and
other non-regular files, empty files, and whatever a format's cheap first look refuses (binary
data in a text file). Nothing is parsed here. `source_id` names a file relative to its folder.
"""

from __future__ import annotations

import errno
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.formats import LoadError, format_of, unsupported_reason


@dataclass(frozen=True)
class Skipped:
    """A file that is not a document we read (unknown type, binary data, outside link)."""

    path: str
    reason: str


def find_files(root: Path) -> tuple[list[Path], list[Skipped]]:
    """List the documents under `root` (recursively, sorted by name) or `root` itself if a file.

    Hidden files and folders (name starting with ".") are ignored silently. Symlinked
    folders are not followed; symlinked files resolving outside `root`, broken or looping
    symlinks, pipes and other non-regular files, and empty files in a folder are skipped.

    Args:
        root: a folder to walk, or a single file.

    Returns:
        The supported files, and a `Skipped` entry for every other file found.

    Raises:
        LoadError: if `root` does not exist.
    """
    if not root.exists():
        raise LoadError(str(root), "no such file or folder")
    entries = [_check_file(root, root)] if not root.is_dir() else list(_walk(root, root))
    found = [entry for entry in entries if isinstance(entry, Path)]
    return found, [entry for entry in entries if isinstance(entry, Skipped)]


def source_id(path: Path, root: Path) -> str:
    """Return `path` relative to `root` with forward slashes; the file name if `root` is a file.

    Raises:
        ValueError: if `path` is not inside `root`.
    """
    if root.is_file():
        return path.name
    try:
        return path.relative_to(root).as_posix()
    except ValueError:  # one of them relative, with "..", or through a symlinked folder
        resolved_root = root.resolve()
        return (path.parent.resolve() / path.name).relative_to(resolved_root).as_posix()  # the file itself unresolved


def _walk(folder: Path, root: Path) -> Iterator[Path | Skipped]:
    try:
        children = sorted(folder.iterdir(), key=lambda child: child.name)
    except OSError as exc:
        yield Skipped(source_id(folder, root), f"unreadable folder ({exc.strerror or exc})")
        return
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir() and child.is_symlink():
            yield Skipped(source_id(child, root), "symlinked folder not followed")
        elif child.is_dir():
            yield from _walk(child, root)
        else:
            yield _check_file(child, root)


def _check_file(path: Path, root: Path) -> Path | Skipped:
    """Return `path` if it is a document we read, else why it is skipped."""
    reason = _skip_reason(path, root)
    return path if reason is None else Skipped(source_id(path, root), reason)


def _skip_reason(path: Path, root: Path) -> str | None:
    if path.is_symlink() and (problem := _symlink_problem(path, root)):
        return problem
    if not path.is_file():
        return _not_regular(path)
    file_format = format_of(path)
    if file_format is None:
        return unsupported_reason(path)
    if path != root and path.stat().st_size == 0:  # a single file: see Syncer
        return "empty file"
    return file_format.skip_reason(path) if file_format.skip_reason else None


def _symlink_problem(path: Path, root: Path) -> str | None:
    try:
        target = path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a loop this way
        return "symlink loop"
    except OSError as exc:
        return "symlink loop" if exc.errno == errno.ELOOP else "broken symlink"
    return None if target.is_relative_to(root.resolve()) else "symlink points outside the folder"


def _not_regular(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    kinds = [(stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device")]
    kind = next((name for test, name in kinds if test(mode)), "")
    return f"not a regular file ({kind})" if kind else "not a regular file"
