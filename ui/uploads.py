"""Uploads from the chat: queued at once, indexed one at a time in the background, each with its state.

A person may choose several files together, or more while others are indexing: every file becomes a job
(waiting, indexing, done or failed, with the reason), none is dropped. A job's file is moved out of
Gradio's cache into `DATA_DIR/uploads/.queue/<job>/` with a small record beside it as soon as it
arrives, so a job survives a restart of the server (waiting jobs are picked up again at start) and
Gradio's cache cleaning. Indexing is `qa.uploads.UploadDesk`, as for the HTTP API: the file keeps the name
the person gave it (Gradio's own copy may have another: Gradio strips some characters) or is refused
with the reason, and nothing already indexed is lost. A logged-in user uploads to their own private
collection (`alice-private`, made on their first upload) unless they choose another they may change.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from gradio.utils import get_upload_folder

from access.permissions import User, may_change
from qa.errors import IngestError, QAError
from qa.service import QA
from qa.uploads import UploadDesk, check_name, default_collection

log = logging.getLogger(__name__)

State = Literal["waiting", "indexing", "done", "failed"]
QUEUE = ".queue"  # inside DATA_DIR/uploads
KEEP_FINISHED = 20  # finished jobs shown per user
BUSY_RETRY_SECONDS = 2.0  # a job waits this long between tries while another ingest holds the index


def passages(count: int) -> str:
    """ "1 passage", "2 passages"."""
    return f"{count} passage" if count == 1 else f"{count} passages"


@dataclass
class Job:
    """One uploaded file on its way into the index."""

    id: str
    user: str
    name: str
    collection: str
    state: State = "waiting"
    message: str = ""
    created: float = field(default_factory=time.time)

    @property
    def finished(self) -> bool:
        """Whether the job is done or failed."""
        return self.state in ("done", "failed")


class UploadQueue:
    """The chat's uploads of one engine: jobs per user, and one worker thread indexing them in order."""

    def __init__(self, qa: QA, users: Callable[[str], User], upload_folder: str | None = None) -> None:
        """Queue uploads for `qa`; `users(name)` is the `User` a job acts for (raises if they are gone);
        files are accepted only from Gradio's `upload_folder`."""
        self.qa = qa
        self.users = users
        self.desk = UploadDesk(qa)
        self.folder = self.desk.folder / QUEUE
        self.upload_folder = Path(upload_folder or get_upload_folder()).resolve()
        self._jobs: dict[str, Job] = {}
        self._waiting: deque[str] = deque()
        self._changed = threading.Condition()
        self._worker: threading.Thread | None = None
        self._resume()

    def targets(self, user: User, login: bool) -> list[str]:
        """The collections `user` may upload to, the default target first."""
        names = sorted(c.name for c in self.qa.library.collections(user) if may_change(user, c))
        first = default_collection(user, login)
        return [first, *(n for n in names if n != first)]

    def submit(self, path: Path, given_name: str | None, collection: str, user: User) -> Job:
        """Queue one file Gradio received into `collection` (checked: see `UploadDesk.collection`);
        `given_name` is the name the person's file had. A job that failed at once says why (a file that
        was not uploaded here, a name or size refused)."""
        name = given_name or path.name
        job = Job(uuid.uuid4().hex[:16], user.name, name, collection)
        try:
            if not self._arrived(path):
                raise QAError(f"file: {name!r} was not uploaded here")
            check_name(name)
            if not path.is_file():
                raise QAError(f"file: {name!r} is gone from the server's upload folder: upload it again")
            self.desk.check_size(name, path.stat().st_size)
            folder = self.folder / job.id
            folder.mkdir(parents=True)
            shutil.move(path, folder / "file")
            _forget_folder(path.parent, self.upload_folder)
            (folder / "job.json").write_text(json.dumps(asdict(job)), encoding="utf-8")
        except (QAError, OSError) as err:
            self.discard(path)
            job.state, job.message = "failed", _reason(err, name)
            log.warning("upload of %r by %s refused: %s", name, user.name, job.message)
        with self._changed:
            self._jobs[job.id] = job
            if job.state == "waiting":
                self._waiting.append(job.id)
                self._start()
            self._changed.notify_all()
        return job

    def jobs(self, user: str) -> list[Job]:
        """`user`'s jobs, oldest first: every unfinished one and the last finished ones."""
        with self._changed:
            mine = [job for job in self._jobs.values() if job.user == user]
        finished = [job for job in mine if job.finished][-KEEP_FINISHED:]
        return [job for job in mine if not job.finished or job in finished]

    def place(self, job: Job) -> int:
        """How many jobs (anyone's) are ahead of a waiting `job` in the queue."""
        with self._changed:
            return list(self._waiting).index(job.id) if job.id in self._waiting else 0

    def wait_idle(self, timeout: float) -> bool:
        """Block until no job is waiting or indexing (True), or `timeout` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while any(not job.finished for job in self._jobs.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def _start(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="qa-uploads", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            with self._changed:
                if not self._waiting:
                    self._worker = None
                    return
                job = self._jobs[self._waiting[0]]
                job.state = "indexing"
                self._changed.notify_all()
            self._index(job)
            with self._changed:
                self._waiting.popleft()
                self._changed.notify_all()

    def _index(self, job: Job) -> None:
        """Index one job's file; its state says how it went. The job's folder goes either way."""
        folder = self.folder / job.id
        try:
            user = self.users(job.user)
            while True:
                try:
                    result = self.desk.add(job.name, folder / "file", job.collection, user)
                    break
                except IngestError as err:  # another ingest holds the index: wait, do not fail
                    job.message = f"waiting for another ingest to finish ({err})"
                    time.sleep(BUSY_RETRY_SECONDS)
            job.state, job.message = "done", f"{result.status}, {passages(result.chunks)}"
        except (QAError, OSError) as err:
            job.state, job.message = "failed", _reason(err, job.name)
            log.warning("upload of %r by %s failed: %s", job.name, job.user, job.message)
        except Exception as err:  # a bug must not stop the queue, nor leave the person waiting forever
            log.exception("upload of %r by %s failed", job.name, job.user)
            job.state, job.message = "failed", f"the server failed on it ({type(err).__name__}); tell the administrator"
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _resume(self) -> None:
        """Queue again the jobs a stopped server left waiting (their files and records are on disk)."""
        if not self.folder.is_dir():
            return
        found = []
        for record in self.folder.glob("*/job.json"):
            try:
                job = Job(**json.loads(record.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                log.warning("%s: not a queued upload; left alone", record)
                continue
            job.state, job.message = "waiting", "queued before the server restarted"
            found.append(job)
        for job in sorted(found, key=lambda job: job.created):
            self._jobs[job.id] = job
            self._waiting.append(job.id)
        if found:
            log.info("%d uploads queued before a restart are indexed now", len(found))
            self._start()

    def _arrived(self, path: Path) -> bool:
        """Whether `path` is a file Gradio received (inside its upload folder), not a path a request named."""
        try:
            return path.resolve().is_relative_to(self.upload_folder)
        except (OSError, ValueError):
            return False

    def discard(self, path: Path) -> None:
        """Delete Gradio's copy of an upload that will not be indexed (nothing outside its upload folder)."""
        if self._arrived(path):
            path.unlink(missing_ok=True)
            _forget_folder(path.parent, self.upload_folder)


def _forget_folder(folder: Path, root: Path) -> None:
    """Remove Gradio's per-upload folder once empty (never its upload folder itself)."""
    try:
        if folder.resolve() != root:
            folder.rmdir()
    except OSError:
        pass  # not empty: another upload of the same content is being read


def _reason(err: Exception, name: str) -> str:
    """The error's message without the leading "file: 'name'" the job already shows."""
    text = str(err) if isinstance(err, QAError) else f"the file could not be kept ({err})"
    for prefix in (f"file: {name!r} ", "file: "):
        text = text.removeprefix(prefix)
    return text
