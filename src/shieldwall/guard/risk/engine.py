"""The login risk engine: score an attempt before the password check, learn from its outcome.

:meth:`RiskEngine.assess` turns a :class:`LoginAttempt` into an :class:`Assessment` (allow,
challenge or deny, a score, reasons, a delay); :meth:`RiskEngine.outcome` records whether the
password was right and whether the account exists, and says how the new session may see its
own data. :meth:`RiskEngine.assess_many` and :meth:`RiskEngine.outcome_many` do the same for a
batch with one and two state calls (round trips on Redis), deciding as one at a time would
(but for the batch's stops, counted after it).
State lives behind :class:`~.ports.RiskState` (memory or Redis).

Signals (each a reason code):

- ``unfamiliar_source``: familiarity after Freeman et al., "Who Are You? A Statistical Approach
  to Measuring User Authenticity" (NDSS 2016): for each feature (address, subnet, AS, user
  agent, device) the smoothed likelihood ratio ``p(x) / p(x | account)`` over the account's
  successful logins, ``p(x | u) = (c_u(x) + alpha p(x)) / (n_u + alpha)``, with ``p(x)`` the
  value's popularity over all successful logins (kept for the AS and the user agent; addresses,
  subnets and devices are taken as rare). A seen value scores ``log2(ratio) / 4`` clipped to
  [0, 1] (0 when the account uses it at least as often as everyone does, 1 at 16 times rarer);
  a value never seen with the account, and every value of an account without history, is fully
  unfamiliar, so an unknown user name and a real account tried from a new source score the same.
- ``source_failures`` / ``source_accounts``: failures and distinct accounts tried per address,
  subnet (/24, /64) and AS, over a short (minutes) and a long (a day) decayed window, weighed by
  the source's failure ratio so a carrier NAT full of real customers who mostly get in is not
  punished. Failures on unknown accounts count twice once the source has tried three accounts.
- ``account_failures``: failures on the account, from anywhere (a targeted attack from many
  addresses). Not its attempts: those include the owner's own logins, which would make a real
  account answer differently from an unknown name.
- ``account_sources``: addresses (an IPv6 client by its /64) trying the account for the first
  time in the pair TTL, over the short and the long window: a targeted attack rotating through
  a proxy pool, seen even when no outcome (no failure) is ever reported. The owner adds at most
  the one or two new addresses of their own, so the threshold sits well above that; and the
  points are weighed by unfamiliarity like every volume term, so the owner logging in from a
  familiar device during an attack is still allowed.
- ``device_accounts``: one device trying many accounts.
- ``password_reuse``: one password (by keyed HMAC) failing on many accounts (spraying).
- ``breached_password``: the password is in the breached corpus (guard.passwords).
- ``personal_password``: the password tried is built from the account holder's own personal
  data (birth date from the ID number, phone digits, name in pinyin; :mod:`.personal`), checked
  by the ``personal`` callable the edge provides (it derives the facts from the vault at check
  time; nothing is stored). The mark of a targeted guesser who holds the customer's record; its
  points are weighed by unfamiliarity, so the owner at home typing their own birthday is
  allowed.
- ``breach_tweak``: the password tried is the account's old breached password or one of its
  usual tweaks (:mod:`.breach`; Das et al. NDSS 2014, Pal et al. IEEE S&P 2019), from a combo
  list the store imported (:meth:`RiskEngine.import_breach`, kept as keyed HMAC tags per
  account). Looked up in the attempt's state call when ``breach_tweaks`` is on; its points are
  weighed by unfamiliarity like ``personal_password`` and count only from ``fam`` 0.3, so the
  owner typing their new (tweaked) password at home is allowed, but told to change it: a match
  sets ``force_password_reset`` as a breached password does.
- ``new_network``: the account's successful logins came from a stable set of networks and this
  one is new at some level (/24 or /64, AS name or number, country from the
  :class:`~.location.NetworkLocator`): each new level adds its points times the history's
  stability ``1 - (d + 1) / (n + 2)`` (``n`` logins from ``d`` distinct values; the profile
  keeps one distinct counter per level). Needs three successful logins.
- ``scam_contact``: an unfamiliar login (``fam`` at least 0.3) on an account whose holder a
  reported scam contacted within ``scam_contact_window_hours`` (:class:`~.ports.ScamContacts`).
- ``login_wave``: the platform-wide wave detector (:mod:`.wave`) raises every unfamiliar login.
- ``failure_cap``: NIST SP 800-63B §3.2.2: after ``failure_cap`` (at most 100) consecutive
  failures on an account, deny until a success or a passed step-up.

Scores add up: ``1.5 fam + (0.35 + 0.65 fam) * (source + account + device + password) +
breached * fam + (personal + breach) * (0.35 + 0.65 fam) + new_network + scam * (0.35 + 0.65 fam) +
3.5 wave * fam^1.5``, where ``fam`` in [0, 1]
is the weighted unfamiliarity; each volume term is ``log2(count / threshold)`` clipped to
[0, 4] (an AS at most 2.5, password reuse at most 2). Challenge at ``challenge_score``, deny
at ``deny_score``. The assessment's ``probability`` is the score through a logistic fitted
on the simulator's tuning seeds (Platt scaling; docs/guard.md). Delays grow as
``base * 2^(run - free - 1)`` with the longest current failure run of the address, device or
account; a success ends the run.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import os
import secrets
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from shieldwall.config import RiskSettings
from shieldwall.core.clock import Clock
from shieldwall.core.errors import StorageError
from shieldwall.core.telemetry import NULL_TELEMETRY, Telemetry
from shieldwall.guard.risk.breach import Combo, tweaks
from shieldwall.guard.risk.errors import InvalidAttempt, RiskError, UnknownAssessment
from shieldwall.guard.risk.history import DecisionEvent, DecisionHistory, Kind
from shieldwall.guard.risk.location import NetworkLocator, NoLocation
from shieldwall.guard.risk.model import (
    MAX_ONCE,
    Assessment,
    Decision,
    LoginAttempt,
    LoginOutcome,
    OutcomeResult,
    Reason,
    SessionView,
)
from shieldwall.guard.risk.network import AsnTable, parse_ip
from shieldwall.guard.risk.ports import (
    A_L,
    A_S,
    D_L,
    D_S,
    F_L,
    F_S,
    RUN,
    STOP_SUFFIX,
    U_L,
    U_S,
    AssessOps,
    AssessView,
    OutcomeOps,
    Repeat,
    RiskState,
    ScamContacts,
    TakeOnce,
)
from shieldwall.guard.risk.tags import KeyedSha256
from shieldwall.guard.risk.wave import WaveDetector

log = logging.getLogger(__name__)

TAG_BYTES = 10
# Familiarity weights: device and address say most about "the same person", the user agent least
# (a handful of browser versions cover most logins).
FEATURES = ("ip", "subnet", "asn", "user_agent", "device")
WEIGHTS = (0.8, 0.8, 0.8, 0.4, 2.0)
_WSUM = sum(WEIGHTS)
ALPHA = 1.0  # Freeman's smoothing weight of the population prior
POPULAR_PRIOR = 100.0
# (failures, distinct) thresholds, short and long window, per source level. A source must exceed
# them *and* fail most of its attempts before they count (see GATE_FROM).
# An AS is judged on the short window only: a residential botnet leaves a big AS's day-long
# failure ratio high for hours after it stopped, which would challenge every newcomer in it
# (the platform wave detector covers that case, and ends with the wave).
_NEVER = math.inf
SOURCE_LEVELS = (
    ("address", (4.0, 8.0), (3.0, 6.0)),
    ("subnet", (8.0, 25.0), (6.0, 20.0)),
    ("AS", (60.0, _NEVER), (60.0, _NEVER)),
)
# (entity index, record slots, window name, failure and distinct thresholds), flattened
_SOURCE_CHECKS = tuple(
    (idx, a, f, uk, d, label, fails[w], distinct[w])
    for idx, (_, fails, distinct) in zip((1, 2, 3), SOURCE_LEVELS, strict=True)
    for w, (a, f, uk, d, label) in enumerate(
        ((A_S, F_S, U_S, D_S, "short"), (A_L, F_L, U_L, D_L, "long"))
    )
    if fails[w] != _NEVER
)
ACCOUNT_FAILURES = (3.0, 10.0)
# New addresses on one account (short, long window). People log in from home, work and a phone,
# with the odd carrier address change: a handful a day. Ten in ten minutes or thirty in a day is
# a pool of addresses taking turns; 3,994 in a minute (the pentest of #10) scores the full 4.
ACCOUNT_SOURCES = (10.0, 30.0)
AS_CAP = 2.5  # an AS holds many customers: its pressure alone never denies
PASSWORD_CAP = 2.0  # spraying alone challenges an unfamiliar login; it never denies
# A password made of the holder's personal data, tried from an unfamiliar source: alone it
# challenges a fully unfamiliar login (1.5 + 3.0 = 4.5). Chosen on tuning seeds 1-2 of the
# targeted_personal simulation among 3.0 and 2.0 with this weight and 4.0 and 3.0 times fam^2:
# 3.0 stopped the most guesses for about the same benign cost (docs/guard.md).
PERSONAL_POINTS = 3.0
PERSONAL_MIN_FAM = 0.3  # below this the login is familiar enough not to ask
DEVICE = ((5.0, 15.0), (3.0, 6.0))
PASSWORD = ((5.0, 20.0), (3.0, 10.0))
WAVE_POINTS = 3.5
UNKNOWN_MIN_ACCOUNTS = 3.0
# The profile's network levels for ``new_network``: (field index, distinct counter), the field
# index into the profile fields (subnet, network = AS name or number, country). A level whose
# value is unknown (an address the locator cannot place) is written with UNKNOWN_VALUE and never
# counts as new.
NETWORK_LEVELS = ((1, "#s"), (5, "#o"), (6, "#c"))
NETWORK_LABELS = ("subnet", "network (AS)", "country")
UNKNOWN_VALUE = "-"
NEW_NETWORK_MIN_LOGINS = 3  # fewer successful logins than this: no history to call stable
AGENT_TAGS_KEPT = 4096  # user agents whose tags an engine keeps (a few MB at most)
ID_BYTES = 16  # random bytes of an assessment id (``secrets.token_urlsafe(16)``: 22 characters)

# Hot-path constants of _prepare (one attempt costs some 100 µs of Python; each lookup counts)
_NETWORK_NAMES = tuple(name for _, name in NETWORK_LEVELS)
_UNKNOWN_SUFFIX = ":" + UNKNOWN_VALUE
_UNKNOWN_NET = "o:" + UNKNOWN_VALUE
_UNKNOWN_COUNTRY = "c:" + UNKNOWN_VALUE
_RUNS = (1, 4)  # the entities whose failure runs an outcome lengthens: address, account
_RUNS_DEVICE = (1, 4, 5)  # and the device, when one was sent
_UTF8, _PASS = "utf-8", "surrogatepass"
# _decide's: the per-entity checks (device, password tag) and the two windows of each
_ENTITY_CHECKS = (
    (DEVICE, "device_accounts", "this device"),
    (PASSWORD, "password_reuse", "this password"),
)
_WINDOWS = ((0, A_S, F_S, D_S), (1, A_L, F_L, D_L))
_DECISION_NAMES = {d: d.value for d in Decision}
_KIND_OF = {d: Kind(d.value) for d in Decision}  # the history's kind of each decision
_inet_pton = socket.inet_pton
_AF_INET = socket.AF_INET


def _log2_over(count: float, threshold: float) -> float:
    if count <= threshold:
        return 0.0
    return min(math.log2(count / threshold), 4.0)


def _assessment_ids(n: int) -> list[str]:
    """``n`` assessment ids as ``secrets.token_urlsafe(ID_BYTES)`` makes them, from one read of
    the system's CSPRNG for the lot (one ``getrandom`` call instead of ``n``)."""
    raw = os.urandom(ID_BYTES * n)
    return [
        base64.urlsafe_b64encode(raw[i : i + ID_BYTES]).rstrip(b"=").decode("ascii")
        for i in range(0, len(raw), ID_BYTES)
    ]


# The gate of a source's (or device's, password's) volume points: 0 while it fails a quarter of
# its attempts or fewer, rising linearly to 1 at 70%, over the smoothed failure ratio
# ``(failures + 0.5) / (attempts + 1)``. Written out where it is used in _decide (a call per
# check cost more than the arithmetic): ``ratio <= 0.25`` is exactly where
# ``min(max((ratio - 0.25) / 0.45, 0), 1)`` is 0, and above it the two give the same double.
GATE_FROM, GATE_SPAN = 0.25, 0.45


@dataclass(frozen=True, slots=True)
class BreachImport:
    """What an import of a combo list did: lines used, accounts and tags written (no login,
    no password)."""

    lines: int
    accounts: int
    tags: int

    def as_dict(self) -> dict[str, int]:
        return {"lines": self.lines, "accounts": self.accounts, "tags": self.tags}


def _encode_pending(
    entities: Sequence[str],
    runs: Sequence[int],
    profile: str,
    fields: Sequence[str],
    popular: Sequence[str],
    masked: bool,
    breached: bool,
    stopped: bool = False,
) -> bytes:
    """The pending assessment's payload (:meth:`_Pending.decode` reads it back)."""
    return "|".join(
        (
            ",".join(entities),
            ",".join(map(str, runs)),
            profile,
            ",".join(fields),
            ",".join(popular),
            "1" if masked else "0",
            "1" if breached else "0",
            "1" if stopped else "0",
        )
    ).encode()


@dataclass(frozen=True, slots=True)
class _Pending:
    entities: tuple[str, ...]
    runs: tuple[int, ...]
    profile: str
    fields: tuple[str, ...]
    popular: tuple[str, ...]
    masked: bool
    breached: bool
    stopped: bool = False  # challenged or denied: its failure was counted then (record_stops)

    def encode(self) -> bytes:
        return _encode_pending(
            self.entities,
            self.runs,
            self.profile,
            self.fields,
            self.popular,
            self.masked,
            self.breached,
            self.stopped,
        )

    @classmethod
    def decode(cls, raw: bytes) -> _Pending:
        # seven parts: written by a process of the version before stops were counted
        e, r, p, f, pop, m, b, *stopped = raw.decode().split("|")
        return cls(
            tuple(e.split(",")),
            tuple(int(x) for x in r.split(",") if x),
            p,
            tuple(f.split(",")),
            tuple(pop.split(",")),
            m == "1",
            b == "1",
            stopped == ["1"],
        )


# Not frozen, unlike the engine's public values: made once per attempt on the hot path, where a
# frozen dataclass's ``__init__`` (``object.__setattr__`` per field) cost about four times a plain
# one's (2.1 against 0.6 µs for eight fields, timeit on this host). Never changed once made.
@dataclass(slots=True)
class _Prepared:
    """An attempt made into state operations, with what scoring its view needs."""

    now: float
    hour: int
    asn: int
    dev_i: int
    pw_i: int
    breached: bool
    assessment_id: str
    runs: tuple[int, ...]  # with ops.entities, ops.profile, ops.popular and fields: the pending
    ops: AssessOps
    account: str  # asked of the personal-password and scam-contact checks, never stored
    digest: bytes  # the password's SHA-1 (empty when none was sent)
    fields: tuple[str, ...]  # the profile fields (to tell an unknown network level)


class RiskEngine:
    """Scores login attempts; thread-safe as long as its state is."""

    def __init__(
        self,
        settings: RiskSettings,
        state: RiskState,
        key: bytes,
        clock: Clock,
        *,
        asn: AsnTable,
        breached: Callable[[bytes], bool] | None = None,
        personal: Callable[[str, bytes], bool] | None = None,
        locator: NetworkLocator | None = None,
        scam_contacts: ScamContacts | None = None,
        telemetry: Telemetry = NULL_TELEMETRY,
        history: DecisionHistory | None = None,
    ) -> None:
        if len(key) < 16:
            raise ValueError("the tag key needs at least 128 bits")
        self.settings = settings
        self.state = state
        self.clock = clock
        self.asn = asn
        self._mac = KeyedSha256(key)
        # The tags of an absent user agent and device (most attempts of an attack send one or
        # neither), and of the user agents seen lately: a few browser versions make most
        # logins. Only user agents are kept in the clear here; an account, address or device
        # is tagged anew each time (no names in memory beyond the attempt).
        self._no_agent_t = self._tag(b"u", "")
        self._no_device_t = self._tag(b"d", "")
        self._agent_tags: dict[str, str] = {}
        self._breached = breached
        self._personal = personal
        self.locator: NetworkLocator = locator if locator is not None else NoLocation()
        self._scam = scam_contacts
        self.telemetry = telemetry
        self.history = history
        self.wave = WaveDetector(
            state.hours,
            baseline_hours=settings.wave_baseline_hours,
            min_hours=settings.wave_min_hours,
            min_attempts=settings.wave_min_attempts,
        )

    def _tag(self, kind: bytes, value: str | bytes) -> str:
        data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
        return self._mac.digest(kind + data)[:TAG_BYTES].hex()

    def account_key(self, account: str) -> str:
        return "a:" + self._tag(b"a", account.strip().casefold())

    def breach_tag(self, account_key: str, password_sha1: bytes) -> str:
        """The keyed tag of a password's SHA-1 for one account: bound to the account, so the
        same leaked password gives unrelated tags on two accounts, and without the key a tag
        says nothing about the password (HMAC-SHA-256 truncated to 80 bits)."""
        return self._tag(b"b", bytes.fromhex(account_key[2:]) + password_sha1)

    def breach_tags(self, combos: Iterable[Combo]) -> dict[str, set[str]]:
        """Per account key, the tags of each leaked password's :func:`~.breach.tweaks`."""
        out: dict[str, set[str]] = {}
        for combo in combos:
            key = self.account_key(combo.login)
            held = out.setdefault(key, set())
            for candidate in tweaks(combo.password):
                digest = hashlib.sha1(candidate.encode("utf-8"), usedforsecurity=False).digest()
                held.add(self.breach_tag(key, digest))
        return out

    def import_breach(self, combos: Sequence[Combo]) -> BreachImport:
        """Keep the tweak tags of each leaked pair for its account (all in one state call:
        all or nothing), for ``breach_ttl_days`` from now. The logins are keyed as
        :meth:`account_key` keys the attempts' accounts (trimmed, case-folded): a combo list
        must name accounts as the login service sends them."""
        tags = self.breach_tags(combos)
        ttl = self.settings.breach_ttl_days * 86_400
        self.state.add_breach(self.clock.now().timestamp(), tags, ttl)
        return BreachImport(len(combos), len(tags), sum(len(t) for t in tags.values()))

    # -- assess ---------------------------------------------------------------------------------

    def assess(self, attempt: LoginAttempt) -> Assessment:
        prep = self._prepare(attempt, secrets.token_urlsafe(ID_BYTES))
        view = self.state.assess(prep.now, prep.ops)
        assessment = self._decide(prep, view)
        if assessment.decision is not Decision.ALLOW:
            self.state.record_stops([_stop(prep, assessment)])
        if not view.repeat:  # a repeat's decision is in the history already
            self._remember([_event(prep, assessment)])
        return assessment

    def assess_many(self, attempts: Sequence[LoginAttempt]) -> list[Assessment | RiskError]:
        """:meth:`assess` each attempt, in order, with one state call for the lot (on Redis a
        few pipelined writes instead of a round trip per attempt); an attempt :meth:`assess`
        would refuse gets its :class:`RiskError` in its place. Decisions are those of calling
        :meth:`assess` on each in turn (each at the clock's time when it is prepared): the state
        applies the attempts one after another, each seeing the ones before it, except that the
        batch's stops (challenges and denials, counted as failures: :func:`_stop`) are counted
        once the whole batch is decided, where one at a time counts each before the next
        attempt. Attempts are prepared as the state takes them and decided as their views
        come, so that on Redis the server counts one chunk while this process decides on the
        one before and prepares the next. Storage errors raise (the state may have counted some
        of the attempts)."""
        if not attempts:
            return []
        ids = _assessment_ids(len(attempts))
        refused: dict[int, RiskError] = {}
        prepared: list[_Prepared] = []
        prepare = self._prepare

        def batch() -> Iterator[tuple[float, AssessOps]]:
            for i, attempt in enumerate(attempts):
                try:
                    p = prepare(attempt, ids[i])
                except RiskError as exc:
                    refused[i] = exc
                    continue
                prepared.append(p)
                yield p.now, p.ops

        decide = self._decide
        repeats: list[int] = []  # indexes into ``prepared`` of the repeats (their decisions are
        # in the history already)

        def deciding() -> Iterator[Assessment]:
            # a view comes only after its attempt was taken (prepared): prepared[k] is its own
            for k, v in enumerate(self.state.assess_many(batch())):
                if v.repeat:
                    repeats.append(k)
                yield decide(prepared[k], v)

        assessments = list(deciding())
        if len(assessments) != len(prepared):
            raise StorageError(
                f"the state gave {len(assessments)} views for {len(prepared)} attempts"
            )
        # the batch's stops, counted once its decisions are made (one state call)
        stops = [
            _stop(p, a)
            for p, a in zip(prepared, assessments, strict=True)
            if a.decision is not Decision.ALLOW
        ]
        if stops:
            self.state.record_stops(stops)
        events = [_event(p, a) for p, a in zip(prepared, assessments, strict=True)]
        for k in reversed(repeats):
            del events[k]
        self._remember(events)
        if not refused:
            return list(assessments)
        decided = iter(assessments)
        return [refused[i] if i in refused else next(decided) for i in range(len(attempts))]

    def _prepare(self, attempt: LoginAttempt, assessment_id: str) -> _Prepared:
        now = self.clock.now().timestamp()
        hour = int(now // 3600)
        ip = attempt.ip
        try:  # the common case, a dotted quad, without ipaddress's pure-Python parser
            value = int.from_bytes(_inet_pton(_AF_INET, ip))
            subnet = ip[: ip.rindex(".")]
            asn = self.asn.asn_of_value(4, value)
            v6 = False
        except (OSError, ValueError):  # not a dotted quad (ValueError: it holds a NUL)
            addr = parse_ip(ip)
            ip = str(addr)
            v6 = addr.version == 6
            subnet = addr.exploded[:19] if v6 else ip.rsplit(".", 1)[0]
            asn = self.asn.asn_of(addr)
        # _tag inlined: HMAC-SHA-256 of kind + UTF-8 value, truncated (the same bytes as _tag)
        mac = self._mac.digest
        ip_t = mac(b"i" + ip.encode(_UTF8, _PASS))[:TAG_BYTES].hex()
        sn_t = mac(b"s" + subnet.encode(_UTF8, _PASS))[:TAG_BYTES].hex()
        acct_t = mac(b"a" + attempt.account.strip().casefold().encode(_UTF8, _PASS))[
            :TAG_BYTES
        ].hex()
        acct = "a:" + acct_t  # account_key(attempt.account)
        agent = attempt.user_agent
        if agent:
            ua_t = self._agent_tags.get(agent)
            if ua_t is None:
                ua_t = mac(b"u" + agent.encode(_UTF8, _PASS))[:TAG_BYTES].hex()
                if len(self._agent_tags) >= AGENT_TAGS_KEPT:
                    self._agent_tags.clear()  # a cache of the current browsers, refilled
                self._agent_tags[agent] = ua_t
        else:
            ua_t = self._no_agent_t
        device = attempt.device_id
        if device:
            dev_t = mac(b"d" + device.encode(_UTF8, _PASS))[:TAG_BYTES].hex()
        else:
            dev_t = self._no_device_t
        ip_k = "i:" + ip_t
        sn_k = "s:" + sn_t
        asn_k = f"n:{asn}"
        ua_k = "u:" + ua_t
        entities = ["p", ip_k, sn_k, asn_k, acct]
        pairs = [
            (1, "ia:" + ip_t + acct_t),
            (2, "sa:" + sn_t + acct_t),
            (3, f"na:{asn}:{acct_t}"),
            # the account record's distinct slots count new sources (an IPv6 host holds a /64)
            (4, "ai:" + acct_t + (sn_t if v6 else ip_t)),
        ]
        runs: tuple[int, ...] = _RUNS
        dev_i = pw_i = -1
        if attempt.device_id:
            dev_i = 5
            entities.append("d:" + dev_t)
            pairs.append((5, "da:" + dev_t + acct_t))
            runs = _RUNS_DEVICE
        breached = False
        digest = b""
        breach_op: tuple[str, str] | None = None
        if attempt.password_sha1 is not None:
            digest = bytes.fromhex(attempt.password_sha1)
            pw_t = mac(b"w" + digest)[:TAG_BYTES].hex()
            pw_i = len(entities)
            entities.append("w:" + pw_t)
            pairs.append((pw_i, "wa:" + pw_t + acct_t))
            if self._breached is not None:
                breached = self._breached(digest)
            if self.settings.breach_tweaks:
                breach_op = (acct, self.breach_tag(acct, digest))
        loc = self.locator.locate(ip)
        if loc.as_name:
            net = "o:" + self._tag(b"o", loc.as_name)
        else:
            net = f"o:{asn}" if asn else _UNKNOWN_NET
        country = "c:" + self._tag(b"c", loc.country) if loc.country else _UNKNOWN_COUNTRY
        fields = (ip_k, sn_k, asn_k, ua_k, "d:" + dev_t, net, country)
        popular = (asn_k, ua_k)
        ents = tuple(entities)
        # the pending assessment is kept in the same call (one round trip on Redis), as if the
        # session will not be masked; a masked allow (rare) writes it again in _decide
        ops = AssessOps(
            ents,
            tuple(pairs),
            acct,
            fields + _NETWORK_NAMES,
            popular,
            hour,
            (
                assessment_id,
                _encode_pending(ents, runs, acct, fields, popular, False, breached),
            ),
            breach_op,
            # the idempotency key's tag (the kind byte "e": no other tag's), never the key
            None
            if attempt.once is None
            else mac(b"e" + attempt.once.encode(_UTF8, _PASS))[:TAG_BYTES].hex(),
        )
        return _Prepared(
            now,
            hour,
            asn,
            dev_i,
            pw_i,
            breached,
            assessment_id,
            runs,
            ops,
            attempt.account,
            digest,
            fields,
        )

    def _decide(self, prep: _Prepared, view: AssessView) -> Assessment:
        s = self.settings
        hour, asn, dev_i, pw_i = prep.hour, prep.asn, prep.dev_i, prep.pw_i
        breached, assessment_id = prep.breached, prep.assessment_id
        recs = view.entities
        reasons: list[Reason] = []

        # familiarity (Freeman et al.)
        prof = view.profile
        n = prof[0]
        unfamiliar: list[str] = []
        fam = 0.0
        if n < s.min_profile_logins:
            fam = 1.0
            unfamiliar = list(FEATURES)
        else:
            total = view.popular[0] + POPULAR_PRIOR
            for j in range(5):
                c = prof[j + 1]
                if c == 0:
                    u = 1.0
                else:
                    # popularity is kept for the AS (popular[1]) and user agent (popular[2]);
                    # addresses, subnets and devices are taken as rare
                    pop = view.popular[j - 1] if j in (2, 3) else 0
                    p_x = (pop + 1.0) / total
                    p_xu = (c + ALPHA * p_x) / (n + ALPHA)
                    u = min(max(math.log2(p_x / p_xu) / 4.0, 0.0), 1.0)
                if u >= 0.5:
                    unfamiliar.append(FEATURES[j])
                fam += WEIGHTS[j] * u
            fam /= _WSUM
        if fam >= 0.5:
            reasons.append(
                Reason(
                    "unfamiliar_source",
                    "no earlier successful login of this account matches: " + ", ".join(unfamiliar),
                )
            )
        score = 1.5 * fam

        # volume signals, weighed by (un)familiarity
        volume = 0.0
        best = 0.0
        best_at: tuple[int, int, int, int, int, str, float, float] | None = None
        for check in _SOURCE_CHECKS:
            idx, a, f, uk, d, label, fails, distinct = check
            r = recs[idx]
            # the gate (see GATE_FROM): most sources of most attempts fail too little to count
            ratio = (r[f] + 0.5) / (r[a] + 1.0)
            if ratio <= GATE_FROM:
                continue
            g = min((ratio - GATE_FROM) / GATE_SPAN, 1.0)
            # unknown-account failures weigh only once a source has tried several accounts:
            # otherwise hammering one name would reveal whether it exists
            bad = r[f] + r[uk] if r[d] >= UNKNOWN_MIN_ACCOUNTS else r[f]
            pts = g * max(_log2_over(bad, fails), _log2_over(r[d], distinct))
            if idx == 3:
                pts = min(pts, AS_CAP)
            if pts > best:
                best = pts
                best_at = check
        best_reason: Reason | None = None
        if best_at is not None:
            idx, a, f, uk, d, label, fails, distinct = best_at
            r = recs[idx]
            bad = r[f] + r[uk] if r[d] >= UNKNOWN_MIN_ACCOUNTS else r[f]
            where = ("this address", "this subnet", f"this AS (AS{asn})")[idx - 1]
            best_reason = Reason(
                "source_failures" if bad / fails >= r[d] / distinct else "source_accounts",
                f"{where}: about {r[f]:.0f} failures"
                + (f", {r[uk]:.0f} on unknown accounts" if r[d] >= UNKNOWN_MIN_ACCOUNTS else "")
                + f", {r[d]:.0f} accounts in the {label} window; {r[f] / max(r[a], 1.0):.0%}"
                " failed",
            )
        if best_reason is not None:
            reasons.append(best_reason)
        volume += best
        # the account's failures only: its attempts and sources include the owner's own logins,
        # which must not make a real account answer differently from an unknown name
        r = recs[4]
        pts_f = max(
            _log2_over(r[F_S], ACCOUNT_FAILURES[0]), _log2_over(r[F_L], ACCOUNT_FAILURES[1])
        )
        if pts_f > 0:
            reasons.append(
                Reason(
                    "account_failures",
                    f"this account: about {r[F_S]:.0f} failed logins in the short window,"
                    f" {r[F_L]:.0f} in the long window",
                )
            )
        volume += pts_f
        pts_a = max(_log2_over(r[D_S], ACCOUNT_SOURCES[0]), _log2_over(r[D_L], ACCOUNT_SOURCES[1]))
        if pts_a > 0:
            reasons.append(
                Reason(
                    "account_sources",
                    f"this account: tried from about {r[D_S]:.0f} new addresses in the short"
                    f" window, {r[D_L]:.0f} in the long window",
                )
            )
        volume += pts_a
        for i, ((fl, dl), code, what) in zip((dev_i, pw_i), _ENTITY_CHECKS, strict=True):
            if i < 0:
                continue
            r = recs[i]
            pts = 0.0
            for w, a, f, d in _WINDOWS:
                ratio = (r[f] + 0.5) / (r[a] + 1.0)  # the gate, as above
                if ratio > GATE_FROM:
                    g = min((ratio - GATE_FROM) / GATE_SPAN, 1.0)
                    pts = max(pts, g * max(_log2_over(r[f], fl[w]), _log2_over(r[d], dl[w])))
            if i == pw_i:
                pts = min(pts, PASSWORD_CAP)
            if pts > 0:
                reasons.append(
                    Reason(
                        code,
                        f"{what}: about {r[D_L]:.0f} accounts and {r[F_L]:.0f} failures in the"
                        " long window",
                    )
                )
                volume += pts
        score += (0.35 + 0.65 * fam) * volume

        if breached:
            reasons.append(Reason("breached_password", "the password is in a breach corpus"))
            score += fam
        # Asked only of unfamiliar logins: the owner's usual device and network never make the
        # edge derive their personal data from the vault.
        if prep.digest and self._personal is not None and fam >= PERSONAL_MIN_FAM:
            personal = self._personal(prep.account, prep.digest)
        else:
            personal = False
        if personal:
            reasons.append(
                Reason(
                    "personal_password",
                    "the password is built from the account holder's personal data (birth date,"
                    " phone or name)",
                )
            )
            score += PERSONAL_POINTS * (0.35 + 0.65 * fam)
        if view.breach:
            reasons.append(
                Reason(
                    "breach_tweak",
                    "the password is the account's old breached password or a usual change of"
                    " it (imported combo list)",
                )
            )
            if fam >= PERSONAL_MIN_FAM:
                score += s.breach_tweak_points * (0.35 + 0.65 * fam)
        new_net = self._new_network(prep.fields, prof)
        if new_net is not None:
            reasons.append(new_net[1])
            score += new_net[0]
        if self._scam is not None and fam >= PERSONAL_MIN_FAM and s.scam_contact_points > 0:
            last = self._scam.last_scam_contact(prep.account)
            if last is not None and 0.0 <= prep.now - last <= s.scam_contact_window_hours * 3600:
                reasons.append(
                    Reason(
                        "scam_contact",
                        "the account holder was contacted by a reported scam within the last"
                        f" {s.scam_contact_window_hours:g} hours",
                    )
                )
                score += s.scam_contact_points * (0.35 + 0.65 * fam)
        p = recs[0]
        wave = self.wave.read(hour, p[A_S], p[F_S], p[U_S])
        base = wave.baseline
        if wave.level * fam >= 0.05 and base is not None:  # a level above 0 has a baseline
            reasons.append(
                Reason(
                    "login_wave",
                    f"platform-wide: {wave.failure_rate:.0%} of logins failing or stopped (usual"
                    f" {base.failure_median:.0%}), {wave.unknown_rate:.0%} on unknown accounts"
                    f" (usual {base.unknown_median:.0%})",
                )
            )
            score += WAVE_POINTS * wave.level * fam**1.5

        score = round(score, 3)
        run = max(recs[1][RUN], recs[4][RUN], recs[dev_i][RUN] if dev_i >= 0 else 0.0)
        if recs[4][RUN] >= s.failure_cap:
            decision = Decision.DENY
            reasons.append(
                Reason(
                    "failure_cap",
                    f"{s.failure_cap} consecutive failed logins on this account: a success or a"
                    " passed step-up is needed",
                )
            )
        elif score >= s.deny_score:
            decision = Decision.DENY
        elif score >= s.challenge_score:
            decision = Decision.CHALLENGE
        else:
            decision = Decision.ALLOW
        excess = int(run) - s.free_failures
        delay = 0 if excess <= 0 else min(s.max_delay_ms, s.base_delay_ms << min(excess - 1, 20))
        masked = decision is Decision.ALLOW and score >= s.mask_score
        # a password in the account's breach tags is known to whoever holds the leak: if it is
        # the right one, the customer changes it at once (NIST SP 800-63B 5.1.1.2, "evidence of
        # compromise"), familiar login or not, as for the breach corpus
        reset = breached or view.breach
        # a stop's pending is written by _stop; an allowed repeat of an attempt whose first
        # delivery was stopped answers that stop (its failure is counted): marked stopped
        if decision is Decision.ALLOW and (masked or reset != breached or view.stopped):
            ops = prep.ops
            self.state.put_pending(
                assessment_id,
                _encode_pending(
                    ops.entities,
                    prep.runs,
                    ops.profile,
                    prep.fields,
                    ops.popular,
                    masked,
                    reset,
                    view.stopped,
                ),
            )
        self.telemetry.decision("login", _DECISION_NAMES[decision])
        return Assessment(
            assessment_id,
            decision,
            score,
            tuple(reasons),
            delay,
            SessionView.MASKED if masked else SessionView.NORMAL,
            reset,
            self.probability(score),
        )

    def probability(self, score: float) -> float:
        """The calibrated probability that an attempt with this score is an attack: Platt's
        logistic ``1 / (1 + exp(-(slope * score + intercept)))``, fitted on the tuning seeds'
        traffic (docs/guard.md, "Signals and score" and its reliability table)."""
        s = self.settings
        z = s.probability_slope * score + s.probability_intercept
        if z >= 0:
            return round(1.0 / (1.0 + math.exp(-z)), 4)
        e = math.exp(z)
        return round(e / (1.0 + e), 4)

    def _new_network(self, fields: tuple[str, ...], prof: list[int]) -> tuple[float, Reason] | None:
        """``new_network``: points for each network level (/24 or /64, AS, country) whose value
        this account has never logged in from, times the history's *stability* at that level:
        ``1 - (d + 1) / (n + 2)`` with ``n`` successful logins from ``d`` distinct values (the
        add-one estimate of the chance that the next login is from a value not seen before;
        Laplace's rule of succession over "new" and "seen"). An account that always logs in from
        one network (d = 1, n = 20) scores 0.86 of the level's points; one whose every login
        comes from a different carrier address (d = n) scores 1/(n + 2)."""
        s = self.settings
        n = prof[0]
        if n < NEW_NETWORK_MIN_LOGINS:
            return None
        weights = (s.new_subnet_points, s.new_network_points, s.new_country_points)
        base = len(fields) + 1  # profile: n, the fields' counts, then the distinct counters
        pts = 0.0
        new: list[str] = []
        stable = 0.0
        for level, ((k, _), w) in enumerate(zip(NETWORK_LEVELS, weights, strict=True)):
            if w <= 0 or k >= len(fields) or fields[k].endswith(_UNKNOWN_SUFFIX):
                continue
            if prof[k + 1] > 0:
                continue
            # a profile older than its distinct counters has none: it saw at least one value
            d = max(prof[base + level], 1)
            stability = 1.0 - (d + 1.0) / (n + 2.0)
            pts += w * stability
            stable = max(stable, stability)
            new.append(NETWORK_LABELS[level])
        if pts <= 0:
            return None
        return pts, Reason(
            "new_network",
            f"never seen on this account: {', '.join(new)} ({n} successful logins from a"
            f" history {stable:.0%} stable)",
        )

    # -- outcome --------------------------------------------------------------------------------

    def outcome(
        self, assessment_id: str, *, success: bool, account_known: bool = True
    ) -> OutcomeResult:
        """Record the password check's result; say how the session may see its own data.

        Raises :class:`UnknownAssessment` for an id that is unknown, expired or already used.
        """
        _check_id(assessment_id)
        raw = self.state.take_pending(assessment_id)
        if raw is None:
            raise _unknown()
        p = _Pending.decode(raw)
        now = self.clock.now().timestamp()
        self.state.record_outcome(now, _outcome_ops(p, now, success, account_known))
        if not success:
            self._remember([_failure(p, now, account_known)])
        return _outcome_result(p, assessment_id, success)

    def outcome_many(self, items: Sequence[LoginOutcome]) -> list[OutcomeResult | RiskError]:
        """:meth:`outcome` of each item, in order, with two state calls for the lot (two round
        trips on Redis, where one at a time costs two per outcome): the pending assessments
        taken (:meth:`~.ports.RiskState.take_pending_many`), then the outcomes recorded
        (:meth:`~.ports.RiskState.record_outcomes`). An item :meth:`outcome` would refuse gets
        its :class:`RiskError` in its place: an invalid id, or one unknown, expired or already
        reported, an earlier item of the same batch included. Results and the state afterwards
        are those of calling :meth:`outcome` on each in turn (each recorded at the clock's time
        when its pending assessment is read back); the failures reach the decision history in
        one write. Storage errors raise (the taken assessments are then spent, as one call's
        would be; the outcomes before the error may have been recorded).

        An item with an idempotency key (:attr:`LoginOutcome.once`) whose assessment was
        already taken under the same key, within the once TTL, is a repeat (a redelivered
        event): it answers that first report's result again and changes nothing. Its outcome
        is sent to the state again, as the first report made it, under the same key
        (:attr:`~.ports.OutcomeOps.once`): recorded already, the state skips it; taken but
        never recorded (the first delivery's worker died between the two calls, or the record
        failed), it is recorded now, once. The history is written for first reports only (a
        repeat's failure is not: the history may miss the failure of an outcome whose record
        was lost). The state keeps the key's tag, never the key."""
        if not items:
            return []
        out: list[OutcomeResult | RiskError | None] = []  # None: unknown, unless taken below
        valid: list[int] = []  # indexes into ``out`` of the items whose id is well formed
        keyed = False
        for item in items:
            try:
                _check_id(item.assessment_id)
                if item.once is not None:
                    _check_once(item.once)
                    keyed = True
            except RiskError as exc:
                out.append(exc)
                continue
            valid.append(len(out))
            out.append(None)
        ids = [items[i].assessment_id for i in valid]
        clock = self.clock
        once: list[TakeOnce | None] = []
        if keyed:
            once = [self._take_once(items[i]) for i in valid]
            taken = self.state.take_pending_many(ids, now=clock.now().timestamp(), once=once)
        else:
            taken = self.state.take_pending_many(ids)
        batch: list[tuple[float, OutcomeOps]] = []
        failures: list[DecisionEvent] = []
        for n, (i, raw) in enumerate(zip(valid, taken, strict=True)):
            if raw is None:
                continue
            item = items[i]
            key = once[n] if keyed else None
            if isinstance(raw, Repeat):  # the first report's answer; recorded once (see above)
                assert key is not None  # noqa: S101 - a repeat is a keyed take's
                p = _Pending.decode(raw.payload)
                now = clock.now().timestamp()
                ops = _outcome_ops(p, now, raw.success, raw.account_known, key.once)
                batch.append((now, ops))
                out[i] = _outcome_result(p, item.assessment_id, raw.success)
                continue
            p = _Pending.decode(raw)
            now = clock.now().timestamp()
            tag = None if key is None else key.once
            batch.append((now, _outcome_ops(p, now, item.success, item.account_known, tag)))
            if not item.success:
                failures.append(_failure(p, now, item.account_known))
            out[i] = _outcome_result(p, item.assessment_id, item.success)
        if batch:
            self.state.record_outcomes(batch)
        self._remember(failures)
        return [got if got is not None else _unknown() for got in out]

    def _take_once(self, item: LoginOutcome) -> TakeOnce | None:
        """The state's key of an outcome's take: the tag of its idempotency key (the kind byte
        "e", as an attempt's: the keys differ by the event's kind), never the key."""
        if item.once is None:
            return None
        return TakeOnce(self._tag(b"e", item.once), item.success, item.account_known)

    def _remember(self, events: list[DecisionEvent]) -> None:
        """Count the decisions in the history, when there is one. A history that cannot be
        written (Redis down) must not turn logins away: the decision stands, a warning is
        logged (the error's type only) and the history misses these events."""
        if self.history is None or not events:
            return
        try:
            self.history.record(events)
        except StorageError as exc:
            log.warning("login decision history not written: %s", type(exc).__name__)

    def step_up(self, account: str, ip: str | None = None) -> None:
        """A passed step-up (second factor, SMS code, password reset): ends the account's failure
        run (lifting the NIST cap) and, when given, the address's."""
        keys = [self.account_key(account)]
        if ip is not None:
            keys.append("i:" + self._tag(b"i", str(parse_ip(ip))))
        self.state.reset_runs(keys)


def _stop(prep: _Prepared, assessment: Assessment) -> tuple[float, str, bytes, OutcomeOps]:
    """What a stopped attempt writes (:meth:`RiskState.record_stops`): a failure of its
    entities now, as if its password check had failed, and its pending payload marked
    stopped. A bot that is challenged goes away and its store may report no outcome; counted
    only on the outcome, a blocked attack would stop adding failures and fade from every
    signal while it goes on (docs/guard.md, "A wave the engine blocks stays blocked")."""
    ops = prep.ops
    payload = _encode_pending(
        ops.entities,
        prep.runs,
        ops.profile,
        prep.fields,
        ops.popular,
        False,
        assessment.force_password_reset,
        True,
    )
    failure = OutcomeOps(
        ops.entities,
        prep.runs,
        False,
        True,  # unknown until an outcome says: not counted as an unknown account
        ops.profile,
        prep.fields,
        ops.popular,
        prep.hour,
        # a redelivered attempt stopped again counts its failure once (its own key: the
        # attempt's marks the attempt counted, which a stop of the first delivery may not be)
        once=None if ops.once is None else ops.once + STOP_SUFFIX,
    )
    return prep.now, assessment.assessment_id, payload, failure


def _check_id(assessment_id: str) -> None:
    if not assessment_id or len(assessment_id) > 64:
        raise InvalidAttempt("must have 1 to 64 characters", field="assessment_id")


def _check_once(once: str) -> None:
    if not 0 < len(once) <= MAX_ONCE:
        raise InvalidAttempt(f"must have 1 to {MAX_ONCE} characters", field="once")


def _unknown() -> UnknownAssessment:
    return UnknownAssessment(
        "no pending assessment with this id (unknown, expired or already reported)",
        field="assessment_id",
    )


def _outcome_ops(
    p: _Pending, now: float, success: bool, account_known: bool, once: str | None = None
) -> OutcomeOps:
    """The state's writes of one outcome of the pending assessment ``p`` at ``now``. A
    stopped attempt's failure was counted when it was stopped (:func:`_stop`): its failed
    outcome adds only an unknown account, its success takes that failure back (``retract``).
    ``once``: the outcome's idempotency key's tag, recorded once by the state."""
    return OutcomeOps(
        p.entities,
        p.runs,
        success,
        account_known,
        p.profile,
        p.fields,
        p.popular,
        int(now // 3600),
        tuple(
            (k, name)
            for k, name in NETWORK_LEVELS
            if k < len(p.fields) and not p.fields[k].endswith(_UNKNOWN_SUFFIX)
        ),
        retract=p.stopped,
        once=once,
    )


def _failure(p: _Pending, now: float, account_known: bool) -> DecisionEvent:
    """The history's record of a failed password: tags only. ``entities[1]`` is the address's
    tag, ``profile`` the account's (see ``RiskEngine._prepare``)."""
    return DecisionEvent(now, Kind.FAILURE, p.profile, p.entities[1], account_known)


def _outcome_result(p: _Pending, assessment_id: str, success: bool) -> OutcomeResult:
    if not success:
        return OutcomeResult(assessment_id, False)
    return OutcomeResult(
        assessment_id,
        True,
        SessionView.MASKED if p.masked else SessionView.NORMAL,
        p.breached,
    )


def _event(prep: _Prepared, assessment: Assessment) -> DecisionEvent:
    """The history's record of one decision: tags only (account, address), no names."""
    entities = prep.ops.entities
    return DecisionEvent(prep.now, _KIND_OF[assessment.decision], entities[4], entities[1])
