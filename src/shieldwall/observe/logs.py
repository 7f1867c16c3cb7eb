"""Structured logs: one configuration for structlog and for stdlib ``logging``.

:func:`configure_logging` installs one handler on the root logger whose formatter runs the same
processors for both, so ``logging.getLogger(__name__)`` in a capability and
``structlog.get_logger()`` at the edge write the same JSON lines: ``timestamp`` (UTC, ISO 8601),
``level``, ``logger``, ``event``, the bound context (``request_id`` while a request is served)
and the call's own keys.

Exceptions are logged as their type and stack frames (file, line, function), never their message
or local variables: a library's message can carry the value it choked on (a driver quoting the
row it could not write), and a customer value must never reach a log.

Request ids (:func:`accept_request_id`): an upstream ``X-Request-ID`` is kept only if it is a
UUID or 16-64 hexadecimal digits with at least one letter; anything else is replaced by a new id.
A free-form id would let a caller put a phone number, an ID number or a name into every log line
of its request (digits alone are refused because a card or ID number is digits alone).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
import uuid
from contextvars import ContextVar
from typing import Any, Literal, TextIO, cast

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REQUEST_ID_HEADER = "x-request-id"
_HEX_ID = re.compile(r"[0-9a-fA-F]{16,64}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX_LETTER = re.compile(r"[a-fA-F]")

request_id_var: ContextVar[str | None] = ContextVar("shieldwall_request_id", default=None)


def new_request_id() -> str:
    return str(uuid.uuid4())  # a UUID: what accept_request_id keeps when it comes back


def accept_request_id(upstream: str | None) -> str:
    """``upstream`` if it is a safe request id (see the module docstring), else a new one."""
    if upstream is not None and (
        _UUID.fullmatch(upstream) or (_HEX_ID.fullmatch(upstream) and _HEX_LETTER.search(upstream))
    ):
        return upstream
    return new_request_id()


def current_request_id() -> str | None:
    """The id of the request being served in this context (None outside a request)."""
    return request_id_var.get()


def _add_request_id(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    rid = request_id_var.get()
    if rid is not None:
        event.setdefault("request_id", rid)
    return event


def _frames(exc: BaseException) -> list[str]:
    return [
        f"{frame.filename}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(exc.__traceback__)
    ]


def _safe_exception(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Replace ``exc_info`` by the exception's type and frames (no message, no locals)."""
    exc_info = event.pop("exc_info", None)
    if exc_info is None or exc_info is False:
        return event
    if exc_info is True:
        exc_info = sys.exc_info()
    exc = exc_info if isinstance(exc_info, BaseException) else exc_info[1]
    if exc is not None:
        event["exc_type"] = f"{type(exc).__module__}.{type(exc).__qualname__}"
        event["exc_frames"] = _frames(exc)
    return event


def _drop_stack(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    event.pop("stack_info", None)
    event.pop("stack", None)
    return event


_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    _add_request_id,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]

_TO_STDLIB: list[Processor] = [
    structlog.stdlib.filter_by_level,
    *_SHARED,
    structlog.stdlib.PositionalArgumentsFormatter(),
    structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
]
_HANDLER_NAME = "shieldwall"


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger writing through stdlib ``logging`` logger ``name``, whether or not
    :func:`configure_logging` ran (unconfigured, stdlib's defaults apply: warnings and up)."""
    return cast(
        structlog.stdlib.BoundLogger,
        structlog.wrap_logger(
            logging.getLogger(name),
            processors=_TO_STDLIB,
            wrapper_class=structlog.stdlib.BoundLogger,
        ),
    )


_LEVEL_NAMES = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}
# The handler configure_logging installed when it renders JSON (None otherwise): an EventLog
# writes to it directly while it is the only place a record would go.
_direct: logging.StreamHandler[TextIO] | None = None
_RENDER: list[Processor] = [_safe_exception, _drop_stack, structlog.processors.JSONRenderer()]


class EventLog:
    """A structlog logger for one flat, hot event line (the access log): the same JSON line as
    :func:`get_logger` gives, written straight to the stream of :func:`configure_logging`'s JSON
    handler without stdlib's ``LogRecord`` and ``ProcessorFormatter`` round (most of the line's
    cost), as long as nothing else would see the record: the logger and its ancestors have no
    filters and no other handler, and propagate to the root. Otherwise (a console format, a
    test's capturing handler, a filter) it goes through :func:`get_logger`'s pipeline.
    Exceptions always take that pipeline (they are rare, and it renders them safely)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._std = logging.getLogger(name)
        self._piped = get_logger(name)

    def direct(self, level: int) -> logging.StreamHandler[TextIO] | None:
        """The handler a line of ``level`` can be written to directly, if any."""
        handler = _direct
        if handler is None or handler.filters or level < handler.level or level not in _LEVEL_NAMES:
            return None
        logger: logging.Logger | None = self._std
        root = logging.getLogger()
        while logger is not None:
            if logger.filters or logger.disabled:
                return None
            if logger is root:
                return handler if len(root.handlers) == 1 and root.handlers[0] is handler else None
            if logger.handlers or not logger.propagate:
                return None
            logger = logger.parent
        return None

    def log(self, level: int, event: str, **fields: Any) -> None:
        if not self._std.isEnabledFor(level):
            return
        handler = self.direct(level)
        if handler is None:
            self._piped.log(level, event, **fields)
            return
        method = _LEVEL_NAMES[level]
        fields["event"] = event
        line: Any = fields
        for proc in _SHARED:
            line = proc(self._std, method, line)
        for proc in _RENDER:
            line = proc(self._std, method, line)
        handler.acquire()
        try:
            handler.stream.write(line + handler.terminator)
            handler.flush()
        except Exception:  # as StreamHandler.emit: report on stderr, never raise into a request
            handler.handleError(logging.makeLogRecord({"name": self.name, "msg": event}))
        finally:
            handler.release()

    def error(self, event: str, **fields: Any) -> None:
        self._piped.error(event, **fields)


def configure_logging(
    level: str = "info",
    fmt: Literal["json", "console"] = "json",
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send structlog and stdlib logging through one pipeline to ``stream`` (stderr).

    Idempotent: a second call replaces the handler the first installed and leaves other
    handlers (a test runner's) alone. Returns the installed handler.
    """
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=_TO_STDLIB,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _safe_exception,
            _drop_stack,
            renderer,
        ],
    )
    global _direct  # noqa: PLW0603 - the one JSON handler EventLog may write to directly
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    _direct = handler if fmt == "json" else None
    root.setLevel(level.upper())
    # uvicorn's loggers keep their own handlers unless told otherwise: send them through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # httpx logs every request's full URL at info (a webhook's query string can hold a token).
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler
