"""Moving people into the shared mode (`qa migrate --to ...`): the data directory's accounts (with their argon2
hashes: nobody sets a password again), API keys (their SHA-256: every key keeps working), votes, log-outs and
the server's secret (so sessions and signed answers stay valid) are copied into the shared database.

The tables must hold none of them yet; a users table is made only when there is a users file (login stays
off where it was off).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from access.accounts import AccountsFile, users_file
from access.api_keys import KeysFile, keys_file
from access.database import USERS, Database
from access.feedback import feedback_file
from access.server_key import KEY_FILE
from access.sessions import ENDED_FILE, EndedFile
from qa.errors import QAError
from qa.settings import Settings


@dataclass(frozen=True)
class PeopleReport:
    """What was copied."""

    users: int
    keys: int
    votes: int
    secret: bool


def migrate_people(settings: Settings, database_url: str) -> PeopleReport:
    """Copy the people of the data directory of `settings` into the database at `database_url`.

    Raises:
        QAError: the database already holds users, keys or votes.
    """
    db = Database(database_url)
    if db.rows("SELECT 1 FROM users LIMIT 1", missing_ok=True) or db.rows(
        "SELECT 1 FROM api_keys UNION ALL SELECT 1 FROM feedback LIMIT 1"
    ):
        raise QAError("the target database already holds users, API keys or votes: migrate into a new database")
    accounts = AccountsFile(users_file(settings))
    users = accounts.users() if accounts.exists() else []
    keys = KeysFile(keys_file(settings)).keys()
    votes = _votes(feedback_file(settings))
    key_path = settings.data_dir / KEY_FILE
    with db.transaction(USERS if accounts.exists() else "") as connection:
        for user in users:
            record = accounts.lookup(user.name)
            assert record is not None
            connection.execute(
                "INSERT INTO users (name, password_hash, groups, admin) VALUES (%s, %s, %s, %s)",
                (user.name, record.password_hash, sorted(user.groups), user.admin),
            )
        for key in keys:
            connection.execute(
                "INSERT INTO api_keys (id, username, label, created, sha256) VALUES (%s, %s, %s, %s, %s)",
                (key.id, key.user, key.label, key.created, key.sha256),
            )
        for vote in votes:
            connection.execute("INSERT INTO feedback (record) VALUES (%s)", (json.dumps(vote, ensure_ascii=False),))
        for name, at in EndedFile(settings.data_dir / ENDED_FILE).ended().items():
            connection.execute(
                "INSERT INTO sessions_ended (name, at) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET at = GREATEST(sessions_ended.at, EXCLUDED.at)",
                (name, at),
            )
        if key_path.is_file():
            connection.execute(
                "INSERT INTO server_secrets (name, value) VALUES ('server', %s) "
                "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                (key_path.read_text(encoding="ascii").strip(),),
            )
    return PeopleReport(len(users), len(keys), len(votes), key_path.is_file())


def _votes(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
