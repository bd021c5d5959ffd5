"""HTTP API fixtures: real servers on loopback (uvicorn in a thread) over real indexes in temporary folders.

- `open_server`: login off (no users file), the seeds indexed, the chat UI mounted, a fake LLM for mode "llm".
- `shared_server`: accounts alice, bob (group hr) and carol with an API key each; private collections for
  alice and bob, an hr collection shared with the hr group, and the public default collection.

Servers are started once per module and waited for through `/healthz`, never a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_servers import (
    QUESTION,
    SEEDS,
    Server,
    Shared,
    ThreadedServer,
)
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from samples import ingest_four_owners

from access.accounts import AccountsFile, users_file
from access.api_keys import KeysFile, keys_file
from qa import QA


@pytest.fixture(scope="module")
def serve() -> Iterator[type[ThreadedServer]]:
    """Start servers that stop at the end of the module."""
    ThreadedServer.running = []
    yield ThreadedServer
    for server in ThreadedServer.running:
        server.stop()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory, serve: type[ThreadedServer]) -> Server:
    """Login off, the seeds indexed, the chat UI mounted; "llm" answers with a fake chat model's canned reply."""
    root = tmp_path_factory.mktemp("api-open")
    seeded = QA(data_dir=root / "index", ui={"max_upload_mb": 0.05})
    seeded.ingest(SEEDS)
    rank = next(p.rank for p in seeded.retrieve(QUESTION) if "April 4" in p.chunk.text)
    fake = FakeListChatModel(responses=[f"Haftar announced the offensive on April 4 [{rank}]."])
    return serve.start(QA(settings=seeded.settings, chat_model=fake), ui=True)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory, serve: type[ThreadedServer]) -> Shared:
    """Accounts alice and bob (group hr), a key each; private collections, an hr one and the public default."""
    root = tmp_path_factory.mktemp("api-shared")
    qa = QA(data_dir=root / "index", accounts={"max_failures": 3})
    accounts = AccountsFile(users_file(qa.settings))
    accounts.add("alice", "alice-password")
    accounts.add("bob", "bob-password", groups=["hr"])
    accounts.add("carol", "carol-password")
    ingest_four_owners(qa, root)
    keys = KeysFile(keys_file(qa.settings))
    tokens = {name: keys.create(name, "tests")[1] for name in ("alice", "bob", "carol")}
    return Shared(serve.start(qa), tokens)
