"""Text normalization for scam reports and scripts.

:func:`normalize` returns the one form every later step (indicators, scoring, MinHash) works on:

1. lone surrogates become U+FFFD (they cannot be stored or encoded);
2. Unicode NFKC, which also folds full-width letters, digits and punctuation to half-width;
3. invisible characters are removed: zero-width spaces and joiners, bidi controls, soft hyphens,
   variation selectors, the keycap combiner, C0/C1 controls other than tab and newline;
4. Chinese punctuation is unified (``。``→``.``, ``、``→``,``, curly and corner quotes → ``"``,
   lenticular brackets → ``[]``, dashes → ``-``);
5. common obfuscations are undone: ``hxxp``, ``[.]``/``(dot)``/``[点]``, ``jd 点 com``,
   ``jd dot com``, ``jd . com``, ``j d . c o m``, ``[@]``, spaced digits (``1 3 8 …``) and
   Chinese numerals (``一三八…``, ``壹叁捌…``) in runs of five or more;
6. runs of spaces collapse, lines are stripped, ends trimmed.

The steps repeat until nothing changes, so ``normalize(normalize(x)) == normalize(x)``. Case is
kept (matching is case-insensitive). Spans reported by later steps refer to the normalized text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

from shieldwall.contact.scam.errors import TextTooLong

REPLACEMENT = "\ufffd"
_MAX_PASSES = 8

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u20e3\u3164\ufe00-\ufe0f\ufeff"
    "\uffa0\U000e0000-\U000e0fff]"
)
_PUNCT = str.maketrans(
    {
        "。": ".",
        "、": ",",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "【": "[",
        "】": "]",
        "〔": "[",
        "〕": "]",
        "〖": "[",
        "〗": "]",
        "《": "<",
        "》": ">",
        "〈": "<",
        "〉": ">",
        "—": "-",
        "–": "-",
        "―": "-",
        "−": "-",
        "～": "~",
        "〜": "~",
        "\r": "\n",
    }
)

# TLDs that obfuscated domains in scam messages end with; a bare "dot"/"点" is only turned into
# "." before one of these, so prose such as "一点" or "polka dot" is left alone.
OBFUSCATION_TLDS = (
    "com|net|org|cn|top|xyz|vip|cc|info|biz|me|io|co|app|site|online|shop|store|club|link|live|"
    "pro|tk|ml|ga|cf|gq|work|fun|icu|ltd|wang|ren|asia|tv|ws|mobi|cloud|tech|hk|us|uk|jp|tw|kr|"
    "sg|ru|de|ly"
)
_TLD_AHEAD = rf"(?=(?:{OBFUSCATION_TLDS})(?![A-Za-z0-9]))"

_HXXP = re.compile(r"(?i)\bh(?:xx|\*\*|XX)p(s?)(?=\[?:)")
_BRACKET_COLON = re.compile(r"\[:\]|\(:\)")
_BRACKET_DOT = re.compile(r"(?i)\s?[\[({<]\s?(?:\.|dot|点|點)\s?[\])}>]\s?")
_BRACKET_AT = re.compile(r"(?i)(?<=[A-Za-z0-9])\s?[\[({<]\s?(?:@|at)\s?[\])}>]\s?(?=[A-Za-z0-9])")
# "jd 点 com", "jd dot com", "jd . com"; a period with space on one side only ("off. Shop") is
# ordinary punctuation and stays.
_WORD_DOT = re.compile(rf"(?i)(?<=[A-Za-z0-9])(?:\s?(?:点|點|\bdot\b)\s?| \. ){_TLD_AHEAD}")
_SPACED_CHARS = re.compile(r"(?<![A-Za-z0-9.])[A-Za-z0-9](?: [A-Za-z0-9.\-]){3,}(?![A-Za-z0-9])")
_SPACED_DOMAIN = re.compile(rf"(?i)^[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:{OBFUSCATION_TLDS})$")
_SPACED_DIGITS = re.compile(r"(?<![\d])\d(?:[ \-]\d){6,}(?![\d])")
_CN_DIGITS = {
    **dict.fromkeys("零〇", "0"),
    **dict.fromkeys("一壹幺", "1"),
    **dict.fromkeys("二贰貳", "2"),
    **dict.fromkeys("三叁參", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陆陸", "6"),
    **dict.fromkeys("七柒", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖", "9"),
}
_CN_DIGIT_RUN = re.compile(
    "[0-9" + "".join(_CN_DIGITS) + "]{5,}"
)  # converted only when it holds a Chinese numeral
_CN_DIGIT_TABLE = str.maketrans(_CN_DIGITS)
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text ready for :func:`normalize`: ``replaced`` counts bytes or code points that were
    not valid UTF-8 / Unicode and became U+FFFD."""

    text: str
    replaced: int


def decode(raw: bytes) -> Decoded:
    """Decode UTF-8 with replacement, counting the replacements (a BOM is dropped)."""
    text = raw.decode("utf-8", errors="replace")
    replaced = text.count(REPLACEMENT) - raw.count(REPLACEMENT.encode())
    return Decoded(text.removeprefix("\ufeff"), max(replaced, 0))


def sanitize(text: str) -> Decoded:
    """Replace lone surrogates (from JSON ``\\ud800`` escapes or ``surrogateescape``)."""
    fixed, count = _SURROGATES.subn(REPLACEMENT, text)
    return Decoded(fixed, count)


def check_length(text: str, limit: int, field: str = "text") -> str:
    """Return ``text`` if it has at most ``limit`` characters, else raise :class:`TextTooLong`."""
    if len(text) > limit:
        raise TextTooLong(field, len(text), limit)
    return text


def normalize(text: str) -> str:
    """The normal form described in the module docstring; idempotent."""
    current = _SURROGATES.sub(REPLACEMENT, text)
    for _ in range(_MAX_PASSES):
        nxt = _one_pass(current)
        if nxt == current:
            return nxt
        current = nxt
    return current


def _one_pass(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text).translate(_PUNCT)
    text = _HXXP.sub(r"http\1", text)
    text = _BRACKET_COLON.sub(":", text)
    text = _BRACKET_DOT.sub(".", text)
    text = _BRACKET_AT.sub("@", text)
    text = _SPACED_CHARS.sub(_join_spaced_domain, text)
    text = _WORD_DOT.sub(".", text)
    text = _SPACED_DIGITS.sub(lambda m: re.sub(r"[ \-]", "", m.group()), text)
    text = _CN_DIGIT_RUN.sub(_cn_digits, text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _join_spaced_domain(match: re.Match[str]) -> str:
    joined = match.group().replace(" ", "")
    return joined if _SPACED_DOMAIN.match(joined) else match.group()


def _cn_digits(match: re.Match[str]) -> str:
    run = match.group()
    if run.isascii():
        return run
    return run.translate(_CN_DIGIT_TABLE)


def as_e164(value: str, region: str) -> str | None:
    """``value`` as an E.164 number if libphonenumber finds it valid for ``region``, else
    None (blank, longer than 32 characters, unparsable or invalid)."""
    text = value.strip()
    if not text or len(text) > 32:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
