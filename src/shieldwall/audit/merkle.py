"""RFC 6962 (Certificate Transparency) Merkle tree hashing and proofs.

Leaves hash as ``SHA-256(0x00 || data)``, interior nodes as ``SHA-256(0x01 || left || right)``;
a tree of ``n`` leaves splits at the largest power of two smaller than ``n`` (RFC 6962 s2.1).
Proofs are computed from a :class:`NodeSource` that returns the hash of any *complete* aligned
subtree, so a stored log answers any proof with O(log n) lookups. Verification follows RFC 9162
s2.1.3.2 and s2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class NodeSource(Protocol):
    def node(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree over leaves [index * 2**level, (index + 1) * 2**level)."""
        ...


class ListNodes:
    """A :class:`NodeSource` over leaf hashes in memory (tests, verification)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]


def subtree_hash(src: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range that starts on a boundary of its own left split."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and start % n == 0:
        return src.node(n.bit_length() - 1, start // n)
    k = split_point(n)
    return node_hash(subtree_hash(src, start, start + k), subtree_hash(src, start + k, end))


def root(src: NodeSource, size: int) -> bytes:
    return subtree_hash(src, 0, size)


def inclusion_proof(src: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 6962 s2.1.1."""
    if not 0 <= index < size:
        raise ValueError("index must be below the tree size")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            proof.append(subtree_hash(src, start + k, end))
            end = start + k
        else:
            proof.append(subtree_hash(src, start, start + k))
            start += k
    proof.reverse()
    return proof


def consistency_proof(src: NodeSource, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 6962 s2.1.2."""
    if not 0 < old_size <= new_size:
        raise ValueError("need 0 < old size <= new size")
    if old_size == new_size:
        return []
    proof: list[bytes] = []
    start, end, m, complete = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                proof.append(subtree_hash(src, start, end))
            break
        k = split_point(n)
        if m <= k:
            proof.append(subtree_hash(src, start + k, end))
            end = start + k
        else:
            proof.append(subtree_hash(src, start, start + k))
            start, m, complete = start + k, m - k, False
    proof.reverse()
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 s2.1.3.2: does ``proof`` put leaf ``index`` in the tree of ``size`` and root?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 s2.1.4.2: is the tree of ``old_size`` a prefix of the tree of ``new_size``?"""
    if old_size == new_size:
        return not proof and old_root == new_root
    if not 0 < old_size < new_size or not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class Frontier:
    """The right edge of a growing tree: one complete subtree hash per set bit of the size.

    Appending a leaf returns the interior nodes it completes, so a store can persist them.
    """

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        self.size = size
        self.edge = list(edge)  # largest (leftmost) first
        if len(self.edge) != bin(size).count("1"):
            raise ValueError("frontier does not match the tree size")

    @classmethod
    def load(cls, src: NodeSource, size: int) -> Frontier:
        edge, start = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                edge.append(src.node(level, start >> level))
                start += 1 << level
        return cls(size, edge)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; return (level, index, hash) of each subtree it completes (level >= 1)."""
        created: list[tuple[int, int, bytes]] = []
        index, h, level = self.size, leaf, 0
        while index & 1:
            h = node_hash(self.edge.pop(), h)
            level += 1
            index >>= 1
            created.append((level, index, h))
        self.edge.append(h)
        self.size += 1
        return created

    def root(self) -> bytes:
        if not self.edge:
            return EMPTY_ROOT
        h = self.edge[-1]
        for left in reversed(self.edge[:-1]):
            h = node_hash(left, h)
        return h
