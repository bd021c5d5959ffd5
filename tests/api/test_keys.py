"""API keys and permissions: each key acts exactly as its user; nobody's key reaches another's private documents."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from api_servers import Shared

from access.accounts import AccountsFile, accounts_store, users_file
from access.api_keys import KeysFile, digest, keys_file, keys_store
from access.permissions import ADMIN, User
from access.throttle import LoginThrottle
from api.auth import Gatekeeper
from api.errors import ApiError
from cli.main import main
from qa.settings import Settings, load_settings

MERGER = "How much will the company pay for Quillon in the Zephyr merger?"
WELDERS = "How many welders will the Zephyr plant hire in June?"
ALICE_MEMO, BOB_NOTE = "alice-private/memo.txt", "bob-private/note.txt"


def http(shared: Shared, user: str | None = None, key: str | None = None) -> httpx.Client:
    token = key or (shared.keys[user] if user else None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=shared.server.url, headers=headers, timeout=60, trust_env=False)


def reached(answer: dict[str, Any]) -> set[str]:
    """Every source an answer's passages or citations come from."""
    return {item["source"] for item in [*answer["passages"], *answer["citations"]]}


@pytest.fixture(autouse=True)
def fresh_throttle(shared_server: Shared) -> None:
    """Each test starts with no wrong keys counted against 127.0.0.1 (the server allows 3)."""
    accounts = shared_server.server.qa.settings.accounts
    throttle = LoginThrottle(accounts.max_failures, accounts.lockout_seconds, accounts.max_lockout_seconds)
    shared_server.server.app.state.gatekeeper.throttle = throttle


def test_without_a_key_every_v1_route_is_401_once_accounts_exist(shared_server: Shared) -> None:
    client = http(shared_server)
    for method, path in [
        ("GET", "/v1/models"),
        ("GET", "/v1/sources"),
        ("POST", "/v1/ask"),
        ("DELETE", "/v1/documents/x"),
    ]:
        response = client.request(method, path, json={"question": MERGER} if method == "POST" else None)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]["type"] == "authentication_error"
    assert client.get("/healthz").status_code == 200  # health needs no key and tells nothing about documents


def test_a_wrong_key_is_401(shared_server: Shared) -> None:
    wrong = shared_server.keys["alice"][:-4] + "AAAA"
    assert http(shared_server, key=wrong).get("/v1/sources").status_code == 401
    assert http(shared_server, key="not-a-key").get("/v1/sources").status_code == 401


def test_each_key_lists_only_what_its_user_may_read(shared_server: Shared) -> None:
    listed = {
        user: {s["source"] for s in http(shared_server, user).get("/v1/sources").json()["sources"]}
        for user in ("alice", "bob", "carol")
    }
    assert listed == {
        "alice": {"canteen.txt", ALICE_MEMO},
        "bob": {"canteen.txt", BOB_NOTE, "hr/policy.txt"},
        "carol": {"canteen.txt"},
    }


@pytest.mark.parametrize("retrieval", ["hybrid", "dense", "keyword"])
def test_a_key_for_alice_never_reaches_bobs_private_collection(shared_server: Shared, retrieval: str) -> None:
    alice, bob = http(shared_server, "alice"), http(shared_server, "bob")
    mine = alice.post("/v1/ask", json={"question": MERGER, "retrieval": retrieval}).json()
    assert "412 million" in mine["answer"] and ALICE_MEMO in reached(mine)
    for question in (WELDERS, MERGER, "Bob hiring note Zephyr plant welders June"):
        theirs = alice.post("/v1/ask", json={"question": question, "k": 10, "retrieval": retrieval}).json()
        assert BOB_NOTE not in reached(theirs) and "35 welders" not in theirs["answer"]
        bobs = bob.post("/v1/ask", json={"question": question, "k": 10, "retrieval": retrieval}).json()
        assert ALICE_MEMO not in reached(bobs) and "412 million" not in bobs["answer"]


def test_naming_another_users_source_is_404_as_for_a_missing_one(shared_server: Shared) -> None:
    response = http(shared_server, "alice").post("/v1/ask", json={"question": WELDERS, "sources": [BOB_NOTE]})
    assert response.status_code == 404 and response.json()["error"]["param"] == "sources"
    assert http(shared_server, "alice").delete(f"/v1/documents/{BOB_NOTE}").status_code == 404


def test_the_openai_client_with_alices_key_never_sees_bobs_note(shared_server: Shared) -> None:
    client = openai.OpenAI(base_url=f"{shared_server.server.url}/v1", api_key=shared_server.keys["alice"])
    for stream in (False, True):
        if stream:
            chunks = list(
                client.chat.completions.create(
                    model="extractive", messages=[{"role": "user", "content": WELDERS}], stream=True
                )
            )
            fields = dict(chunks[-1].choices[0].delta.model_extra or {})
        else:
            reply = client.chat.completions.create(model="extractive", messages=[{"role": "user", "content": WELDERS}])
            fields = dict(reply.choices[0].message.model_extra or {})
        assert BOB_NOTE not in {p["source"] for p in fields["passages"]} | {c["source"] for c in fields["citations"]}


def test_removing_a_document_of_a_collection_one_may_only_read_is_403(shared_server: Shared) -> None:
    response = http(shared_server, "alice").delete("/v1/documents/canteen.txt")  # public: alice reads, may not change
    assert response.status_code == 403 and response.json()["error"]["type"] == "permission_error"
    assert http(shared_server, "bob").delete("/v1/documents/hr/policy.txt").status_code == 403  # shared with bob
    assert "canteen.txt" in shared_server.server.qa.sources()


def test_a_user_uploads_into_their_own_collection_and_not_into_anothers(shared_server: Shared) -> None:
    alice = http(shared_server, "alice")
    files = {"file": ("budget.txt", b"The Zephyr budget for 2026 is 9 million euros.", "text/plain")}
    added = alice.post("/v1/documents", files=files, data={"collection": "alice-private"})
    assert added.status_code == 201 and added.json()["source"] == "alice-private/budget.txt"
    assert (
        http(shared_server, "bob").post("/v1/documents", files=files, data={"collection": "bob-private"}).status_code
        == 201
    )
    assert alice.post("/v1/documents", files=files, data={"collection": "bob-private"}).status_code == 403
    assert alice.post("/v1/documents", files=files, data={"collection": "default"}).status_code == 403  # admins only
    bobs = {s["source"] for s in http(shared_server, "bob").get("/v1/sources").json()["sources"]}
    assert "alice-private/budget.txt" not in bobs
    assert alice.delete("/v1/documents/alice-private/budget.txt").status_code == 200


def test_an_upload_naming_no_collection_goes_to_the_users_private_one_as_in_the_chat(shared_server: Shared) -> None:
    files = {"file": ("carols.txt", b"Carol's desk plant is watered on Fridays by the facilities team.", "text/plain")}
    added = http(shared_server, "carol").post("/v1/documents", files=files)
    assert added.status_code == 201 and added.json()["source"] == "carol-private/carols.txt"
    assert "carol-private/carols.txt" not in {
        s["source"] for s in http(shared_server, "alice").get("/v1/sources").json()["sources"]
    }
    assert http(shared_server, "carol").delete("/v1/documents/carol-private/carols.txt").status_code == 200


def test_a_revoked_key_or_a_removed_user_is_refused_at_once(shared_server: Shared) -> None:
    settings = shared_server.server.qa.settings
    keys = KeysFile(keys_file(settings))
    record, token = keys.create("carol", "short-lived")
    assert http(shared_server, key=token).get("/v1/sources").status_code == 200
    keys.revoke(record.id)
    assert http(shared_server, key=token).get("/v1/sources").status_code == 401
    _, token = keys.create("carol", "orphan")
    AccountsFile(users_file(settings)).remove("carol")
    try:
        assert http(shared_server, key=token).get("/v1/sources").status_code == 401
    finally:
        AccountsFile(users_file(settings)).add("carol", "carol-password")


def test_too_many_wrong_keys_from_one_address_is_429_but_a_valid_key_from_it_still_works(
    shared_server: Shared, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = http(shared_server, key="qa_00000000_" + "A" * 43)
    statuses = [wrong.get("/v1/sources").status_code for _ in range(4)]  # max_failures is 3 on this server
    assert statuses == [401, 401, 401, 429]
    refused = wrong.get("/v1/sources")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["type"] == "rate_limit_error"
    # one client guessing behind a shared (NAT) address never locks out the others: issue 22, item 4
    assert http(shared_server, "alice").get("/v1/sources").status_code == 200
    assert http(shared_server, "bob").get("/v1/sources").status_code == 200
    assert any("invalid key from 127.0.0.1 refused" in r.getMessage() for r in caplog.records)  # still logged


def test_keys_are_shown_once_and_stored_only_as_hashes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    AccountsFile(data / "users.json").add("dave", "dave-password")
    assert main(["--data-dir", str(data), "keys", "add", "dave", "--label", "laptop"]) == 0
    token = capsys.readouterr().out.strip()
    path = data / "api-keys.json"
    stored = path.read_text(encoding="utf-8")
    assert token not in stored and digest(token) in stored
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key_id = next(iter(json.loads(stored)["keys"]))
    assert main(["--data-dir", str(data), "keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and "dave" in listing and "laptop" in listing and token not in listing
    assert main(["--data-dir", str(data), "keys", "revoke", key_id]) == 0
    assert KeysFile(path).verify(token) is None


NO_CHROMA = "http://127.0.0.1:1"  # the shared mode names a Chroma server; the API keys never contact it


def app_server(data_dir: Path, database_url: str | None) -> Settings:
    """One app server's settings: the local mode, or the shared mode over `database_url`."""
    shared = {"database_url": database_url, "chroma_url": NO_CHROMA} if database_url else {}
    return load_settings(data_dir=data_dir, **shared)


@pytest.mark.parametrize("shared", [False, True], ids=["files", "database"])
def test_a_key_needs_an_existing_user_and_login_on(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    shared: bool,
) -> None:
    data = tmp_path / "data"
    database_url = request.getfixturevalue("database_url") if shared else None
    mode = ["--database-url", database_url] if database_url else []
    if shared:
        monkeypatch.setenv("QA_CHROMA_URL", NO_CHROMA)
    assert main(["--data-dir", str(data), *mode, "keys", "add", "dave"]) == 2  # no accounts: login off, no key needed
    assert "login is off" in capsys.readouterr().err
    accounts_store(app_server(data, database_url)).add("dave", "dave-password")
    assert main(["--data-dir", str(data), *mode, "keys", "add", "erin"]) == 2
    assert "no user 'erin'" in capsys.readouterr().err
    assert main(["--data-dir", str(data), *mode, "keys", "add", "dave"]) == 0
    token = capsys.readouterr().out.strip()
    assert keys_store(app_server(data, database_url)).verify(token) is not None
    elsewhere = keys_store(app_server(tmp_path / "elsewhere", database_url)).verify(token)
    assert (elsewhere is not None) is shared  # another machine knows the key only through the shared database


def test_two_app_servers_on_one_database_share_login_and_keys(tmp_path: Path, database_url: str) -> None:
    one, two = app_server(tmp_path / "one", database_url), app_server(tmp_path / "two", database_url)
    first, second = Gatekeeper(one), Gatekeeper(two)
    assert first.user(None, "127.0.0.1") == ADMIN and second.user(None, "127.0.0.1") == ADMIN  # login off
    accounts_store(two).add("dave", "dave-password")  # `qa users add dave` on the second machine
    with pytest.raises(ApiError) as refused:
        first.user(None, "127.0.0.1")
    assert refused.value.status == 401
    record, token = keys_store(one).create("dave")  # `qa keys add dave` on the first
    assert second.user(f"Bearer {token}", "127.0.0.1") == User("dave")
    keys_store(two).revoke(record.id)
    with pytest.raises(ApiError):
        first.user(f"Bearer {token}", "127.0.0.1")
