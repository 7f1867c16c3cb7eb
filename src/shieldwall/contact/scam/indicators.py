"""Indicator extraction: what in a scam report can link it to other reports.

:class:`IndicatorExtractor` takes normalized text (see :mod:`.normalize`) and returns every
indicator with its span, plus the candidates it rejected and why (a malformed URL, an invalid
punycode label, a card-like number failing the Luhn check, a phone-like number that is not
valid). It never raises on any ``str`` (an error inside ``phonenumbers`` is not swallowed).

Kinds, in the order they claim text (a later kind never re-reads a claimed span):

=================  ==================================================================  ==========
kind               how                                                                 stored as
=================  ==================================================================  ==========
url, domain        ``http(s)://``, ``www.``, and bare ``name.tld`` (common TLDs); hosts
                   IDNA-checked (UTS 46), registrable domain from the PSL snapshot      url sealed,
                                                                                       domain clear
email              RFC 5322-ish address; ``digits@qq.com`` also yields a QQ number      sealed
qq, wechat,        after a context word (``QQ``/扣扣/企鹅, 微信/VX/WeChat, Telegram,      sealed
telegram, alipay,  支付宝, 会议号/meeting ID); WeChat ids need a digit, ``_`` or ``-``
meeting_id         unless introduced by 号/ID/colon
order_number,      after 订单号/order number, 运单号/tracking number                      token
tracking_number
bank_card          16-19 digits (spaces or dashes allowed), Luhn-valid                  token
phone              ``phonenumbers`` matcher (CN default): mobiles, landlines, 400/800,  sealed
                   international; valid numbers only
unparsed_phone     a number the matcher finds *possible* but not valid (a mistyped or    sealed
                   unassigned number): kept, never silently dropped, and also listed
                   as rejected ("not a valid phone number")
short_number       95xxx/96xxx/10xxx-12xxx service numbers valid for the region         sealed
amount             ¥/$/RMB/USD prefixes, 元/块/dollars suffixes; value in the currency  clear
screen_share_app   names and aliases of remote-control and meeting apps                 clear
=================  ==================================================================  ==========

"stored as" is how :mod:`.sealing` keeps the value at rest (every kind is matched on a keyed
hash). Values that are the victim's data (cards, order and tracking numbers) pass through the
:class:`~.tokens.Tokenizer` inside the extractor, so clear card numbers never leave it; the
``detail`` of a card is its last four digits.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

import idna
import phonenumbers
import tldextract
from phonenumbers import shortnumberinfo

from shieldwall.contact.scam.tokens import Tokenizer, luhn_valid

MAX_URL_CHARS = 2048


class Kind(StrEnum):
    URL = "url"
    DOMAIN = "domain"
    EMAIL = "email"
    QQ = "qq"
    WECHAT = "wechat"
    TELEGRAM = "telegram"
    ALIPAY = "alipay"
    MEETING_ID = "meeting_id"
    ORDER_NUMBER = "order_number"
    TRACKING_NUMBER = "tracking_number"
    BANK_CARD = "bank_card"
    PHONE = "phone"
    SHORT_NUMBER = "short_number"
    AMOUNT = "amount"
    SCREEN_SHARE_APP = "screen_share_app"
    SENDER_ID = "sender_id"  # an SMS sender name or app account that is not a phone number
    UNPARSED_PHONE = "unparsed_phone"  # phone-like, but not a valid number for its region


TOKENIZED_KINDS = frozenset({Kind.BANK_CARD, Kind.ORDER_NUMBER, Kind.TRACKING_NUMBER})


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator: ``value`` is canonical (E.164, lower-case punycode host, token…),
    ``span`` is ``(start, end)`` in the normalized text, ``detail`` adds context (a domain's
    full host, a card's last four digits)."""

    kind: Kind
    value: str
    span: tuple[int, int]
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A candidate that looked like an indicator but is invalid; no value is echoed."""

    kind: Kind
    span: tuple[int, int]
    reason: str


@dataclass(frozen=True, slots=True)
class Extraction:
    indicators: tuple[Indicator, ...]
    rejected: tuple[Rejected, ...]

    def of(self, kind: Kind) -> list[Indicator]:
        return [i for i in self.indicators if i.kind is kind]

    def values(self, kind: Kind) -> list[str]:
        return [i.value for i in self.indicators if i.kind is kind]


# --- screen sharing and remote control -----------------------------------------------------
SCREEN_SHARE_APPS: dict[str, tuple[str, ...]] = {
    "Tencent Meeting": ("腾讯会议", "tencent meeting", "voov"),
    "Sunlogin": ("向日葵", "sunlogin", "oray"),
    "ToDesk": ("todesk",),
    "TeamViewer": ("teamviewer",),
    "AnyDesk": ("anydesk",),
    "Zoom": ("zoom",),
    "DingTalk": ("钉钉", "dingtalk"),
    "Feishu/Lark": ("飞书", "feishu"),
    "QQ remote assistance": ("qq远程", "远程协助"),
    "Cloud video (云视讯)": ("云视讯",),
    "Xylink (小鱼易连)": ("小鱼易连",),
    "Zhumu (瞩目)": ("瞩目",),
    "Huawei Cloud Meeting": ("华为云会议", "welink"),
    "RustDesk": ("rustdesk",),
    "UU Remote": ("uu远程",),
    "QuickSupport": ("quicksupport", "quick support"),
    "screen sharing": (
        "屏幕共享",
        "共享屏幕",
        "share screen",
        "share your screen",
        "screen share",
        "screen sharing",
        "screen-sharing",
    ),
}

# --- patterns --------------------------------------------------------------------------------
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_URL_START = re.compile(r"(?i)(?<![A-Za-z0-9])(?:(?:https?|ftp)://|www\.)")
_URL_BODY_STOP = re.compile(rf"[\s\"'<>{_CJK}]")
_HOST_AFTER_USERINFO = re.compile(
    r"^(?:[^\s/?#@]*@)?(?:\[[0-9A-Fa-f:.]*\]?|(?:[^\s/?#:.]*\.)*[A-Za-z0-9-]+)(?::\d*)?"
)
_TRAILING = ".,;:!?)]}'\"*"
_BARE_TLDS = (
    "com|net|org|cn|top|xyz|vip|cc|info|biz|io|co|app|site|online|shop|store|club|link|live|pro|"
    "tk|ml|ga|cf|gq|work|fun|icu|ltd|asia|tv|ws|mobi|cloud|tech|hk|us|uk|jp|tw|kr|sg|ru|de|ly|"
    "xn--[a-z0-9-]{1,59}"
)
_BARE_DOMAIN = re.compile(
    rf"(?i)(?<![A-Za-z0-9@._/:-])((?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{_BARE_TLDS}))"
    rf"(?![A-Za-z0-9_-])(/[^\s\"'<>{_CJK}]*)?"
)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_EMAIL = re.compile(
    r"(?i)(?<![\w.+%-])([a-z0-9._%+-]{1,64})@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"[a-z]{2,63})(?![\w-])"
)
_QQ = re.compile(r"(?i)(?:(?<![a-z])qq|扣扣|企鹅|q号)[^\d\n]{0,8}?([1-9]\d{4,10})(?!\d)")
_WECHAT = re.compile(
    r"(?i)(?:微信|weixin|wechat|(?<![a-z])(?:vx|wx)(?![a-z])|v信|薇信|威信|微x)"
    r"(号|\s?id)?\s?(:)?\s?(?:是|为|is)?\s?([a-z][a-z0-9_-]{5,19})(?![a-z0-9_-])"
)
_TELEGRAM = re.compile(
    r"(?i)(?:(?:telegram|(?<![a-z])tg(?![a-z]))[^\n@]{0,40}@|t\.me/)([a-z][a-z0-9_]{4,31})"
    r"(?![a-z0-9_])"
)
_ALIPAY = re.compile(
    r"(?i)(?:支付宝|alipay)(?:账号|账户|帐号|帐户|\s?account)?\s?(?:是|为|is)?\s?:?\s?"
    r"(1[3-9]\d{9}|[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,})(?![\d])"
)
_MEETING = re.compile(
    r"(?i)(?:会议号|会议id|会议码|会议室号|房间号|meeting\s?(?:id|number|code|no\.?))"
    r"[^\d\n]{0,6}?(\d(?:[ -]?\d){5,13})(?!\d)"
)
_ORDER = re.compile(
    r"(?i)(?<![运快物])(?:订单号|订单编号|订单|单号|order\s?(?:no\.?|number|id|#)|order)"
    r"\s?[:#]?\s?([a-z]{0,4}\d[\da-z-]{5,31})(?![a-z0-9])"
)
_TRACKING = re.compile(
    r"(?i)(?:运单号|快递单号|物流单号|tracking\s?(?:number|no\.?|#)?)\s?[:#]?\s?([a-z]{0,4}\d{8,20})"
    r"(?![a-z0-9])"
)
_CARD = re.compile(r"(?<![\d])(\d(?:[ -]?\d){15,18})(?![\d])")
_CARD_CONTEXT = re.compile(r"(?i)(?:卡号|银行卡|账户|帐户|账号|card|account)[^\n]{0,12}$")
_SHORT = re.compile(r"(?<![\d.])(9[56]\d{3}|1[0-2]\d{3})(?![\d])")
_AMOUNT_PREFIX = re.compile(
    r"(?i)(us\$|\$|¥|rmb|cny|usd)\s?(\d{1,3}(?:,\d{3})+|\d{1,9})(?:\.(\d{1,2}))?(?![\d])"
)
_AMOUNT_SUFFIX = re.compile(
    r"(?i)(?<![\d.])(\d{1,3}(?:,\d{3})+|\d{1,9})(?:\.(\d{1,2}))?\s?(元|块钱|块|rmb|yuan|dollars?)"
    r"(?![a-z])"
)
_CURRENCY = {"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD"}


class _Claims:
    """Spans already taken by an earlier, more specific kind."""

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []

    def add(self, span: tuple[int, int]) -> None:
        self._spans.append(span)

    def overlaps(self, span: tuple[int, int]) -> bool:
        start, end = span
        return any(start < e and s < end for s, e in self._spans)


class _BadHost(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Host:
    """A validated host: ASCII (punycode) form and its registrable domain (or the IP)."""

    ascii: str
    registrable: str
    is_ip: bool


class LinkFinder:
    """URLs and domains only: what the scorer needs, without tokens or phone parsing."""

    def __init__(self) -> None:
        # suffix_list_urls=() uses the snapshot shipped inside tldextract: nothing downloads.
        self._psl = tldextract.TLDExtract(
            suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
        )

    def find(self, text: str) -> Extraction:
        found: list[Indicator] = []
        rejected: list[Rejected] = []
        self.scan(text, found, rejected, _Claims())
        return Extraction(tuple(found), tuple(rejected))

    def scan(
        self, text: str, found: list[Indicator], rejected: list[Rejected], claims: _Claims
    ) -> None:
        self._urls(text, found, rejected, claims)
        self._emails(text, found, claims)
        self._bare_domains(text, found, rejected, claims)

    def host(self, raw_host: str) -> Host:
        """Validate a host name or IP; raises ``ValueError`` with a reason when invalid."""
        try:
            return self._host(raw_host)
        except _BadHost as exc:
            raise ValueError(exc.reason) from None

    # -- URLs and domains --------------------------------------------------------------------

    def _urls(
        self, text: str, found: list[Indicator], rejected: list[Rejected], claims: _Claims
    ) -> None:
        for start_match in _URL_START.finditer(text):
            start = start_match.start()
            if claims.overlaps((start, start + 1)):
                continue
            raw, end = _cut_url(text, start_match.end(), start)
            span = (start, end)
            claims.add(span)
            self._add_url(raw, span, found, rejected)

    def _add_url(
        self, raw: str, span: tuple[int, int], found: list[Indicator], rejected: list[Rejected]
    ) -> None:
        if len(raw) > MAX_URL_CHARS:
            rejected.append(Rejected(Kind.URL, span, f"URL longer than {MAX_URL_CHARS} characters"))
            return
        candidate = raw if "://" in raw else "http://" + raw
        try:
            parts = urlsplit(candidate)
            hostname = parts.hostname
            port = parts.port
        except ValueError as exc:
            rejected.append(Rejected(Kind.URL, span, f"malformed URL ({_reason(exc)})"))
            return
        if not hostname:
            rejected.append(Rejected(Kind.URL, span, "URL without a host"))
            return
        try:
            host = self._host(hostname)
        except _BadHost as exc:
            rejected.append(Rejected(Kind.URL, span, exc.reason))
            return
        netloc = f"[{host.ascii}]" if ":" in host.ascii else host.ascii
        if port is not None:
            netloc += f":{port}"
        url = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))
        found.append(Indicator(Kind.URL, url, span))
        found.append(Indicator(Kind.DOMAIN, host.registrable, span, detail=host.ascii))

    def _bare_domains(
        self, text: str, found: list[Indicator], rejected: list[Rejected], claims: _Claims
    ) -> None:
        for m in _BARE_DOMAIN.finditer(text):
            span = (m.start(), m.end())
            if claims.overlaps(span):
                continue
            try:
                host = self._host(m.group(1))
            except _BadHost as exc:
                if m.group(1).lower().startswith("xn--") or ".xn--" in m.group(1).lower():
                    rejected.append(Rejected(Kind.DOMAIN, span, exc.reason))
                continue  # prose such as "hello.world" without a known suffix is not a domain
            claims.add(span)
            if m.group(2) and len(m.group(2)) > 1:
                self._add_url(m.group(0).rstrip(_TRAILING), span, found, rejected)
            else:
                found.append(Indicator(Kind.DOMAIN, host.registrable, span, detail=host.ascii))

    def _host(self, raw: str) -> Host:
        host = raw.strip().rstrip(".").lower()
        if not host:
            raise _BadHost("empty host")
        try:
            ip = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            pass
        else:
            return Host(str(ip), str(ip), True)
        if not host.isascii():
            try:
                host = idna.encode(host, uts46=True).decode("ascii")
            except (idna.IDNAError, UnicodeError, ValueError):
                raise _BadHost("invalid internationalized domain name") from None
        if len(host) > 253:
            raise _BadHost("host name longer than 253 characters")
        labels = host.split(".")
        for label in labels:
            if not _LABEL.match(label):
                raise _BadHost("invalid host label")
            if label.startswith("xn--"):
                try:
                    idna.decode(label)
                except (idna.IDNAError, UnicodeError, ValueError):
                    raise _BadHost("invalid punycode label") from None
        if all(label.isdigit() for label in labels):
            raise _BadHost("invalid IP address")
        parts = self._psl(host)
        if not parts.suffix:
            raise _BadHost("no known public suffix")
        if not parts.domain:
            raise _BadHost("host is a public suffix")
        return Host(host, f"{parts.domain}.{parts.suffix}", False)

    def _emails(self, text: str, found: list[Indicator], claims: _Claims) -> None:
        for m in _EMAIL.finditer(text):
            span = (m.start(), m.end())
            if claims.overlaps(span):
                continue
            claims.add(span)
            local, domain = m.group(1).lower(), m.group(2).lower()
            found.append(Indicator(Kind.EMAIL, f"{local}@{domain}", span))
            if domain == "qq.com" and local.isdigit() and 5 <= len(local) <= 11:
                found.append(Indicator(Kind.QQ, local, span))


class IndicatorExtractor:
    """Finds indicators in normalized text; pure apart from the PSL snapshot it loads once."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        *,
        region: str = "CN",
        screen_share_apps: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self._tokenizer = tokenizer
        self._region = region
        self._links = LinkFinder()
        apps = screen_share_apps if screen_share_apps is not None else SCREEN_SHARE_APPS
        alias_to_name = {
            alias.casefold(): name for name, aliases in apps.items() for alias in aliases
        }
        alternation = "|".join(re.escape(a) for a in sorted(alias_to_name, key=len, reverse=True))
        self._apps = re.compile(rf"(?i)(?<![a-z])(?:{alternation})(?![a-z])")
        self._app_names = alias_to_name

    # -- public ----------------------------------------------------------------------------

    def extract(self, text: str) -> Extraction:
        """Every indicator in ``text`` (already normalized), de-duplicated by (kind, value);
        a domain is kept once per distinct host."""
        found: list[Indicator] = []
        rejected: list[Rejected] = []
        claims = _Claims()
        self._links.scan(text, found, rejected, claims)
        self._contexts(text, found, claims)
        self._cards(text, found, rejected, claims)
        self._phones(text, found, rejected, claims)
        self._amounts(text, found, claims)
        self._short_numbers(text, found, claims)
        self._screen_share(text, found)
        unique: dict[tuple[Kind, str, str | None], Indicator] = {}
        for ind in sorted(found, key=lambda i: i.span):
            host = ind.detail if ind.kind is Kind.DOMAIN else None
            unique.setdefault((ind.kind, ind.value, host), ind)
        return Extraction(tuple(unique.values()), tuple(rejected))

    def link(self, raw: str) -> Extraction:
        """Indicators of one reported link (a scheme is assumed when missing)."""
        text = raw.strip()
        if text and not _URL_START.match(text):
            text = "http://" + text
        return self.extract(text)

    # -- accounts and ids --------------------------------------------------------------------

    def _contexts(self, text: str, found: list[Indicator], claims: _Claims) -> None:
        for m in _MEETING.finditer(text):
            self._claim_group(m, 1, Kind.MEETING_ID, re.sub(r"[ -]", "", m.group(1)), found, claims)
        for m in _QQ.finditer(text):
            value = m.group(1)
            if len(value) == 11 and value[0] == "1" and value[1] in "3456789":
                continue  # an 11-digit 13x-19x number is a mobile; the phone pass takes it
            self._claim_group(m, 1, Kind.QQ, value, found, claims)
        for m in _WECHAT.finditer(text):
            marker, colon, wid = m.group(1), m.group(2), m.group(3)
            if marker or colon or re.search(r"[\d_-]", wid):
                self._claim_group(m, 3, Kind.WECHAT, wid.lower(), found, claims)
        for m in _TELEGRAM.finditer(text):
            self._claim_group(m, 1, Kind.TELEGRAM, m.group(1).lower(), found, claims)
        for m in _ALIPAY.finditer(text):
            value = m.group(1).lower()
            self._claim_group(m, 1, Kind.ALIPAY, value, found, claims, claim=False)
        for m in _TRACKING.finditer(text):
            token = self._tokenizer.token(Kind.TRACKING_NUMBER, m.group(1).upper())
            self._claim_group(m, 1, Kind.TRACKING_NUMBER, token, found, claims)
        for m in _ORDER.finditer(text):
            value = m.group(1).upper()
            if sum(ch.isdigit() for ch in value) < 6:
                continue
            token = self._tokenizer.token(Kind.ORDER_NUMBER, value)
            self._claim_group(m, 1, Kind.ORDER_NUMBER, token, found, claims, detail=value[-4:])

    @staticmethod
    def _claim_group(
        m: re.Match[str],
        group: int,
        kind: Kind,
        value: str,
        found: list[Indicator],
        claims: _Claims,
        *,
        claim: bool = True,
        detail: str | None = None,
    ) -> None:
        span = (m.start(group), m.end(group))
        if claims.overlaps(span):
            return
        if claim:
            claims.add(span)
        found.append(Indicator(kind, value, span, detail=detail))

    def _cards(
        self, text: str, found: list[Indicator], rejected: list[Rejected], claims: _Claims
    ) -> None:
        for m in _CARD.finditer(text):
            span = (m.start(1), m.end(1))
            if claims.overlaps(span):
                continue
            digits = re.sub(r"[ -]", "", m.group(1))
            if not 16 <= len(digits) <= 19:
                continue
            if luhn_valid(digits):
                claims.add(span)
                token = self._tokenizer.token(Kind.BANK_CARD, digits)
                found.append(Indicator(Kind.BANK_CARD, token, span, detail=digits[-4:]))
            elif _CARD_CONTEXT.search(text, max(0, span[0] - 24), span[0]):
                claims.add(span)
                rejected.append(Rejected(Kind.BANK_CARD, span, "card-like number fails Luhn"))

    def _phones(
        self, text: str, found: list[Indicator], rejected: list[Rejected], claims: _Claims
    ) -> None:
        """Valid numbers become ``phone`` indicators; numbers the library finds possible but
        not valid (``Leniency.POSSIBLE``) become ``unparsed_phone`` and a rejection, so a
        scammer's mistyped or unassigned number is reported rather than lost."""
        if sum(ch.isdigit() for ch in text) < 7:
            return
        valid = phonenumbers.Leniency.VALID
        for match in phonenumbers.PhoneNumberMatcher(text, self._region, leniency=valid):
            span = (match.start, match.end)
            if claims.overlaps(span):
                continue
            claims.add(span)
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            found.append(Indicator(Kind.PHONE, e164, span))
        possible = phonenumbers.Leniency.POSSIBLE
        for match in phonenumbers.PhoneNumberMatcher(text, self._region, leniency=possible):
            span = (match.start, match.end)
            digits = re.sub(r"[^\d+]", "", match.raw_string)
            if claims.overlaps(span) or _inside_token(text, span) or len(digits) > 16:
                continue  # part of an ID number or a reference, or longer than E.164 allows
            claims.add(span)
            found.append(Indicator(Kind.UNPARSED_PHONE, digits, span))
            rejected.append(Rejected(Kind.PHONE, span, "not a valid phone number"))

    def _short_numbers(self, text: str, found: list[Indicator], claims: _Claims) -> None:
        for m in _SHORT.finditer(text):
            span = (m.start(1), m.end(1))
            if claims.overlaps(span):
                continue
            try:
                number = phonenumbers.parse(m.group(1), self._region)
            except phonenumbers.NumberParseException:
                continue
            if shortnumberinfo.is_valid_short_number_for_region(number, self._region):
                claims.add(span)
                found.append(Indicator(Kind.SHORT_NUMBER, m.group(1), span))

    def _amounts(self, text: str, found: list[Indicator], claims: _Claims) -> None:
        for m in _AMOUNT_PREFIX.finditer(text):
            currency = _CURRENCY.get(m.group(1).lower(), "CNY")
            self._add_amount(m, currency, m.group(2), m.group(3), found, claims)
        for m in _AMOUNT_SUFFIX.finditer(text):
            currency = _CURRENCY.get(m.group(3).lower(), "CNY")
            self._add_amount(m, currency, m.group(1), m.group(2), found, claims)

    @staticmethod
    def _add_amount(
        m: re.Match[str],
        currency: str,
        units: str,
        cents: str | None,
        found: list[Indicator],
        claims: _Claims,
    ) -> None:
        span = (m.start(), m.end())
        if claims.overlaps(span):
            return
        claims.add(span)
        value = f"{currency} {int(units.replace(',', ''))}.{(cents or '0').ljust(2, '0')}"
        found.append(Indicator(Kind.AMOUNT, value, span))

    def _screen_share(self, text: str, found: list[Indicator]) -> None:
        for m in self._apps.finditer(text):
            name = self._app_names[m.group().casefold()]
            found.append(Indicator(Kind.SCREEN_SHARE_APP, name, (m.start(), m.end())))


def _inside_token(text: str, span: tuple[int, int]) -> bool:
    """True when ASCII letters or digits run straight on from either end of ``span``."""
    before = text[span[0] - 1 : span[0]]
    after = text[span[1] : span[1] + 1]
    return any(c.isascii() and c.isalnum() for c in before + after)


def _cut_url(text: str, body_start: int, start: int) -> tuple[str, int]:
    """The URL starting at ``start``: the host ends at its last ASCII label (so Chinese text
    running straight after a domain is not swallowed), the path at white space or CJK."""
    rest = text[body_start : body_start + MAX_URL_CHARS + 1]
    host = _HOST_AFTER_USERINFO.match(rest)
    end = body_start + (host.end() if host else 0)
    tail = text[end : end + MAX_URL_CHARS + 1]
    if tail[:1] in ("/", "?", "#"):
        stop = _URL_BODY_STOP.search(tail)
        end += stop.start() if stop else len(tail)
    raw = text[start:end]
    stripped = raw.rstrip(_TRAILING)
    if stripped.count("(") > stripped.count(")") and raw[len(stripped) : len(stripped) + 1] == ")":
        stripped += ")"
    return stripped, start + len(stripped)


def _reason(exc: ValueError) -> str:
    text = str(exc).lower()
    if "port" in text:
        return "port out of range"
    if "ipv6" in text or "bracket" in text:
        return "invalid IPv6 host"
    return "cannot be parsed"
