"""Observed names: turn one input line (a domain or a URL) into a normalised host.

:func:`parse_observed` accepts ``jd.com``, ``JD.COM.``, ``https://user@jd.com:8443/x?y``,
``xn--jd-xyz.com`` and Unicode hosts, and raises :class:`InvalidObservedName` with a short reason
for anything that is not a domain name: IP addresses, single labels, empty or over-long labels,
undecodable punycode, control or space characters, malformed URLs. The host keeps its Unicode
form (punycode decoded) because lookalikes are judged on what a person sees.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import NamedTuple

import idna

from shieldwall.contact.domains.errors import InvalidObservedName

MAX_HOST_CHARS = 253
MAX_LABEL_CHARS = 63
_URL_CHARS = re.compile(r"[/:@?#\\]")
# scheme (optional) and "//", then the authority: userinfo@host:port
_AUTHORITY = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//([^/?#]*)")
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_ASCII_LABEL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
# A host of plain ASCII labels (1-63 characters each, at least two labels): the common case.
_PLAIN_HOST = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})+")
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


class ObservedName(NamedTuple):
    """A host as a person would read it, plus what the URL around it carried."""

    host: str
    labels: tuple[str, ...]
    is_idn: bool
    invisible: bool
    userinfo: str


def _reason(text: str) -> InvalidObservedName:
    return InvalidObservedName(text, field="input")


def _decode_punycode(label: str) -> str:
    try:
        return idna.decode(label)
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError) as exc:
        raise _reason("a label starting with xn-- is not valid punycode") from exc
    if not decoded:
        raise _reason("a label starting with xn-- is not valid punycode")
    return decoded.lower()


def _unicode_label(label: str) -> tuple[str, bool]:
    """Validate one non-ASCII label; drop invisible format characters (reported)."""
    kept = []
    invisible = False
    for char in unicodedata.normalize("NFC", label):
        category = unicodedata.category(char)
        if category == "Cf":
            invisible = True
            continue
        if category in _BAD_CATEGORIES:
            raise _reason(f"character U+{ord(char):04X} ({category}) is not allowed in a domain")
        kept.append(char)
    if not kept:
        raise _reason("empty label")
    result = "".join(kept).lower()
    try:
        encoded_len = len(result.encode("punycode")) + 4
    except UnicodeError as exc:
        raise _reason("label cannot be encoded as punycode") from exc
    if encoded_len > MAX_LABEL_CHARS:
        raise _reason(f"label longer than {MAX_LABEL_CHARS} characters once encoded")
    return result, invisible


def normalize_host(host: str) -> tuple[str, tuple[str, ...], bool, bool]:
    """Return ``(host, labels, is_idn, invisible)`` for a bare host, or raise.

    ``is_idn`` is true when any label was punycode or non-ASCII; ``invisible`` when format
    characters (zero-width joiners and the like) were removed.
    """
    host = host.strip().rstrip(".").lower()
    if _PLAIN_HOST.fullmatch(host) and "xn--" not in host and len(host) <= MAX_HOST_CHARS:
        labels = tuple(host.split("."))
        if not labels[-1].isdigit():
            return host, labels, False, False
    return _normalize_slowly(host)


def _normalize_slowly(host: str) -> tuple[str, tuple[str, ...], bool, bool]:
    host = host.translate(_DOTS).rstrip(".")
    if not host:
        raise _reason("no host name")
    if len(host) > MAX_HOST_CHARS:
        raise _reason(f"host longer than {MAX_HOST_CHARS} characters")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise _reason("an IP address, not a domain name")
    labels = host.split(".")
    if len(labels) < 2:
        raise _reason("a single label, not a domain name")
    out: list[str] = []
    is_idn = invisible = False
    for raw in labels:
        label = raw
        if not label:
            raise _reason("empty label (two dots in a row)")
        if label.isascii():
            if len(label) > MAX_LABEL_CHARS:
                raise _reason(f"label longer than {MAX_LABEL_CHARS} characters")
            if not _ASCII_LABEL.issuperset(label):
                bad = next(c for c in label if c not in _ASCII_LABEL)
                raise _reason(f"character {bad!r} is not allowed in a domain")
            if label.startswith("xn--"):
                label, had_invisible = _unicode_label(_decode_punycode(raw))
                invisible |= had_invisible
                is_idn = True
        else:
            label, had_invisible = _unicode_label(raw)
            invisible |= had_invisible
            is_idn = True
        out.append(label)
    if out[-1].isdigit():
        raise _reason("numeric top-level label: not a domain name")
    return ".".join(out), tuple(out), is_idn, invisible


def _split_url(text: str) -> tuple[str, str]:
    """``(userinfo, host)`` of a URL, or of ``host/path`` written without a scheme.

    Backslashes count as slashes, as browsers read them.
    """
    candidate = text.replace("\\", "/")
    match = _AUTHORITY.match(candidate)
    if match is None:
        match = _AUTHORITY.match("//" + candidate.lstrip("/"))
    if match is None:
        raise _reason("malformed URL")
    userinfo, _, hostport = match.group(1).rpartition("@")
    if hostport.startswith("["):
        if "]" not in hostport:
            raise _reason("malformed URL: unclosed '[' in the host")
        raise _reason("an IP address, not a domain name")
    host, colon, port = hostport.partition(":")
    if colon and port and not port.isdigit():
        raise _reason("malformed URL: the port is not a number")
    if not host:
        raise _reason("URL has no host")
    return userinfo.lower(), host


def parse_observed(text: str) -> ObservedName:
    """Parse one observed domain or URL; raise :class:`InvalidObservedName` with the reason."""
    text = text.strip()
    if not text:
        raise _reason("empty line")
    userinfo = ""
    host = text
    if _URL_CHARS.search(text):
        userinfo, host = _split_url(text)
    host, labels, is_idn, invisible = normalize_host(host)
    return ObservedName(host, labels, is_idn, invisible, userinfo)
