"""Targeted guessing from a customer's old breached password: is the password tried a *tweak*
of it?

People who must change a leaked password mostly change it a little. Das et al., "The Tangled
Web of Password Reuse" (NDSS 2014), found that about 43-51% of users reuse a password across
sites and that the commonest changes of a reused one are appending or deleting digits and
symbols at its end, capitalisation, and leet substitutions; a guesser applying those rules
cracked about 30% of the changed passwords in under 100 tries. Pal et al., "Beyond Credential
Stuffing: Password Similarity Models using Neural Networks" (IEEE S&P 2019), show a model of
such edits (pass2path) breaks 16% of accounts with 1,000 guesses *online*, the "credential
tweaking" attack this signal watches for.

A store that obtains a combo list (``login:password`` lines) naming its customers (credential
leak monitoring) imports it: :func:`tweaks` lists the leaked password and the changes above
(a few hundred candidates at most), and the engine keeps, per account, only keyed HMAC tags of
their SHA-1 (:meth:`~.engine.RiskEngine.import_breach`): neither the passwords nor their bare
SHA-1 are stored. At check time the login service's SHA-1 of the password tried is tagged the
same way and looked up in the same state call as the attempt's counters.

Pure: no I/O. :func:`read_combos` parses a combo list; its errors name the line and the
reason, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from shieldwall.guard.risk.errors import BreachFileError
from shieldwall.guard.risk.model import MAX_ACCOUNT

MAX_CANDIDATES = 300
MAX_PASSWORD = 128
MIN_TWEAK = 4  # shorter candidates say nothing about the leaked password
# Suffixes appended to the leaked password and to its stem (trailing digits and symbols cut):
# digits and symbols (Das et al.'s commonest changes), and the Chinese favourites 520 / 1314
# ("I love you (for life)"), 666 and 888 (luck); Li, Han and Xu (USENIX Security 2014) list them.
SUFFIXES = (
    "1",
    "12",
    "123",
    "1234",
    "!",
    ".",
    "@",
    "#",
    "!@#",
    "@123",
    "520",
    "1314",
    "666",
    "888",
)
# Leet substitutions (Das et al. §5: among the commonest transformations), one way and back
LEET = {"a": "@", "o": "0", "i": "1", "e": "3", "s": "$", "l": "1", "t": "7"}
UNLEET = {"@": "a", "0": "o", "1": "i", "3": "e", "$": "s", "7": "t", "4": "a", "5": "s"}
_TAIL = re.compile(r"^(.*?)([0-9]*)([^0-9A-Za-z]*)$", re.DOTALL)
_YEAR = re.compile(r"^(19[5-9][0-9]|20[0-4][0-9])$")


@dataclass(frozen=True, slots=True)
class Combo:
    """One leaked pair, held in memory only while an import runs."""

    line: int
    login: str
    password: str


def _split(password: str) -> tuple[str, str, str]:
    """``(stem, digits, symbols)``: the password's trailing run of digits and, after it, of
    symbols ("wang1985!" -> "wang", "1985", "!")."""
    m = _TAIL.match(password)
    if m is None:  # unreachable: every group may be empty
        return password, "", ""
    return m.group(1), m.group(2), m.group(3)


def _cases(word: str) -> list[str]:
    """The word, capitalised, lower-case, upper-case, with the first letter's case flipped."""
    if not word:
        return [word]
    flipped = word[0].swapcase() + word[1:]
    return list(
        dict.fromkeys((word, word[:1].upper() + word[1:], word.lower(), word.upper(), flipped))
    )


def _number_changes(digits: str) -> list[str]:
    """A trailing number incremented and decremented (by one and two), and, for a year, the
    years around it and its two-digit form (a password renewed each year)."""
    if not digits:
        return []
    width = len(digits)
    value = int(digits)
    out = []
    for step in (1, 2, -1, 3):
        v = value + step
        if v >= 0:
            out.append(str(v).zfill(width))
    if _YEAR.match(digits):
        out.append(digits[2:])
    elif width == 2:
        out += [("19" if value >= 50 else "20") + digits]
    return out


def _leet(word: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in word)


def tweaks(password: str) -> list[str]:
    """The leaked ``password`` and its likely changes, most likely first, without duplicates,
    at most :data:`MAX_CANDIDATES`, none shorter than :data:`MIN_TWEAK` characters:

    1. the password itself, then its capitalisation changes (each of :func:`_cases`);
    2. the trailing number changed (:func:`_number_changes`), the trailing symbols dropped,
       the last character dropped;
    3. each of :data:`SUFFIXES` appended to the password and to its stem, and a trailing
       number moved after the symbols ("wang!1985" for "wang1985!");
    4. leet: every substitutable letter of the stem replaced (:data:`LEET`), or undone
       (:data:`UNLEET`), keeping the tail;
    5. two case changes (capitalised first) of each of steps 2-4.
    """
    stem, digits, symbols = _split(password)
    core: list[str] = [password]
    for n in _number_changes(digits):
        core.append(stem + n + symbols)
    if symbols:
        core.append(stem + digits)
    if digits and symbols:
        core.append(stem + symbols + digits)
    if len(password) > 1:
        core.append(password[:-1])
    for suffix in SUFFIXES:
        core.append(password + suffix)
    if digits or symbols:
        for suffix in SUFFIXES:
            core.append(stem + suffix)
        core.append(stem)
    for table in (LEET, UNLEET):
        leet = _leet(stem, table)
        if leet != stem:
            core.append(leet + digits + symbols)
            core.append(leet + digits)
            core += [leet + s for s in ("1", "123", "!")]
    out: list[str] = []
    for form in _cases(password):
        out.append(form)
    for c in core:
        out.append(c)
    for c in core:
        out += _cases(c)[1:3]  # the next two case forms (capitalised first): the commonest
    unique = [p for p in dict.fromkeys(out) if len(p) >= MIN_TWEAK]
    return unique[:MAX_CANDIDATES]


def read_combos(
    lines: Iterable[bytes], *, max_lines: int = 1_000_000, field: str = "file"
) -> list[Combo]:
    """Parse a combo list: one ``login:password`` per line (split at the first ``:``), UTF-8,
    blank lines and lines starting with ``#`` skipped. Every line is checked before any is
    used (an import is all or nothing); the first bad lines raise :class:`BreachFileError`
    (on ``field``) naming their numbers and reasons, never their content."""
    combos: list[Combo] = []
    problems: list[str] = []
    for number, raw in enumerate(lines, 1):
        if number > max_lines:
            raise BreachFileError(f"more than {max_lines} lines", field=field)
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            problems.append(f"line {number}: not UTF-8")
            continue
        if not text.strip() or text.startswith("#"):
            continue
        login, sep, password = text.partition(":")
        login = login.strip()
        reason = None
        if not sep:
            reason = "no ':' between login and password"
        elif not login:
            reason = "empty login"
        elif len(login) > MAX_ACCOUNT:
            reason = f"login longer than {MAX_ACCOUNT} characters"
        elif not password:
            reason = "empty password"
        elif len(password) > MAX_PASSWORD:
            reason = f"password longer than {MAX_PASSWORD} characters"
        if reason is not None:
            problems.append(f"line {number}: {reason}")
            continue
        combos.append(Combo(number, login, password))
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise BreachFileError("; ".join(problems[:5]) + more, field=field)
    if not combos:
        raise BreachFileError("no login:password line", field=field)
    return combos
