"""The README is the front door and docs/ the rooms: short, every link resolves, every page reachable.

Plain file reading, no network: http(s) and mailto links are left alone, #anchors are stripped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
MAX_README_LINES = 320

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
# [text](target) and ![alt](target), with an optional "title" after the target.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def links(path: Path) -> list[str]:
    """The link targets of a markdown file, outside code blocks and code spans."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    text = CODE_SPAN.sub("", text)
    return LINK.findall(text)


def local_target(source: Path, target: str) -> Path | None:
    """The file a relative link points at, or None for an external link or an anchor on the same page."""
    if EXTERNAL.match(target):
        return None
    path = target.split("#", 1)[0].split("?", 1)[0]
    if not path:
        return None
    return (source.parent / path).resolve()


def test_the_docs_folder_has_pages() -> None:
    assert pages(), "docs/ holds no .md page"


def test_the_readme_stays_short() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, (
        f"README.md has {len(lines)} lines (at most {MAX_README_LINES}): move detail to a page in docs/"
    )


@pytest.mark.parametrize("path", [README, *pages()], ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(path: Path) -> None:
    broken = [
        target
        for target in links(path)
        if (resolved := local_target(path, target)) is not None and not resolved.exists()
    ]
    assert not broken, f"{path.relative_to(ROOT)}: links to missing files: {broken}"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {local_target(README, target) for target in links(README)}
    missing = [page.relative_to(ROOT).as_posix() for page in pages() if page.resolve() not in linked]
    assert not missing, f"README.md does not link to: {missing}"


def test_the_link_reader_finds_links_and_skips_code(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        'See [a](a.md#top), ![img](pics/b.png "B") and [web](https://example.com).\n'
        "`[not](code.md)`\n\n```md\n[not](fenced.md)\n```\n",
        encoding="utf-8",
    )
    assert links(page) == ["a.md#top", "pics/b.png", "https://example.com"]
    assert local_target(page, "a.md#top") == (tmp_path / "a.md").resolve()
    assert local_target(page, "https://example.com") is None
    assert local_target(page, "#section") is None
