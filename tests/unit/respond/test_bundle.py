"""Evidence bundles: an untouched bundle verifies offline with nothing but the directory and the
public key; a changed file, manifest, audit entry or checkpoint, an added file or another key
each fail with a reason naming what changed; the manifest holds no customer value."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shieldwall.respond.bundle import verify_bundle
from shieldwall.respond.errors import BundleError, CaseInvalid
from shieldwall.respond.evidence import EvidenceDenied
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import Services
from tests.unit.respond.conftest import ADMIN, entries

REASON = "regulator request 2026-04"


@pytest.fixture
def bundle(services: Services, people: list[str], tmp_path: Path) -> Path:
    """A case with two items (a leaked file quoting customers' phones, a screenshot), a
    checkpoint signed between receipt and export (so the bundle carries a consistency proof),
    exported to ``tmp_path/bundle``."""
    cases = services.cases.cases
    case = cases.open("manual", actor=ADMIN)
    cases.link(case.case_id, customers=people, actor=ADMIN)
    leaked = "\n".join(f"{c.phone},{c.name}" for c in PeopleFactory(7).customers(3)).encode()
    locker = services.cases.evidence
    locker.add(case.case_id, leaked, kind="leaked_file", name="leak.csv", actor=ADMIN)
    services.audit.checkpoint()
    locker.add(case.case_id, b"\x89PNG fake screenshot", kind="screenshot", name="scam.png")
    cases.transition(case.case_id, "investigating", actor=ADMIN)
    out = tmp_path / "bundle"
    summary = services.cases.bundles.export(case.case_id, out, reason=REASON, actor=ADMIN)
    assert summary.items == 2 and summary.entries == 4
    return out


def _manifest(root: Path) -> dict[str, object]:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _item(root: Path, n: int) -> dict[str, object]:
    items = _manifest(root)["evidence"]
    assert isinstance(items, list)
    return items[n]  # type: ignore[no-any-return]


def test_untouched_bundle_verifies_with_the_public_key_alone(
    bundle: Path, services: Services
) -> None:
    """Files, hashes at receipt, inclusion and consistency proofs, exports: all pass, with the
    key given or taken from the bundle; the export wrote entries the bundle proves."""
    key = services.audit.signer.verifier.key
    for given in (None, key):
        check = verify_bundle(bundle, given)
        assert check.ok, check.failed
    assert any("is a prefix of size" in line for line in check.passed)
    assert sum("hashes as the manifest says" in line for line in check.passed) == 2
    exported = entries(services, "evidence_exported")
    assert len(exported) == 2
    assert {e.seq for e in exported} == {_item(bundle, n)["export"]["seq"] for n in (0, 1)}  # type: ignore[index]
    assert not list(bundle.parent.glob(".sw-bundle-*"))  # the temporary directory is gone


def _fails(root: Path, expected: str, key: str | None = None) -> None:
    check = verify_bundle(root, key)
    assert not check.ok
    assert any(expected in line for line in check.failed), check.failed


def test_changed_evidence_file_fails(bundle: Path) -> None:
    """One byte of an evidence file changed: its hash no longer matches."""
    path = bundle / str(_item(bundle, 0)["file"])
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    _fails(bundle, "the file does not hash as the manifest says")


def test_manifest_changed_to_match_a_changed_file_fails(bundle: Path) -> None:
    """The file changed and the manifest's hash updated to match: the receipt entry in the log
    still holds the original hash."""
    import hashlib

    manifest = _manifest(bundle)
    items = manifest["evidence"]
    assert isinstance(items, list)
    path = bundle / items[0]["file"]
    path.write_bytes(b"a forged leak")
    items[0]["sha256"] = hashlib.sha256(b"a forged leak").hexdigest()
    items[0]["size"] = len(b"a forged leak")
    (bundle / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _fails(bundle, "differs from the one recorded at receipt")
    assert not any("does not hash" in f for f in verify_bundle(bundle).failed)


def test_changed_audit_entry_fails(bundle: Path) -> None:
    """The receipt entry in its proof file edited (a forged hash): it no longer hashes to its
    leaf; with the leaf hash forged too, the inclusion proof no longer leads to the root."""
    ref = _item(bundle, 0)["receipt"]
    assert isinstance(ref, dict)
    path = bundle / ref["proof"]
    doc = json.loads(path.read_text(encoding="utf-8"))
    entry = json.loads(doc["inclusion"]["entry"])
    entry["extra"]["sha256"] = "0" * 64
    doc["inclusion"]["entry"] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    path.write_text(json.dumps(doc), encoding="utf-8")
    _fails(bundle, "does not hash to its leaf hash (edited)")
    import base64
    import hashlib

    forged_leaf = hashlib.sha256(b"\x00" + doc["inclusion"]["entry"].encode()).digest()
    doc["inclusion"]["leaf_hash"] = base64.b64encode(forged_leaf).decode()
    path.write_text(json.dumps(doc), encoding="utf-8")
    _fails(bundle, "does not lead to the root")


def test_changed_checkpoint_fails(bundle: Path) -> None:
    """The checkpoint's size line changed: its signature does not verify."""
    path = bundle / "checkpoint.note"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1] = str(int(lines[1]) + 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    _fails(bundle, "the checkpoint does not verify with the public key")


def test_changed_older_checkpoint_fails(bundle: Path) -> None:
    """The older checkpoint a consistency proof starts from, edited: it does not verify."""
    (old,) = list((bundle / "checkpoints").glob("*.note"))
    lines = old.read_text(encoding="utf-8").split("\n")
    lines[2] = "A" * len(lines[2])
    old.write_text("\n".join(lines), encoding="utf-8")
    assert not verify_bundle(bundle).ok


def test_added_file_and_other_key_fail(bundle: Path, tmp_path: Path) -> None:
    """A file slipped into evidence/ is named; a key other than the bundle's is refused."""
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    (copy / "evidence" / "extra.txt").write_text("planted", encoding="utf-8")
    _fails(copy, "evidence/extra.txt is in the bundle but not in the manifest")
    other = "other+3b1b0d1b+AcK2tSyPZX4gB6MpDblq3MyeGV9kZ4WNI/Owsu1/8Yg0"
    _fails(bundle, "not the one given", key=other)


def test_missing_or_foreign_manifest_is_a_bundle_error(bundle: Path, tmp_path: Path) -> None:
    """No directory, no manifest, a manifest that is not JSON or of another format."""
    with pytest.raises(BundleError):
        verify_bundle(tmp_path / "nowhere")
    (bundle / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(BundleError):
        verify_bundle(bundle)
    (bundle / "manifest.json").write_text('{"format": "x"}', encoding="utf-8")
    with pytest.raises(BundleError):
        verify_bundle(bundle)
    (bundle / "manifest.json").unlink()
    with pytest.raises(BundleError):
        verify_bundle(bundle)


def test_manifest_holds_no_customer_value(bundle: Path) -> None:
    """The manifest (case, links, timeline, records) names customers by id only: no phone or
    name of theirs, though the leaked file in the bundle quotes them."""
    text = (bundle / "manifest.json").read_text(encoding="utf-8")
    proofs = "".join(p.read_text(encoding="utf-8") for p in (bundle / "proofs").glob("*.json"))
    people = PeopleFactory(7).customers(3)
    leaked = (bundle / str(_item(bundle, 0)["file"])).read_text(encoding="utf-8")
    for c in people:
        assert c.phone in leaked  # the evidence itself does
        for value in (c.phone, c.phone.removeprefix("+86"), c.name, c.national_id or "-"):
            assert value not in text and value not in proofs
    assert REASON not in text and REASON not in proofs


def test_export_needs_an_admin_a_reason_evidence_and_a_new_directory(
    services: Services, people: list[str], bundle: Path, tmp_path: Path
) -> None:
    """No reason or no admin: refused, nothing written; an existing directory is refused; a
    case without evidence has nothing to export."""
    case_id = str(_manifest(bundle)["case"]["case_id"])  # type: ignore[index]
    with pytest.raises(EvidenceDenied):
        services.cases.bundles.export(case_id, tmp_path / "b2", reason="", actor=ADMIN)
    assert not (tmp_path / "b2").exists()
    with pytest.raises(BundleError):
        services.cases.bundles.export(case_id, bundle, reason=REASON, actor=ADMIN)
    empty = services.cases.cases.open("manual")
    with pytest.raises(CaseInvalid):
        services.cases.bundles.export(empty.case_id, tmp_path / "b3", reason=REASON)
    assert not (tmp_path / "b3").exists()
