"""Inputs: trace results and lists of ids in their accepted shapes; campaign target files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shieldwall.contact.ledger.errors import InvalidInput, NotFound
from shieldwall.contact.warnings.sources import (
    FileCampaignTargets,
    parse_customer_ids,
    read_customer_ids,
    trace_result_customers,
)


def test_accepted_shapes() -> None:
    """Arrays, {customer_ids}, {victims} and lines all give the ids in order, without repeats."""
    want = ["C1", "C2", "C3"]
    assert parse_customer_ids('["C1", "C2", "C1", "C3"]') == want
    assert parse_customer_ids(json.dumps({"customer_ids": want, "score": 0.9})) == want
    assert parse_customer_ids(json.dumps({"victims": [{"customer_id": c} for c in want]})) == want
    assert parse_customer_ids("C1\n\n# a comment\nC2  # trailing\nC3\n") == want


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[1, 2]", "entry 1 is not a customer id"),
        ('["C1", "bad id"]', "entry 2"),
        ('{"ids": []}', "customer_ids"),
        ('"C1"', "entry 1"),
        ("[C1", "not valid JSON"),
        ("C1\nC 2\n", "entry 2"),
    ],
)
def test_bad_files_are_named(text: str, why: str) -> None:
    """Malformed results say which entry is wrong."""
    with pytest.raises(InvalidInput, match=why) as err:
        parse_customer_ids(text)
    assert err.value.field == "file"


def test_files(tmp_path: Path) -> None:
    """Missing and non-UTF-8 files are refused; campaign files give ids and first sightings."""
    with pytest.raises(InvalidInput, match="not a readable file"):
        read_customer_ids(tmp_path / "missing.json")
    raw = tmp_path / "latin1.txt"
    raw.write_bytes("C1\nCé\n".encode("latin-1"))
    with pytest.raises(InvalidInput, match="UTF-8"):
        read_customer_ids(raw)
    targets = tmp_path / "t.json"
    targets.write_text(
        json.dumps(
            [
                {"customer_id": "C1", "first_seen": "2026-03-01T10:00:00+08:00"},
                {"customer_id": "C1", "first_seen": "2026-02-01T10:00:00"},
                {"customer_id": "C2", "first_seen": "2026-03-02T00:00:00Z"},
            ]
        )
    )
    got = dict(FileCampaignTargets(targets, "camp-1").customers("camp-1"))
    assert got["C1"] == datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    assert got["C2"] == datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(NotFound):
        FileCampaignTargets(targets, "camp-1").customers("camp-2")
    targets.write_text('[{"customer_id": "C1", "first_seen": "yesterday"}]')
    with pytest.raises(InvalidInput, match="ISO 8601"):
        FileCampaignTargets(targets, "camp-1").customers("camp-1")


def test_a_leaked_file_trace_reads_its_customers_from_the_audit_entry() -> None:
    """A ``trace file --json`` result names its customers through ``audit_seq``: the cause is
    ``leak-<seq>``; without the log, with no seq, or with an entry that is no leak match it is
    refused naming the field."""
    report = {"recipients": [], "accused": [], "audit_seq": 12}
    entries = {12: ("C2", "C1", "C2")}
    cause, ids = trace_result_customers(json.dumps(report), leak_matches=entries.get)
    assert (cause, ids) == ("leak-12", ["C1", "C2"])
    for doc, matches, why in (
        (report, None, "needs the audit log"),
        ({**report, "audit_seq": None}, entries.get, "matched no one"),
        ({**report, "audit_seq": 13}, entries.get, "not a leaked-file match"),
        ({**report, "audit_seq": True}, entries.get, "matched no one"),
    ):
        with pytest.raises(InvalidInput, match=why) as caught:
            trace_result_customers(json.dumps(doc), leak_matches=matches)
        assert caught.value.field == "from_trace"
