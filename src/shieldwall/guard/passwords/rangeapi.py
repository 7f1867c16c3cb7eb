"""The Have I Been Pwned range API, answered from our corpus: ``GET /range/{prefix}``.

What api.pwnedpasswords.com does, and so what this does:

- every 5-hex prefix (either case) answers 200 with ``SUFFIX:COUNT`` lines, suffixes upper-case
  hex (35 digits for SHA-1, 27 for NTLM), sorted, separated by CRLF, no CRLF after the last;
- ``?mode=ntlm`` answers from the NTLM corpus; any other mode is SHA-1;
- a prefix that is not 5 characters answers 400 "The hash prefix was not in a valid format",
  5 characters that are not hex 400 "The hash prefix was not valid hexadecimal";
- ``Add-Padding: true`` appends random suffixes with count 0, in exactly the format of real
  lines, after the real ones. The count follows HIBP's documented rule ("a minimum of 800
  entries with additional padding of a further 0-200"; Cloudflare, 2020-03-04): a response
  with fewer than 790 real lines is padded to 800-999 lines; a bigger one gets 10-209 more, as
  HIBP's Cloudflare worker does now that its buckets exceed 800. So from its size an observer
  learns only that a bucket holds under 790 hashes. The random suffixes come from the
  operating system's CSPRNG.

Where we differ: our corpus can be small, and a prefix can have no hash at all, which never
happens at HIBP (every one of its buckets holds hundreds). An empty body breaks clients that
split it and parse every piece (the ``pwnedpasswords`` package does), so an empty bucket is
answered as if ``Add-Padding`` had been asked: 800-999 ``SUFFIX:0`` lines, which every client
already reads as "not breached".
"""

from __future__ import annotations

import os
import secrets

from shieldwall.guard.passwords.corpus import PasswordCorpora
from shieldwall.guard.passwords.hashing import HashKind

PAD_TO = 800
PAD_SPREAD = 200
PAD_AT_LEAST = 10


def mode_kind(mode: str | None) -> HashKind:
    """``?mode=`` as HIBP reads it: ``ntlm`` (any case) selects NTLM, anything else SHA-1."""
    return HashKind.NTLM if mode is not None and mode.lower() == "ntlm" else HashKind.SHA1


def wants_padding(header: str | None) -> bool:
    """The ``Add-Padding`` request header, as HIBP reads it (``true`` in any case)."""
    return header is not None and header.strip().lower() == "true"


def padding_count(real: int, draw: int) -> int:
    """Padding lines for a response of ``real`` lines; ``draw`` is uniform in [0, 200)."""
    return max(PAD_TO - real, PAD_AT_LEAST) + draw


def padding_lines(kind: HashKind, count: int) -> list[str]:
    """``count`` random ``SUFFIX:0`` lines, indistinguishable in format from real ones."""
    digits = kind.suffix_hex_length
    step = digits + 1  # draw one nibble more than needed: whole bytes
    hx = os.urandom(count * step // 2).hex().upper()
    return [hx[i * step : i * step + digits] + ":0" for i in range(count)]


def range_body(corpora: PasswordCorpora, prefix: str, *, kind: HashKind, pad: bool) -> str:
    """The body of ``GET /range/{prefix}``, never empty; raises :class:`InvalidHash` for a bad
    prefix."""
    lines = corpora.of(kind).range_lines(prefix)
    if pad or not lines:  # never an empty body: see the module docstring
        lines.extend(padding_lines(kind, padding_count(len(lines), secrets.randbelow(PAD_SPREAD))))
    return "\r\n".join(lines)
