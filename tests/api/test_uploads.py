"""Uploads through the HTTP API lose nothing and say everything (issue 22, items 1 and 7), on a real server:
an upload with no text is refused and leaves nothing; a name is kept as given or refused with the reason;
uploads sent at once are all indexed; a failed replacement keeps the document it would have replaced."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from api_servers import Server

NAMES_KEPT = ["report <draft> |v2|.md", "bericht über größe.txt", "<img src=x onerror=alert(1)>.md"]


def http(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=120, trust_env=False)


def leftovers(server: Server, name: str) -> list[Path]:
    """Files under uploads/ that are, or are a staged copy of, `name` (nothing of a refused upload may stay)."""
    uploads = server.qa.settings.data_dir / "uploads"
    return [p for p in uploads.rglob("*") if p.is_file() and not p.name.endswith(".lock") and name in p.name]


@pytest.mark.parametrize("content", [b"", b"   \n\n  \n"], ids=["zero bytes", "blank"])
def test_an_upload_with_no_text_is_refused_and_leaves_nothing(open_server: Server, content: bytes) -> None:
    response = http(open_server).post("/v1/documents", files={"file": ("empty.md", content, "text/markdown")})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "file" and "'empty.md'" in error["message"] and "no text" in error["message"]
    assert "empty.md" not in open_server.qa.sources()
    assert leftovers(open_server, "empty.md") == []


@pytest.mark.parametrize("name", NAMES_KEPT)
def test_a_file_keeps_the_name_it_was_sent_with(open_server: Server, name: str) -> None:
    client = http(open_server)
    added = client.post("/v1/documents", files={"file": (name, b"The pier closes at ten in winter.", "text/plain")})
    assert added.status_code == 201, added.text
    assert added.json()["source"] == name and name in open_server.qa.sources()
    assert (open_server.qa.settings.data_dir / "uploads" / name).is_file()
    assert client.delete(f"/v1/documents/{httpx.URL(path=name).raw_path.decode()}").status_code == 200


@pytest.mark.parametrize(
    ("raw_name", "reason"),
    [
        (b"nul\x00byte.md", "control character (U+0000)"),
        (b"bell\x07.md", "control character (U+0007)"),
        ("zero\u200bwidth.md".encode(), "invisible or control character (U+200B)"),
        (b"sub/dir.md", "not a plain file name"),
        (b" padded.md", "starts or ends with a space"),
    ],
)
def test_a_name_that_cannot_be_kept_is_refused_with_the_reason_never_changed(
    open_server: Server, raw_name: bytes, reason: str
) -> None:
    """The multipart body is written by hand: clients such as httpx would escape the name before it is sent."""
    boundary = b"qa-test-boundary"
    body = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + raw_name + b'"\r\n'
        b"Content-Type: text/plain\r\n\r\nThe pier closes at ten.\r\n--" + boundary + b"--\r\n"
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary.decode()}"}
    before = set(open_server.qa.sources())
    response = http(open_server).post("/v1/documents", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == "file" and reason in response.json()["error"]["message"]
    assert set(open_server.qa.sources()) == before


def test_uploads_sent_at_once_are_all_indexed(open_server: Server) -> None:
    names = [f"tide_table_{n}.txt" for n in range(6)]

    def send(name: str) -> httpx.Response:
        text = f"Tide table {name}: high water at {name[-5]} o'clock.".encode()
        return http(open_server).post("/v1/documents", files={"file": (name, text, "text/plain")})

    with ThreadPoolExecutor(len(names)) as pool:
        responses = list(pool.map(send, names))
    assert [r.status_code for r in responses] == [201] * len(names), [r.text for r in responses]
    assert set(names) <= set(open_server.qa.sources())
    for name in names:
        assert http(open_server).delete(f"/v1/documents/{name}").status_code == 200


def test_a_failed_replacement_keeps_the_document_it_would_have_replaced(open_server: Server) -> None:
    client = http(open_server)
    good = b"The ferry to Grey Point leaves at seven."
    assert client.post("/v1/documents", files={"file": ("ferry.txt", good, "text/plain")}).status_code == 201
    emptied = client.post("/v1/documents", files={"file": ("ferry.txt", b"  \n", "text/plain")})
    assert emptied.status_code == 400 and "no text" in emptied.json()["error"]["message"]
    assert open_server.qa.sources()["ferry.txt"] == 1  # its passage is still indexed
    assert (open_server.qa.settings.data_dir / "uploads" / "ferry.txt").read_bytes() == good  # and its file kept
    assert leftovers(open_server, "ferry.txt") == [open_server.qa.settings.data_dir / "uploads" / "ferry.txt"]
    assert client.delete("/v1/documents/ferry.txt").status_code == 200
