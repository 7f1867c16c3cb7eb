"""Structured logs: request ids, one JSON pipeline for structlog and stdlib, safe exceptions."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
import structlog

from shieldwall.observe.logs import (
    EventLog,
    accept_request_id,
    configure_logging,
    get_logger,
    new_request_id,
    request_id_var,
)


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    level = logging.getLogger().level
    handler = configure_logging("info", "json", buffer)
    try:
        yield buffer
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(level)
        structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    "upstream",
    [
        "3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b",  # a UUID
        "7d9e3a1b5c2f4e6a8b0c1d2e3f4a5b6c",  # nginx's $request_id: 32 hex digits
        "0123456789abcdef",  # the shortest hex accepted
    ],
)
def test_safe_upstream_request_ids_are_kept(upstream: str) -> None:
    """A UUID or 16-64 hex digits with a letter is the caller's id and is kept as sent."""
    assert accept_request_id(upstream) == upstream


@pytest.mark.parametrize(
    "upstream",
    [
        None,
        "",
        "13812345678",  # a mobile number
        "11010519491231002X",  # a GB 11643 ID number (X is not hex)
        "6222021234567890123",  # a 19-digit card number: hex digits, but no letter
        "zhangwei-20260301",  # a name
        "a" * 65,  # too long
        "abc\r\nx-evil: 1",  # header injection
        "张伟0123456789abcdef",  # non-ASCII
        "0123456789abcde",  # 15 hex digits: too short
    ],
)
def test_unsafe_upstream_request_ids_are_replaced(upstream: str | None) -> None:
    """Anything that is not a UUID or a hex id (a phone, an ID number, a name, an injection)
    is replaced by a new UUID, so a caller cannot put a customer value into the logs."""
    replaced = accept_request_id(upstream)
    assert replaced != upstream
    assert str(uuid.UUID(replaced)) == replaced


def test_generated_ids_are_kept_when_they_come_back() -> None:
    """An id we generated, echoed back by a client or a proxy, is accepted as is."""
    rid = new_request_id()
    assert accept_request_id(rid) == rid


def test_stdlib_and_structlog_write_the_same_json_lines(stream: io.StringIO) -> None:
    """A capability's stdlib logger and an edge's structlog logger both end as JSON objects
    with timestamp, level, logger and event, and the request id while one is bound."""
    token = request_id_var.set("3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b")
    try:
        logging.getLogger("shieldwall.audit.log").warning("checkpoint %d not published", 7)
        get_logger("shieldwall.access").info("request", route="/livez", status=200)
    finally:
        request_id_var.reset(token)
    logging.getLogger("shieldwall.audit.log").warning("outside a request")
    first, second, third = lines(stream)
    assert first["event"] == "checkpoint 7 not published"
    assert (first["level"], first["logger"]) == ("warning", "shieldwall.audit.log")
    assert first["request_id"] == "3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b"
    assert str(first["timestamp"]).endswith("Z")
    assert second["event"] == "request" and second["route"] == "/livez"
    assert second["status"] == 200 and second["level"] == "info"
    assert second["request_id"] == first["request_id"]
    assert "request_id" not in third


def test_exceptions_are_logged_without_their_message_or_locals(stream: io.StringIO) -> None:
    """An exception's text can quote the value it failed on: the log keeps its type and frames."""

    def fail(phone: str) -> None:
        raise ValueError(f"cannot parse {phone}")

    try:
        fail("13812345678")
    except ValueError:
        logging.getLogger("shieldwall.custody").exception("import failed")
    try:
        fail("13987654321")
    except ValueError:
        get_logger("shieldwall.api").error("unhandled error", exc_info=True)
    text = stream.getvalue()
    assert "13812345678" not in text and "13987654321" not in text
    for line in lines(stream):
        assert line["exc_type"] == "builtins.ValueError"
        frames = line["exc_frames"]
        assert isinstance(frames, list) and any(" in fail" in f for f in frames)


def test_level_filters_and_a_second_configuration_replaces_the_first() -> None:
    """Configuring twice leaves one handler of ours; below the level nothing is written."""
    first, second = io.StringIO(), io.StringIO()
    configure_logging("info", "json", first)
    handler = configure_logging("warning", "json", second)
    try:
        ours = [h for h in logging.getLogger().handlers if h.get_name() == "shieldwall"]
        assert ours == [handler]
        logging.getLogger("shieldwall.x").info("quiet")
        logging.getLogger("shieldwall.x").warning("loud")
        assert first.getvalue() == ""
        assert [line["event"] for line in lines(second)] == ["loud"]
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
        structlog.reset_defaults()


def test_event_log_writes_the_line_the_pipeline_writes(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With our JSON handler the root's only one (pytest's capture handlers set aside), the
    direct path is taken and writes, key for key and byte for byte but the time, the line
    ``get_logger``'s pipeline writes; at info and at error."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if h.get_name() == "shieldwall"]
    monkeypatch.setattr(root, "handlers", ours)
    log = EventLog("shieldwall.access")
    assert log.direct(logging.INFO) is ours[0]
    fields = {"method": "GET", "route": "/v1/x/{id}", "status": 200, "duration_ms": 1.25}
    token = request_id_var.set("3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b")
    try:
        for level in (logging.INFO, logging.ERROR):
            log.log(level, "request", **fields, principal="agent-1")
            get_logger("shieldwall.access").log(level, "request", **fields, principal="agent-1")
        log.log(logging.INFO, "request", **fields, principal=None)
    finally:
        request_id_var.reset(token)
    raw = stream.getvalue().splitlines()
    assert len(raw) == 5
    parsed = [json.loads(line) for line in raw]
    stamps = [str(p.pop("timestamp")) for p in parsed]
    assert all(t.endswith("Z") and t[10] == "T" for t in stamps)
    for direct, piped in ((raw[0], raw[1]), (raw[2], raw[3])):
        a, b = json.loads(direct), json.loads(piped)
        assert direct.replace(a["timestamp"], "T") == piped.replace(b["timestamp"], "T")
    assert list(parsed[0]) == [
        "method", "route", "status", "duration_ms", "principal",
        "event", "request_id", "level", "logger",
    ]  # fmt: skip
    assert (parsed[0]["level"], parsed[2]["level"]) == ("info", "error")
    assert parsed[0]["logger"] == "shieldwall.access" and parsed[4]["principal"] is None


def test_event_log_takes_the_pipeline_when_anything_else_would_see_the_record(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another handler on the root (a test's capture) gets the record too; a filter on the
    logger is obeyed; a level below the root's writes nothing; console format never writes
    directly."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if h.get_name() == "shieldwall"]
    seen: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    monkeypatch.setattr(root, "handlers", [*ours, Capture()])
    log = EventLog("shieldwall.access")
    assert log.direct(logging.INFO) is None
    log.log(logging.INFO, "request", status=200)
    assert len(seen) == 1 and lines(stream)[-1]["status"] == 200
    monkeypatch.setattr(root, "handlers", ours)
    assert log.direct(logging.INFO) is ours[0]
    log.log(logging.DEBUG, "request", status=201)  # below the root's info: dropped
    access = logging.getLogger("shieldwall.access")
    monkeypatch.setattr(access, "filters", [lambda record: False])
    assert log.direct(logging.INFO) is None
    log.log(logging.INFO, "request", status=202)  # the filter refuses it
    assert [line["status"] for line in lines(stream)] == [200]
    handler = configure_logging("info", "console", io.StringIO())
    try:
        assert log.direct(logging.INFO) is None
    finally:
        root.removeHandler(handler)
