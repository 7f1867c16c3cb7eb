"""Build discover's Chinese bank BIN table from a package (nothing else is fetched).

    python bench/build_discover_bins.py     # rewrites src/shieldwall/discover/recognizers/data/...

Source: the npm package ``bankcardinfo`` 2.0.6 (ISC licence, project ``navyxie/bankcardinfo``),
whose ``index.js`` holds, per bank, regular expressions of the form ``^(622202|622208|...)\\d{13}$``
with a card type (DC debit, CC credit, SCC quasi-credit, PC prepaid). The tarball is fetched with
``npm pack`` into a temporary directory and the file is read as text: nothing is executed.

Output, gzip-compressed UTF-8, one line per (prefix, bank, card type, length), sorted::

    prefix<TAB>bank code<TAB>bank name<TAB>card type<TAB>card length
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "bankcardinfo@2.0.6"
OUT = (
    HERE.parent / "src" / "shieldwall" / "discover" / "recognizers" / "data" / "cn-bank-bins.tsv.gz"
)
_BANK = re.compile(
    r'bankName: "([^"]+)",\s*bankCode: "([A-Z0-9]+)",\s*patterns: \[(.*?)\]\s*\}', re.S
)
_PATTERN = re.compile(r'reg: /\^\(([\d|]+)\)\\d\{(\d+)\}\$/g?,\s*cardType: "([A-Z]+)"')


def parse(source: str) -> list[tuple[str, str, str, str, int]]:
    rows = set()
    for name, code, patterns in _BANK.findall(source):
        found = _PATTERN.findall(patterns)
        if patterns.count("reg:") != len(found):
            raise SystemExit(f"{code}: a pattern of an unexpected form; update the parser")
        for prefixes, rest, card_type in found:
            for prefix in prefixes.split("|"):
                rows.add((prefix, code, name, card_type, len(prefix) + int(rest)))
    return sorted(rows)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", "--silent", PACKAGE], cwd=tmp, check=True, capture_output=True
        )
        tarball = next(Path(tmp).glob("bankcardinfo-*.tgz"))
        with tarfile.open(tarball) as tar:
            member = tar.extractfile("package/index.js")
            if member is None:
                raise SystemExit("index.js missing from the package")
            source = member.read().decode("utf-8")
    rows = parse(source)
    text = "".join("\t".join(map(str, row)) + "\n" for row in rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    banks = len({row[1] for row in rows})
    print(f"{len(rows)} rows, {len({r[0] for r in rows})} prefixes, {banks} banks -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
