"""The two choices an operator names when building the corpus: what a source file holds
(:class:`SourceFormat`) and how its counts meet the corpus's (:class:`MergeMode`).

Apart from the readers (NumPy) so that the CLI can offer them as options without loading those.
"""

from __future__ import annotations

from enum import StrEnum


class SourceFormat(StrEnum):
    HIBP = "hibp"
    PLAIN = "plain"
    PLAIN_COUNTS = "plain-counts"


class MergeMode(StrEnum):
    REPLACE = "replace"  # a newer HIBP download: its counts are totals and replace ours
    ADD = "add"  # password lists: occurrences add up


def default_mode(fmt: SourceFormat) -> MergeMode:
    return MergeMode.REPLACE if fmt is SourceFormat.HIBP else MergeMode.ADD
