"""The server's own secret: one random key, made on first use, that everything signed for later is signed with.

Everything the server signs for later is signed with a key derived from it (`derived_key(settings,
"sessions")`), so that logins and the signatures on answers given to a user survive a restart, and every
process serving the same data directory agrees. By default the key is a file of the data directory
(`server.key`, mode 0600); deleting it ends every session at the next start.

In the shared mode (`QA_DATABASE_URL`) every app server must sign and check with the same key, so it is a row
of the database's `server_secrets` table instead (name 'server'), made by the first app server to start. The
table belongs to the role the app servers connect as and is readable by that role only: nothing is granted on
it, and PUBLIC's rights are revoked; grant it to no other role, as you would not share the file. Deleting the
row (`DELETE FROM server_secrets WHERE name = 'server'`) ends every session once the app servers restart.
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

from access.database import Database
from qa.errors import ConfigError
from qa.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE = "server.key"


def server_key(where: Settings | Path) -> bytes:
    """The key of `where`: settings (the shared database's when `database_url` is set, else their data
    directory's), or a data directory. Read, or made (32 random bytes) when there is none.

    Raises:
        ConfigError: the key cannot be read or written, or what holds it is not a key.
    """
    if isinstance(where, Path):
        return file_key(where)
    if where.database_url:
        db = Database(where.database_url)
        try:
            return database_key(db)
        finally:
            db.close()
    return file_key(where.data_dir)


def derived_key(where: Settings | Path, purpose: str) -> bytes:
    """A key for one purpose ("sessions", "answers"...), derived from the server key of `where`."""
    return derive(server_key(where), purpose)


def derive(key: bytes, purpose: str) -> bytes:
    """The key for `purpose` derived from the server key `key`."""
    return hmac.new(key, purpose.encode("utf-8"), hashlib.sha256).digest()


def database_key(db: Database) -> bytes:
    """The shared database's key (`server_secrets`, name 'server'): read, or made when there is none; two app
    servers starting at once get the same one.

    Raises:
        ConfigError: the row holds no key.
    """
    made = secrets.token_hex(32)
    rows = db.rows(
        "INSERT INTO server_secrets (name, value) VALUES ('server', %s) "
        "ON CONFLICT (name) DO UPDATE SET value = server_secrets.value RETURNING value",
        (made,),
    )
    return _checked(rows[0][0], "the server_secrets table of the shared database (name 'server')")


def file_key(data_dir: Path) -> bytes:
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
    return _checked(text, str(path))


def _checked(text: str, where: str) -> bytes:
    """The key written as hex digits in `text`. Raises ConfigError, naming `where`, when it is not one."""
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigError(f"{where}: not a server key (expected hex digits); delete it to make a new one")
    return key


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
