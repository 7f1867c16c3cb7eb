"""RFC 6962 hashing and proofs against the Certificate Transparency reference vectors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.audit import merkle

# The eight reference leaves and tree heads used by every CT implementation's tests.
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (index, size, proof)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [  # (old, new, proof)
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

HASHES = [merkle.leaf_hash(d) for d in LEAVES]
SOURCE = merkle.ListNodes(HASHES)


@pytest.mark.parametrize("size", range(9))
def test_roots_match_reference(size: int) -> None:
    """Tree heads for sizes 0..8 equal the published RFC 6962 values."""
    assert merkle.root(SOURCE, size).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_reference(index: int, size: int, proof: list[str]) -> None:
    """Inclusion proofs equal the reference proofs and verify."""
    got = merkle.inclusion_proof(SOURCE, index, size)
    assert [p.hex() for p in got] == proof
    assert merkle.verify_inclusion(HASHES[index], index, size, got, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_reference(old: int, new: int, proof: list[str]) -> None:
    """Consistency proofs equal the reference proofs and verify."""
    got = merkle.consistency_proof(SOURCE, old, new)
    assert [p.hex() for p in got] == proof
    assert merkle.verify_consistency(
        old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), got
    )


def test_wrong_leaf_or_root_fails_inclusion() -> None:
    """A proof for one leaf does not verify another leaf, another index or another root."""
    proof = merkle.inclusion_proof(SOURCE, 5, 8)
    root = bytes.fromhex(ROOTS[8])
    assert not merkle.verify_inclusion(HASHES[4], 5, 8, proof, root)
    assert not merkle.verify_inclusion(HASHES[5], 4, 8, proof, root)
    assert not merkle.verify_inclusion(HASHES[5], 5, 8, proof, bytes.fromhex(ROOTS[7]))
    assert not merkle.verify_inclusion(HASHES[5], 5, 8, proof[:-1], root)


@given(st.integers(min_value=1, max_value=70), st.data())
def test_proofs_round_trip_for_every_shape(size: int, data: st.DataObject) -> None:
    """For any tree size, every proof the tree makes verifies, and the frontier agrees."""
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    src = merkle.ListNodes(leaves)
    root = merkle.root(src, size)
    frontier = merkle.Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    assert frontier.root() == root
    assert merkle.Frontier.load(src, size).root() == root
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    assert merkle.verify_inclusion(
        leaves[index], index, size, merkle.inclusion_proof(src, index, size), root
    )
    old = data.draw(st.integers(min_value=1, max_value=size))
    proof = merkle.consistency_proof(src, old, size)
    assert merkle.verify_consistency(old, size, merkle.root(src, old), root, proof)
    if old < size:
        assert not merkle.verify_consistency(
            old, size, merkle.root(src, old), merkle.EMPTY_ROOT, proof
        )


def test_frontier_reports_completed_nodes() -> None:
    """Appending leaf 3 completes the level-1 node 1 and the level-2 node 0."""
    f = merkle.Frontier()
    created = [f.append(h) for h in HASHES[:4]]
    assert created[0] == [] and [(lv, i) for lv, i, _ in created[1]] == [(1, 0)]
    assert [(lv, i) for lv, i, _ in created[3]] == [(1, 1), (2, 0)]
    assert created[3][-1][2] == merkle.root(SOURCE, 4)
