"""The shared mode behind the reverse proxy of docs/operations.md, for real: nginx in front of two app servers.

nginx (Debian's package, started by the test in the foreground on a loopback port, no system service) runs
the `upstream` and `server` blocks of the page's nginx example, with the two app servers' addresses in place
of 10.0.0.3 and 10.0.0.4 and plain HTTP in place of `listen 443 ssl`, so a change to the page that stops the
proxy working fails here. Its access log names the app server (`$upstream_addr`) of every request. The app
servers are two `qa serve` processes with data directories of their own over one PostgreSQL database and one
Chroma server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pg_cluster import fresh_database
from playwright.sync_api import Browser
from ui_driver import LONG, ask, free_port, stop, wait_until

REPO = Path(__file__).resolve().parents[2]
QUESTION = "When did Haftar announce his offensive on Tripoli?"  # answered by the seed document
PASSWORD = "alice-s3cret-pass"
START_SECONDS = 300  # a bound for two servers loading their models on a busy machine, not an expected time
FORWARDED = "127.0.0.2"  # a client address other than the proxy's own (loopback is all of 127/8)
LOG_FORMAT = "$proxy_host|$upstream_addr|$status|$request_method $uri|$remote_addr"


@dataclass(frozen=True)
class LoggedRequest:
    """One line of the proxy's access log."""

    upstream_group: str  # qa_api or qa_chat: which `location` sent it
    upstream: str  # the app server that answered, host:port
    status: int
    request: str  # "GET /login"
    client: str


@dataclass(frozen=True)
class Proxied:
    """nginx on `url` in front of the app servers at `upstreams`, and where to read what happened."""

    url: str
    upstreams: tuple[str, str]
    access_log: Path
    server_logs: tuple[Path, Path]
    key: str  # alice's API key
    source: str  # the document that answers QUESTION

    def requests_after(self, mark: int, until: Callable[[list[LoggedRequest]], bool] = bool) -> list[LoggedRequest]:
        """The requests the proxy logged after `mark` (a size of the access log), once `until` holds of them:
        nginx logs a request just after its response is sent."""
        wait_until(lambda: until(self._logged(mark)), 60)
        return self._logged(mark)

    def _logged(self, mark: int) -> list[LoggedRequest]:
        with self.access_log.open("rb") as log:
            log.seek(mark)
            lines = log.read().decode().rpartition("\n")[0].splitlines()  # whole lines only
        fields = [line.split("|") for line in lines]
        return [
            LoggedRequest(group, upstream, int(status), request, client)
            for group, upstream, status, request, client in fields
        ]

    def mark(self) -> int:
        """The access log's size now, for `requests_after`."""
        return self.access_log.stat().st_size


def documented_proxy() -> str:
    """The nginx example of docs/operations.md (the `upstream` and `server` blocks)."""
    page = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", page, re.DOTALL)
    assert len(blocks) == 1, "docs/operations.md should have one nginx example"
    return str(blocks[0])


def nginx_config(root: Path, port: int, upstreams: tuple[str, str]) -> str:
    """The documented blocks on loopback `port` over `upstreams`, with logs and temporary files in `root`."""
    block = documented_proxy()
    for documented, real in [("10.0.0.3:8000", upstreams[0]), ("10.0.0.4:8000", upstreams[1]), ("listen 443 ssl;", "")]:
        assert documented in block, f"the nginx example no longer has {documented!r}: update this test with it"
        block = block.replace(documented, real or f"listen 127.0.0.1:{port};")
    temp = "\n".join(
        f"    {kind}_temp_path {root / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        ("user root;\n" if os.geteuid() == 0 else "")  # else workers run as nobody, who cannot read the folder
        + "worker_processes 1;\nevents { worker_connections 256; }\nhttp {\n"
        + f"    log_format upstreams '{LOG_FORMAT}';\n    access_log {root / 'access.log'} upstreams;\n{temp}\n"
        + block
        + "}\n"
    )


def nginx_binary() -> str:
    """Debian's nginx (in /usr/sbin, which is not on every PATH); skips the test when it is not installed."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        pytest.skip("nginx is not installed: apt-get install nginx (CI installs it)")
    return found


@contextmanager
def running(command: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """`command` in the background, its output in `log`, until the block ends (SIGINT, then SIGKILL)."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, env=env)
    try:
        yield process
    finally:
        stop(process)


def answers(url: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    """Whether `url` answers 200; fails when `process` has stopped, showing its log."""
    assert process.poll() is None, f"{process.args!r} stopped:\n{log.read_text(errors='replace')[-3000:]}"
    try:
        return httpx.get(url, timeout=5, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def qa_cli(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    """Run `qa ARGS`; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args], input=stdin, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, f"qa {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def serve_both(stack: ExitStack, root: Path, env: dict[str, str]) -> tuple[str, str]:
    """`qa serve` app servers A and B (data directories `root/a`, `root/b`) until `stack` closes; their addresses."""
    ports = free_port(), free_port()
    servers = []
    for name, port in zip("ab", ports, strict=True):
        command = [sys.executable, "-m", "cli.main", "--data-dir", str(root / name), "serve"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        log = root / f"{name}.log"
        servers.append((stack.enter_context(running(command, log, env)), f"http://127.0.0.1:{port}/healthz", log))
    for process, health, log in servers:  # both start at once: waiting for A gives B its time too
        wait_until(lambda: answers(health, process, log), START_SECONDS)  # noqa: B023
    return f"127.0.0.1:{ports[0]}", f"127.0.0.1:{ports[1]}"


@contextmanager
def nginx(root: Path, upstreams: tuple[str, str]) -> Iterator[str]:
    """nginx in the foreground with `nginx_config`, its files in `root`, until the block ends; yields its URL."""
    binary, port = nginx_binary(), free_port()
    (root / "nginx.conf").write_text(nginx_config(root, port, upstreams), encoding="utf-8")
    command = [binary, "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(root / "error.log")]
    command += ["-g", f"daemon off; pid {root / 'nginx.pid'};"]
    with running(command, root / "nginx.out") as proxy:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(url + "/healthz", proxy, root / "error.log"), 60)
        yield url


@pytest.fixture(scope="module")
def proxied(postgres_server: str, chroma_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    """The operations page's steps: the seeds ingested and alice made through app server A, A and B serving
    one database and one Chroma server, nginx in front of both."""
    nginx_binary()  # skip before starting anything
    root = tmp_path_factory.mktemp("reverse-proxy")
    (root / "docs").mkdir()
    for seed in (REPO / "seeds").glob("*.txt"):  # as conftest's copy_seeds: the seed documents, not the questions
        shutil.copy(seed, root / "docs" / seed.name)
    with ExitStack() as stack:
        env = {
            **os.environ,
            "QA_DATABASE_URL": stack.enter_context(fresh_database(postgres_server)),
            "QA_CHROMA_URL": chroma_server,
            "FORWARDED_ALLOW_IPS": "127.0.0.1",  # the proxy's address: its X-Forwarded-For is trusted
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
        }
        a = ["--data-dir", str(root / "a")]
        qa_cli([*a, "ingest", "-q", str(root / "docs")], env)
        qa_cli([*a, "users", "add", "alice", "--password-stdin"], env, PASSWORD + "\n")
        key = qa_cli([*a, "keys", "add", "alice"], env).strip()
        upstreams = serve_both(stack, root, env)
        url = stack.enter_context(nginx(root, upstreams))
        source = next((root / "docs").glob("*.txt")).name
        yield Proxied(url, upstreams, root / "access.log", (root / "a.log", root / "b.log"), key, source)


def test_api_requests_through_the_proxy_are_answered_with_citations_by_both_app_servers_in_turn(
    proxied: Proxied,
) -> None:
    mark = proxied.mark()
    headers = {"Authorization": f"Bearer {proxied.key}"}
    with httpx.Client(base_url=proxied.url, headers=headers, timeout=120, trust_env=False) as client:
        for _ in range(6):
            body = {"model": "extractive", "messages": [{"role": "user", "content": QUESTION}]}
            reply = client.post("/v1/chat/completions", json=body)
            assert reply.status_code == 200, reply.text
            citations = reply.json()["choices"][0]["message"]["citations"]
            assert citations and citations[0]["source"] == proxied.source
    served = proxied.requests_after(mark, lambda logged: len(logged) == 6)
    assert {(r.upstream_group, r.request, r.status) for r in served} == {("qa_api", "POST /v1/chat/completions", 200)}
    assert Counter(r.upstream for r in served) == dict.fromkeys(proxied.upstreams, 3)  # round robin


def test_a_person_logs_in_and_chats_through_the_proxy_and_the_whole_page_stays_on_one_app_server(
    proxied: Proxied, browser: Browser
) -> None:
    mark = proxied.mark()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(proxied.url + "/")
        page.fill("#username", "alice")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.locator("#question textarea").wait_for(timeout=LONG)
        ask(page, QUESTION, 0)  # the answer arrives on Gradio's event stream, through the proxy
        assert page.locator("#chat .message.bot").last.locator("a.qa-cite").count() >= 1
        assert page.locator("#cite-0-1 .qa-file").inner_text() == proxied.source
    finally:
        context.close()  # the event stream ends, and nginx logs it
    requests = proxied.requests_after(mark, lambda logged: any("/queue/data" in r.request for r in logged))
    assert {"POST /login"} <= {r.request for r in requests} and {r.upstream_group for r in requests} == {"qa_chat"}
    assert len({r.upstream for r in requests}) == 1, Counter(r.upstream for r in requests)  # ip_hash


def test_a_failed_login_through_the_proxy_is_attributed_to_the_forwarded_client_address(proxied: Proxied) -> None:
    mark = proxied.mark()
    transport = httpx.HTTPTransport(local_address=FORWARDED)  # a client that is not the proxy's address
    with httpx.Client(transport=transport, trust_env=False, timeout=60) as client:
        form = {"username": "mallory", "password": "not the password"}
        refused = client.post(proxied.url + "/login", data=form, headers={"Accept": "application/json"})
    assert refused.status_code == 400
    forwarded = proxied.requests_after(mark, lambda logged: any(r.client == FORWARDED for r in logged))
    assert [(r.request, r.client) for r in forwarded if r.client != "127.0.0.1"] == [("POST /login", FORWARDED)]
    # logged (stderr, line-buffered) before the refusal was sent: as the throttle counted it
    logged = [line for log in proxied.server_logs for line in log.read_text().splitlines() if "mallory" in line]
    assert logged == [
        f"login failed for unknown account 'mallory' from {FORWARDED} (1 failures for the account, 1 from the address)"
    ], logged
