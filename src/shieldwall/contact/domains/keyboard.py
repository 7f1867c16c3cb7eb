"""QWERTY adjacency and a keyboard-aware edit distance.

Keys sit on a staggered grid (row offsets 0, 0.5, 0.75, 1.25 key widths, as on a physical
QWERTY board); two keys are adjacent when their centres are at most 1.25 key widths apart, which
gives the usual neighbours (``g``: f h t y v b) without hand-written tables.

:func:`keyboard_distance` is an optimal-string-alignment distance whose costs follow how people
mistype: hitting a neighbouring key, doubling a letter, inserting a neighbour or a hyphen, and
swapping two letters cost 0.5; dropping a letter costs 0.75; any other edit costs 1.
"""

from __future__ import annotations

import functools
import math

_ROWS = ("1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_OFFSETS = (0.0, 0.5, 0.75, 1.25)

CHEAP = 0.5
OMISSION = 0.75
FULL = 1.0


@functools.cache
def _positions() -> dict[str, tuple[float, float]]:
    return {
        key: (col + offset, float(row))
        for row, (keys, offset) in enumerate(zip(_ROWS, _OFFSETS, strict=True))
        for col, key in enumerate(keys)
    }


@functools.cache
def neighbours(key: str) -> frozenset[str]:
    """Keys adjacent to ``key`` on a QWERTY board (empty for keys not on it)."""
    pos = _positions()
    if key not in pos:
        return frozenset()
    x, y = pos[key]
    return frozenset(
        other
        for other, (ox, oy) in pos.items()
        if other != key and math.hypot(ox - x, oy - y) <= 1.25
    )


def adjacent(a: str, b: str) -> bool:
    return b in neighbours(a)


def substitution_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return CHEAP if adjacent(a, b) else FULL


def insertion_cost(word: str, index: int, char: str) -> float:
    """Cost of inserting ``char`` before ``word[index]``: cheap beside its twin or a neighbour."""
    around = word[max(0, index - 1) : index + 1]
    if char == "-" or char in around or any(adjacent(char, c) for c in around):
        return CHEAP
    return FULL


def keyboard_distance(observed: str, target: str, limit: float = 3.0) -> float:
    """Weighted OSA distance turning ``target`` into ``observed`` (``limit`` + 1 if above limit)."""
    n, m = len(target), len(observed)
    if abs(n - m) * CHEAP > limit:
        return limit + 1
    prev2: list[float] = []
    prev = [0.0]
    for j in range(1, m + 1):
        prev.append(prev[j - 1] + insertion_cost(target, 0, observed[j - 1]))
    for i in range(1, n + 1):
        row = [prev[0] + OMISSION]
        for j in range(1, m + 1):
            best = min(
                prev[j] + OMISSION,
                row[j - 1] + insertion_cost(target, i, observed[j - 1]),
                prev[j - 1] + substitution_cost(target[i - 1], observed[j - 1]),
            )
            if (
                i > 1
                and j > 1
                and target[i - 1] == observed[j - 2]
                and target[i - 2] == observed[j - 1]
            ):
                best = min(best, prev2[j - 2] + CHEAP)
            row.append(best)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return prev[m]
