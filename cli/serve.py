"""`qa serve`: the HTTP API and the chat UI on one port, in `serve.workers` processes (default: one per core).

    qa serve [--host 127.0.0.1] [--port 8000] [--workers N] [--no-ui] [--access-log]

Indexes the seeds first when the index is empty, as `qa ui` does. With one worker, one process serves the
API and the UI. With more, uvicorn runs that many API workers over the one data directory, and the UI runs
in one more process that the workers forward its requests to (`api.ui_proxy`).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qa.errors import ConfigError, QAError
from qa.service import QA

UI_START_SECONDS = 180


def add_serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `qa serve` to the subcommands in `sub`."""
    serve = sub.add_parser("serve", help="the HTTP API (OpenAI-compatible and REST) with the chat UI at /")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default: the number of cores)")
    serve.add_argument("--no-ui", action="store_true", help="the API only, no chat UI at /")
    serve.add_argument("--access-log", action="store_true", help="log every request")


def run_serve(qa: QA, args: argparse.Namespace) -> int:
    """`qa serve`: index the seeds if the index is empty, then serve until interrupted."""
    try:
        import uvicorn
    except ImportError as err:
        raise QAError(f"the HTTP API needs its extra ({err.name} is missing): pip install -e '.[api]'") from err
    serve = qa.settings.serve
    host, port, workers = args.host or serve.host, args.port or serve.port, args.workers or serve.workers
    if workers < 1:
        raise ConfigError(f"--workers: must be at least 1, got {workers}")
    ui = serve.ui and not args.no_ui
    if ui and importlib.util.find_spec("gradio") is None:
        raise QAError("the chat UI needs gradio: pip install -e '.[ui]', or serve the API alone with --no-ui")
    if not qa.sources():
        print(f"the index is empty: ingesting {qa.settings.seeds_dir}", file=sys.stderr)
        print(qa.ingest()[0].summary(), file=sys.stderr)
    print(qa.embedder.choice.describe(), file=sys.stderr)
    print(
        f"HTTP API on http://{host}:{port}/v1 (docs at /docs{', chat UI at /' if ui else ''}); "
        f"{workers} worker{'s' if workers > 1 else ''} (Ctrl+C to stop)",
        file=sys.stderr,
    )
    os.environ["QA_DATA_DIR"] = str(qa.settings.data_dir.resolve())  # the workers build their settings from QA_*
    if qa.settings.database_url:  # given as --database-url
        os.environ["QA_DATABASE_URL"] = qa.settings.database_url
    os.environ["QA_SERVE__UI"] = "true" if ui else "false"
    options = {"host": host, "port": port, "access_log": args.access_log, "timeout_graceful_shutdown": 10}
    if workers == 1:
        from api.app import create_app

        uvicorn.run(create_app(qa, "mount" if ui else "none"), **options)
        return 0
    with ui_process(ui) as socket_path:
        if socket_path:
            os.environ["QASERVE_UI_SOCKET"] = socket_path
        uvicorn.run("api.app:app_from_env", factory=True, workers=workers, **options)
    return 0


@contextmanager
def ui_process(enabled: bool) -> Iterator[str | None]:
    """The chat UI in a process of its own on a Unix socket in a private folder; yields the socket's path."""
    if not enabled:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="qa-ui-"))  # mode 0700: only this user reaches the socket
    socket_path = str(folder / "ui.sock")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.app:ui_app_from_env",
        "--factory",
        "--uds",
        socket_path,
        "--forwarded-allow-ips",
        "*",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command)
    try:
        _wait_for_socket(process, socket_path)
        yield socket_path
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_socket(process: subprocess.Popen[bytes], socket_path: str) -> None:
    deadline = time.monotonic() + UI_START_SECONDS
    while not os.path.exists(socket_path):
        if process.poll() is not None:
            raise ConfigError(f"the chat UI process exited with {process.returncode} before serving; see above")
        if time.monotonic() > deadline:
            raise ConfigError(f"the chat UI process did not start within {UI_START_SECONDS} s")
        time.sleep(0.1)
