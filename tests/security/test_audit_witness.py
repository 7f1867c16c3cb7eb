"""Issue #10 point 4: checkpoints are published outside the database (the witness file by
default, a webhook when configured); a publisher that fails never loses an append."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from shieldwall.audit.checkpoint import CheckpointSigner
from shieldwall.audit.errors import WitnessError
from shieldwall.audit.ports import Checkpoint
from shieldwall.audit.witness import WebhookPublisher, WitnessFile
from shieldwall.core.clock import ManualClock
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.wiring import Services

SIGNER = CheckpointSigner(bytes(32), "example.com/log")
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_witness_file_appends_and_survives_a_torn_line(tmp_path: Path) -> None:
    """Each publish appends one note; a line torn by a crash is skipped, the next one kept."""
    witness = WitnessFile(tmp_path / "w" / "witness.jsonl", fsync=False)
    witness.publish(SIGNER.sign(1, bytes(32), WHEN))
    with witness.path.open("a") as handle:
        handle.write('{"tree_size": 2, "note": "exam')  # the process died mid-write
    witness.publish(SIGNER.sign(3, bytes(32), WHEN))
    sizes = [SIGNER.verifier.open(n).tree_size for n in witness.notes()]
    assert sizes == [1, 3]


def test_webhook_posts_the_signed_note() -> None:
    """The webhook body is the checkpoint note itself, which opens with the verifier key."""
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(204)

    hook = WebhookPublisher(
        "https://witness.test/", client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    hook.publish(SIGNER.sign(7, bytes(32), WHEN))
    assert SIGNER.verifier.open(seen[0].decode()).tree_size == 7


def test_webhook_failure_is_a_witness_error() -> None:
    """An HTTP 500 from the webhook is a WitnessError naming the status."""
    hook = WebhookPublisher(
        "https://witness.test/",
        client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))),
    )
    with pytest.raises(WitnessError, match="HTTP 500"):
        hook.publish(SIGNER.sign(7, bytes(32), WHEN))


class Down:
    name = "down"

    def publish(self, checkpoint: Checkpoint) -> None:
        raise WitnessError("unreachable")


def test_a_failing_publisher_does_not_lose_appends(services: Services, clock: ManualClock) -> None:
    """With a publisher down, appends still commit and sign; the failure is recorded."""
    log = services.audit
    log.publishers.append(Down())
    event = AccessEvent(clock.now(), "agent-li", "agent", Action.READ, Decision.ALLOW, "x")
    before = log.size()
    seqs = log.append([event] * log.policy.every)
    assert len(seqs) == log.policy.every and log.size() == before + log.policy.every
    assert log.publish_failures and log.publish_failures[-1] == "down: unreachable"
