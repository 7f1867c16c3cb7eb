"""The SQL side of keyset pagination (see :mod:`shieldwall.core.paging`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from shieldwall.core.paging import Position


def before(at: Any, key: Any, position: Position) -> ColumnElement[bool]:
    """Rows after ``position`` in ``ORDER BY at DESC, key DESC``: ``(at, key) < (:at, :key)``,
    spelled out because SQLite's row values do not use the index."""
    return or_(at < position.at, and_(at == position.at, key < position.key))
