"""API keys in both modes: the keys file, or the shared database's table; only hashes kept, revocation at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from people import rows, settings_of

from access.accounts import AccountError
from access.api_keys import Keys, digest, keys_file, keys_store
from qa.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, people_db: str | None) -> Settings:
    return settings_of(tmp_path / "qa", people_db)


@pytest.fixture
def store(settings: Settings) -> Keys:
    return keys_store(settings)


def stored(settings: Settings) -> str:
    """Everything kept of the keys, as text: the file, or the table's rows."""
    if settings.database_url:
        return str(rows(settings.database_url, "SELECT * FROM api_keys"))
    return keys_file(settings).read_text(encoding="utf-8")


def test_a_key_verifies_as_its_user_and_only_its_hash_is_kept(settings: Settings, store: Keys) -> None:
    record, token = store.create("alice", "laptop")
    assert store.verify(token) == record and record.user == "alice" and record.label == "laptop"
    assert store.verify(token[:-4] + "AAAA") is None and store.verify("qa_00000000_" + "A" * 43) is None
    assert token not in stored(settings) and digest(token) in stored(settings)


def test_keys_are_listed_oldest_first_by_user_and_revoked_by_id_or_whole_key(settings: Settings, store: Keys) -> None:
    first, token = store.create("alice")
    second, _ = store.create("bob", "script")
    third, third_token = store.create("alice", "phone")
    oldest_first = sorted([first, second, third], key=lambda k: (k.created, k.id))  # the same second: by id
    assert store.keys() == oldest_first and store.keys("alice") == [k for k in oldest_first if k.user == "alice"]
    assert store.keys("carol") == []
    other_process = keys_store(settings)
    assert other_process.revoke(first.id.upper()) == first
    assert other_process.revoke(third_token) == third
    assert store.verify(token) is None and store.verify(third_token) is None and store.keys() == [second]
    with pytest.raises(AccountError, match="no API key '0badc0de'"):
        store.revoke("0badc0de")


def test_a_label_must_be_printable_and_short(store: Keys) -> None:
    for label in ("a\nb", "x" * 201):
        with pytest.raises(AccountError, match="printable"):
            store.create("alice", label)
    assert store.keys() == []
