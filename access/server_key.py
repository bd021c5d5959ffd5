"""The server's own secret: one random key in the data directory (`server.key`, mode 0600), made on first use.

Everything the server signs for later is signed with a key derived from it (`derived_key(data_dir,
"sessions")`), so that logins and the signatures on answers given to a user survive a restart, and every
process serving the same data directory agrees. Deleting the file ends every session at the next start.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
import tempfile
from contextlib import suppress
from pathlib import Path

from qa.errors import ConfigError

log = logging.getLogger(__name__)

KEY_FILE = "server.key"


def server_key(data_dir: Path) -> bytes:
    """The data directory's key: read, or made (32 random bytes, hex, mode 0600) when there is none.

    Raises:
        ConfigError: the key cannot be read or written, or the file is not a key.
    """
    path = data_dir / KEY_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create(path)
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("%s was readable by others (mode %o): made 0600", path, mode)
            path.chmod(0o600)
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: the server key cannot be read or made: {err}") from err
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigError(f"{path}: not a server key (expected hex digits); delete it to make a new one")
    return key


def derived_key(data_dir: Path, purpose: str) -> bytes:
    """A key for one purpose ("sessions", "answers"...), derived from the server key."""
    return hmac.new(server_key(data_dir), purpose.encode("utf-8"), hashlib.sha256).digest()


def _create(path: Path) -> None:
    """Put a new key at `path` unless a file is there: written beside it, then linked into place, so that a
    process starting at the same time never reads a half-written key and two processes make one key."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
