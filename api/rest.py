"""The REST routes: ask, list sources, upload and remove documents, health. Each is a thin call into `QA`.

Every route acts as the caller (`api.deps.caller`), so the engine's one permission check decides what
it may read and change; engine errors become JSON errors in `api.errors`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from api.deps import Caller, Engine
from api.schemas import ERRORS, AnswerOut, AskRequest, DocumentOut, SourcesOut
from qa.service import QA
from qa.uploads import UploadDesk, check_name

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
    The file keeps the name it was sent with, or is refused (400, saying why); a file over the limit is 413,
    one with no text 400; nothing of a refused upload is kept, and a document it would have replaced stays.
    """
    desk = UploadDesk(qa)
    name = check_name(file.filename)
    if file.size is not None:
        desk.check_size(name, file.size)
    login = request.app.state.gatekeeper.authenticator() is not None
    target = desk.collection(collection, user, login)  # before anything is written
    result = desk.add(name, file.file, target, user)
    body = DocumentOut(source=result.source, status=result.status, chunks=result.chunks, collection=target)
    return JSONResponse(body.model_dump(), status_code=200 if result.status == "unchanged" else 201)


health = APIRouter(tags=["health"])


@health.get("/healthz")
def healthz(qa: Engine) -> dict[str, object]:
    """200 once this worker has loaded the model and can answer; no key needed, nothing about documents."""
    return {"status": "ok", "embedding": qa.embedder.choice.backend}
