"""Tests for index.discovery: which files of a folder are read, and their source ids."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.discovery import Skipped, find_files, source_id
from index.formats import LoadError, load_file


def write(path: Path, data: bytes | str) -> Path:
    """Write bytes or UTF-8 text to `path`, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_find_files_recurses_into_subfolders(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "a")
    write(tmp_path / "sub" / "deeper" / "b.md", "b")
    found, _ = find_files(tmp_path)
    assert [source_id(path, tmp_path) for path in found] == ["a.txt", "sub/deeper/b.md"]


def test_find_files_ignores_hidden_files_and_folders(tmp_path: Path) -> None:
    write(tmp_path / ".secret.txt", "x")
    write(tmp_path / ".git" / "notes.md", "x")
    write(tmp_path / ".cache" / "image.png", b"x")
    write(tmp_path / "shown.txt", "x")
    assert find_files(tmp_path) == ([tmp_path / "shown.txt"], [])


def test_find_files_reports_png_as_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pics" / "logo.png", b"\x89PNG")
    _, skipped = find_files(tmp_path)
    assert skipped == [Skipped("pics/logo.png", "unsupported file type '.png'")]


def test_find_files_reports_binary_txt_as_skipped(tmp_path: Path) -> None:
    write(tmp_path / "blob.txt", b"\x00\x01\x02")
    assert find_files(tmp_path) == ([], [Skipped("blob.txt", "binary data in a text file")])


def test_find_files_accepts_utf16_txt_as_text(tmp_path: Path) -> None:
    write(tmp_path / "u16.txt", "hello".encode("utf-16"))
    assert find_files(tmp_path) == ([tmp_path / "u16.txt"], [])


def test_find_files_order_is_sorted_and_deterministic(tmp_path: Path) -> None:
    for name in ["c.txt", "a/z.md", "b.pdf", "a/b.html", "A.docx"]:
        write(tmp_path / name, "x")
    first, _ = find_files(tmp_path)
    assert [source_id(p, tmp_path) for p in first] == [
        "A.docx",
        "a/b.html",
        "a/z.md",
        "b.pdf",
        "c.txt",
    ]
    assert find_files(tmp_path)[0] == first


def test_find_files_accepts_a_single_file(tmp_path: Path) -> None:
    path = write(tmp_path / "only.md", "# Only")
    assert find_files(path) == ([path], [])


def test_find_files_skips_a_single_unsupported_file_by_name(tmp_path: Path) -> None:
    path = write(tmp_path / "logo.png", b"x")
    assert find_files(path) == ([], [Skipped("logo.png", "unsupported file type '.png'")])


def test_find_files_skips_symlinked_file_outside_root(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside.txt", "x")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.txt").symlink_to(outside)
    assert find_files(root) == ([], [Skipped("link.txt", "symlink points outside the folder")])


def test_find_files_keeps_symlinked_file_inside_root(tmp_path: Path) -> None:
    target = write(tmp_path / "real.txt", "x")
    (tmp_path / "alias.txt").symlink_to(target)
    assert find_files(tmp_path)[0] == [tmp_path / "alias.txt", target]


def test_find_files_does_not_follow_symlinked_folders(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "a.txt", "x")
    (tmp_path / "docs" / "loop").symlink_to(tmp_path / "docs", target_is_directory=True)
    found, skipped = find_files(tmp_path)
    assert found == [tmp_path / "docs" / "a.txt"]
    assert [entry.path for entry in skipped] == ["docs/loop"]


def test_find_files_on_missing_root_raises_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file or folder"):
        find_files(tmp_path / "nowhere")


def test_source_id_uses_forward_slashes_relative_to_root(tmp_path: Path) -> None:
    assert source_id(tmp_path / "a" / "b.txt", tmp_path) == "a/b.txt"


def test_source_id_of_a_single_file_root_is_its_name(tmp_path: Path) -> None:
    path = write(tmp_path / "solo.pdf", b"x")
    assert source_id(path, path) == "solo.pdf"


def test_find_files_names_symlink_loops_pipes_and_empty_files(tmp_path: Path) -> None:
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    write(tmp_path / "empty.md", b"")
    assert find_files(tmp_path) == (
        [],
        [
            Skipped("empty.md", "empty file"),
            Skipped("gone.txt", "broken symlink"),
            Skipped("loop.txt", "symlink loop"),
            Skipped("pipe.txt", "not a regular file (a named pipe)"),
        ],
    )


def test_an_empty_file_given_by_itself_loads_as_empty_so_its_old_chunks_go(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.txt", b"")
    assert find_files(path) == ([path], [])
    assert load_file(path, "notes.txt").text == ""
