"""Plain text (.txt): bytes decoded as a reader would expect them, titled by a short first line.

Decoding never fails: a BOM, BOM-less UTF-16, UTF-8 (kept when mostly valid), then cp1252 or
Latin-1. A NUL byte outside UTF-16 means binary data, which discovery skips and loading refuses.
Markdown (`index.formats.markdown`) reads its text the same way.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from index.formats.base import LoadError, Parsed

SNIFF_BYTES = 8192  # binary data and BOM-less UTF-16 are recognised from this many first bytes
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_TITLE_LINES = 50  # a plain-text title is looked for in the first lines only
_TITLE_CHARS = 8192  # ... and in their first characters, so that a huge file is never split whole
_MAX_TITLE_CHARS = 120


def load_text(path: Path) -> Parsed:
    """Read a plain-text file; its title is its first line if that is short and not a sentence."""
    text = read_text(path)
    return Parsed(text, title=_plain_title(text))


def read_text(path: Path) -> str:
    """Decode a text file, with "\\n" line ends.

    Raises:
        LoadError: the file holds binary data.
    """
    data = path.read_bytes()
    if _is_binary(data):
        raise LoadError(str(path), "binary data (NUL bytes) in a text file")
    return decode(data).replace("\r\n", "\n").replace("\r", "\n")


def binary_reason(path: Path) -> str | None:
    """Why discovery skips a text file from its first bytes ("binary data in a text file"), or None."""
    try:
        with path.open("rb") as handle:
            binary = _is_binary(handle.read(SNIFF_BYTES))
    except OSError:
        return None  # load_file will report the read error
    return "binary data in a text file" if binary else None


def decode(data: bytes) -> str:
    """Decode text bytes: BOM, BOM-less UTF-16, UTF-8 (mostly valid), cp1252, latin-1 (never fails)."""
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig", errors="replace")
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    codec = _utf16_codec(data) if b"\x00" in data[:SNIFF_BYTES] else None
    if codec:
        return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    valid_bytes = len(data) - len(_UTF8_SEQUENCE.sub(b"", data))  # bytes in well-formed multi-byte characters
    if valid_bytes > text.count("\ufffd"):  # UTF-8 with some bad bytes: keep the good characters
        return text
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _is_binary(data: bytes) -> bool:
    sample = data[:SNIFF_BYTES]
    return b"\x00" in sample and not sample.startswith(_UTF16_BOMS) and _utf16_codec(sample) is None


def _utf16_codec(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for BOM-less UTF-16 of mostly Latin text, else None."""
    sample = data[: min(len(data), SNIFF_BYTES) // 2 * 2]
    half = len(sample) // 2
    if half < 2:
        return None
    for codec, high, low in (("utf-16-le", sample[1::2], sample[0::2]), ("utf-16-be", sample[0::2], sample[1::2])):
        if high.count(0) < 0.3 * half or low.count(0) > half // 100:
            continue
        text = sample.decode(codec, errors="replace")
        shown = sum(1 for ch in text if ch.isprintable() or ch in "\t\n\r")
        if text.count("\ufffd") <= 1 and shown >= 0.95 * len(text):
            return codec
    return None


def _plain_title(text: str) -> str | None:
    head = text[:_TITLE_CHARS].split("\n", _TITLE_LINES)[:_TITLE_LINES]
    first = next((line.strip() for line in head if line.strip()), "")
    if first and len(first) <= _MAX_TITLE_CHARS and not first.endswith((".", "!", "?", ":")):
        return first
    return None
