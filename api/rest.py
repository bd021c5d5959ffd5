"""The REST routes: ask, list sources, upload and remove documents, health. Each is a thin call into `QA`.

Every route acts as the caller (`api.deps.caller`), so the engine's one permission check decides what
it may read and change; engine errors become JSON errors in `api.errors`.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePath
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from access.library import UPLOADS
from access.permissions import User, private_collection
from api.deps import Caller, Engine
from api.errors import ApiError
from api.schemas import ERRORS, AnswerOut, AskRequest, DocumentOut, SourcesOut
from index.formats import SUPPORTED_SUFFIXES
from index.manifest import DEFAULT_COLLECTION
from qa.service import QA

MB = 1024 * 1024
MULTIPART_SLACK = 1 << 16  # the form's own bytes around an upload of the largest allowed size

router = APIRouter(prefix="/v1", tags=["documents"], responses=ERRORS)


@router.post("/ask", response_model=AnswerOut)
def ask(body: AskRequest, qa: Engine, user: Caller) -> JSONResponse:
    """Answer a question with cited sentences, or abstain: the object `qa ask --json` prints."""
    answer = qa.ask(
        body.question,
        k=body.k,
        sources=body.sources,
        retrieval=body.retrieval,  # type: ignore[arg-type]  # checked by the engine, which names it
        history=body.history,
        mode=body.mode,  # type: ignore[arg-type]
        user=user,
    )
    return JSONResponse(answer.to_dict())


@router.get("/sources", response_model=SourcesOut)
def sources(qa: Engine, user: Caller) -> JSONResponse:
    """The sources the caller may read, with their chunk counts."""
    return JSONResponse({"sources": [{"source": s, "chunks": n} for s, n in qa.sources(user).items()]})


@router.delete("/documents/{source:path}", response_model=DocumentOut)
def remove(source: str, qa: Engine, user: Caller) -> DocumentOut:
    """Remove a source the caller may change (404 when it may not even read it, 403 when it may only read it)."""
    deleted = qa.remove(source, user)  # an uploaded document's kept copy goes with it
    return DocumentOut(source=source, status="removed", chunks=deleted)


def upload_limit(qa: QA) -> int:
    """The largest upload in bytes (the chat UI's limit, `ui.max_upload_mb`, in MiB as the UI counts it)."""
    return int(qa.settings.ui.max_upload_mb * MB)


@router.post("/documents", response_model=DocumentOut, status_code=201)
def upload(
    request: Request,
    file: Annotated[UploadFile, File(description="A .txt, .md, .html, .pdf or .docx file")],
    qa: Engine,
    user: Caller,
    collection: Annotated[str | None, Form(description="Default: as in the chat (see below)")] = None,
) -> JSONResponse:
    """Index an uploaded file into a collection the caller may change; kept in DATA_DIR/uploads/.

    Without `collection`, it goes where the chat puts uploads: into the default collection while login is
    off, else into the caller's own private collection (`alice-private`, made on the first upload).
    """
    name = _checked_name(file.filename)
    limit = upload_limit(qa)
    if file.size is not None and file.size > limit:
        raise ApiError(413, f"file: {file.size / MB:.2f} MB is over the {limit / MB:g} MB limit", "file")
    collection = _target(request, qa, user, collection)  # before anything is written
    folder = qa.settings.data_dir / UPLOADS  # the same place and layout as the chat's uploads
    target = folder / name if collection == DEFAULT_COLLECTION else folder / collection / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    return _ingest(qa, target, collection, user)


def _target(request: Request, qa: QA, user: User, named: str | None) -> str:
    """The collection an upload goes to, if `user` may change it (made first when it is their private one)."""
    login = request.app.state.gatekeeper.authenticator() is not None
    name = named or (private_collection(user) if login else DEFAULT_COLLECTION)
    if login and name == private_collection(user):
        qa.library.ensure(name, user)
    qa.library.writable(name, user)
    return name


def _ingest(qa: QA, target: Path, collection: str, user: User) -> JSONResponse:
    try:
        report = qa.ingest(target, collection=collection, user=user)[0]
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    outcome = report.files[0] if report.files else None
    if outcome is None or outcome.status in ("failed", "skipped"):
        target.unlink(missing_ok=True)
        raise ApiError(400, f"file: not indexed: {outcome.reason if outcome else 'nothing to read'}", "file")
    chunks = qa.sources(user).get(outcome.source, 0)
    status = 200 if outcome.status == "unchanged" else 201
    body = DocumentOut(source=outcome.source, status=outcome.status, chunks=chunks, collection=collection)
    return JSONResponse(body.model_dump(), status_code=status)


def _checked_name(filename: str | None) -> str:
    """The uploaded file's name: a plain file name (no folders, not hidden) of a supported type."""
    name = filename or ""
    if not name or name.startswith(".") or "/" in name or "\\" in name or not name.isprintable():
        raise ApiError(400, f"file: {name!r} is not a plain file name", "file")
    if PurePath(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        allowed, suffix = ", ".join(sorted(SUPPORTED_SUFFIXES)), PurePath(name).suffix or name
        raise ApiError(400, f"file: unsupported file type {suffix!r} (allowed: {allowed})", "file")
    return name


health = APIRouter(tags=["health"])


@health.get("/healthz")
def healthz(qa: Engine) -> dict[str, object]:
    """200 once this worker has loaded the model and can answer; no key needed, nothing about documents."""
    return {"status": "ok", "embedding": qa.embedder.choice.backend}
