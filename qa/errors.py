"""Errors a user can act on. Front-ends print `str(error)`; messages say what to do."""

from collections.abc import Iterator
from contextlib import contextmanager


class QAError(Exception):
    """Base of every error the product raises on purpose."""


class ConfigError(QAError):
    """The set-up is wrong: a bad setting, a missing model directory."""


class IndexMissingError(QAError):
    """A question was asked before anything was ingested."""


class IngestError(QAError):
    """A path given to ingest cannot be read at all."""


class UploadRefusedError(QAError):
    """An uploaded file was not indexed: the message names the file and says why; nothing of it is kept."""


class UploadTooLargeError(UploadRefusedError):
    """An uploaded file is over the size limit."""


class SourceNotFoundError(QAError):
    """A source named for removal or filtering is not in the index."""


class QuestionSetError(QAError):
    """A question set cannot be read; the message names the file, line and field."""


class UnindexedDocumentsError(QAError):
    """Documents of a question set are not in the index it would be asked against: no metric is computed."""


@contextmanager
def writer_errors() -> Iterator[None]:
    """Raise the index writer's own errors as these: a busy index is an `IngestError`, a parsing
    worker that cannot start a `ConfigError`."""
    from index.lock import WriterBusyError
    from index.parsing import ParserStartError

    try:
        yield
    except WriterBusyError as err:
        raise IngestError(str(err)) from err
    except ParserStartError as err:
        raise ConfigError(f"{err}: the installation looks broken; reinstall with `make setup`") from err
