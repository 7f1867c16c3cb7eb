"""Subject names and the watch partition of a principal."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from shieldwall.intake.events import Kind
from shieldwall.intake.subjects import Subjects, partition_of


def test_subject_names() -> None:
    """Inbound, decisions, alerts, dead letters and watch partitions under the prefix."""
    s = Subjects("shop.a")
    assert s.all == "shop.a.>"
    assert s.inbound(Kind.LOGIN_ATTEMPT) == "shop.a.logins.attempts"
    assert s.inbound(Kind.SCAM_REPORT) == "shop.a.scam.reports"
    assert s.decisions(Kind.LOGIN_ATTEMPT) == "shop.a.decisions.login"
    assert (s.alerts, s.deadletter, s.watch(3)) == (
        "shop.a.alerts",
        "shop.a.deadletter",
        "shop.a.watch.3",
    )


def test_partition_is_stable_across_processes() -> None:
    """Another interpreter (another hash seed) puts each principal in the same partition."""
    ids = [f"agent-{i}" for i in range(50)]
    here = [partition_of(p, 7) for p in ids]
    code = "from shieldwall.intake.subjects import partition_of as p;" + (
        f"print([p(x, 7) for x in {ids!r}])"
    )
    there = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert there.strip() == str(here)


def test_partitions_spread_and_bound() -> None:
    """Every partition in range and used; one partition takes all; zero is refused."""
    counts = Counter(partition_of(f"agent-{i}", 4) for i in range(4000))
    assert set(counts) == {0, 1, 2, 3}
    assert min(counts.values()) > 800  # 1000 expected each; a skewed hash would miss this
    assert partition_of("anyone", 1) == 0
    with pytest.raises(ValueError, match="at least 1"):
        partition_of("anyone", 0)
