"""Login traffic for a store: customers with habits, and credential-stuffing attacks on top.

Pure and deterministic per seed, no database or network. :class:`LoginWorld` makes customers
(account names are mobile numbers from :class:`~shieldwall.sim.people.PeopleFactory`) and
:meth:`LoginWorld.events` returns every :class:`LoginEvent` in time order, each labelled with
its truth (who tried, whether the password was right, whether the account exists).

Benign customers, each with the look-alikes a defence must not punish:

- a **home** broadband address (China Telecom or Unicom) that the ISP renumbers now and then
  within its /16; for half of them a **work** address shared behind an office NAT with about
  twenty colleagues;
- **mobile** logins through China Mobile's carrier-grade NAT: a pool of a few hundred addresses
  shared by thousands of customers, a different one almost every time;
- one or two **devices** (the app sends a device id, a browser does not), a new phone now and then;
- **travel**: some customers spend days logging in from hotels and other cities' networks;
- **forgotten passwords**: a few sessions begin with one to four wrong passwords, some with a
  mistyped account name (an unknown account), then succeed;
- some reuse a password that leaked elsewhere (it is in the breach corpus), a few use a common
  one.

Attacks (:class:`AttackKind`), each in its own window after a benign warm-up:

- ``stuffing``: a combo list from one or two hosting addresses, about two tries a second;
- ``botnet``: the same from thousands of residential addresses, one to three tries each;
- ``low_and_slow``: a dozen hosting addresses, each one try every 3-15 minutes for ten hours;
- ``targeted``: hundreds of guesses at one chosen account from rotating proxies;
- ``spraying``: a handful of common passwords against thousands of accounts, from a botnet.
- ``targeted_personal`` (opt-in, not in the default ``attacks``): an attacker holding forty
  customers' records (name, birth date, phone) tries three to eight passwords built from each
  one's data, every try from a different residential or mobile address, minutes apart. With
  ``personal_share`` > 0 that share of customers uses such a password. The structures here are
  the simulator's own (after Wang et al., CCS 2016), written apart from the detector's list in
  ``guard/risk/personal.py``; some of them the detector does not know.

- ``targeted_breach`` (opt-in): with ``breach_share`` > 0 that share of customers had an
  account in an old breach elsewhere; ``tweak_share`` of them (Das et al., NDSS 2014: about a
  fifth to two fifths of reuse is a changed password) now use a tweak of the leaked password
  here, the rest an unrelated one. An attacker holding the leak picks forty of its customers and
  tries the leaked password and three to seven tweaks of it on each, each from a fresh
  residential or mobile address, one to four hours apart. The tweak rules here
  (:func:`sim_tweaks`) are the simulator's own, written apart from ``guard/risk/breach.py``;
  some of them the detector does not know.

- ``scam_takeover`` (opt-in): ``scam_victims`` customers (forty) are called by a scammer posing
  as after-sales service, at times spread evenly at random over the attack days (from the end
  of the warm-up to four hours before the end). The scammer gets the password or the SMS code
  "to process the refund" (modelled as the right password) and logs in from a fresh address
  (residential, mobile or hosting, one per victim) on a device of its own (a new app device id
  three times in five, else a desktop browser), the first try ten minutes to four hours after
  the call (log-uniform), then one or two more tries one to ten minutes apart (one to three in
  all), each with the right password. ``scam_reported_share`` of the victims (half by default)
  report the call to the store five to sixty minutes after it (uniform): some before the
  scammer's login, some after.

Benign scam-called customers (``scam_called_share`` of the other customers, 0 by default):
called the same way, every one of them reports the call five to sixty minutes after it, then
logs in themselves to check their orders one to three times, fifteen minutes to two days after
the report (log-uniform), in their usual ways (their devices, home, office, mobile share, travel
and new phone as on any other day). Both draw from a random stream of their own and the attack
takes no slot of the others', so a world without them is event for event the one before they
existed. :attr:`LoginWorld.scam_calls` lists every call with its report time (the store's side
table: a report counts for a login only if it was received before it).

Combo lists hold leaked pairs: about a third name accounts of this store; a pair works when its
customer reuses the leaked password here (the ``reused`` customers).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from shieldwall.sim.people import PeopleFactory

COMMON_PASSWORDS = ("123456", "123456789", "111111", "a123456", "woaini1314", "Aa123456")
UAS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; 23127PN0CC) AppleWebKit/537.36 Chrome/122.0 Mobile",
    "Mozilla/5.0 (Linux; Android 13; V2243A) AppleWebKit/537.36 Chrome/120.0 Mobile",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/122.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 Version/17.3 Safari",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/122.0",
    "StoreApp/5.12.1 (iOS 17.4; iPhone15,2)",
    "StoreApp/5.12.0 (Android 14; 23127PN0CC)",
)
BOT_UAS = ("python-requests/2.31.0", "okhttp/4.12.0", "Go-http-client/1.1", *UAS[:4])
# (first octets, ...) inside the packaged ASN sample: residential broadband, mobile, hosting
HOME_NETS = ((1, 80), (1, 81), (14, 20), (27, 10), (36, 100), (123, 112), (221, 200))
MOBILE_NETS = ((112, 10), (117, 130), (117, 140))
HOSTING_NETS = ((104, 236), (51, 70), (139, 180), (47, 100), (119, 28))
HOTEL_NETS = ((221, 210), (36, 110), (27, 20), (123, 120))


class AttackKind(StrEnum):
    STUFFING = "stuffing"
    BOTNET = "botnet"
    LOW_AND_SLOW = "low_and_slow"
    TARGETED = "targeted"
    SPRAYING = "spraying"
    TARGETED_PERSONAL = "targeted_personal"
    TARGETED_BREACH = "targeted_breach"
    SCAM_TAKEOVER = "scam_takeover"


CLASSIC_ATTACKS = (
    AttackKind.STUFFING,
    AttackKind.BOTNET,
    AttackKind.LOW_AND_SLOW,
    AttackKind.TARGETED,
    AttackKind.SPRAYING,
)
SURNAMES = ("wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu")
GIVEN = ("wei", "fang", "na", "min", "jing", "lei", "qiang", "yang", "jie", "xiuying", "jun")


def personal_guesses(c: Customer) -> list[str]:
    """The simulator's targeted guesser: passwords from a customer's name, birth date and phone,
    in the order it tries them."""
    sur, given, birth = c.extra["surname"], c.extra["given"], c.extra["birth"]
    y, m, d = birth[:4], birth[5:7], birth[8:10]
    full = sur + given
    ini = sur[0] + given[0]
    phone = c.account[-11:]
    return [
        y + m + d,
        full + y + m + d,
        sur + y,
        phone[-6:],
        ini + y + m + d,
        full + "123",
        full.capitalize() + m + d,
        y + sur,
        phone,
        sur + m + d + "!",
    ]


LEAK_WORDS = ("woaini", "iloveyou", "qwerty", "dragon", "monkey", "sunshine", "tiger", "baobao")


def leaked_password(r: random.Random, c: Customer) -> str:
    """An old leaked password as people choose them: a word or the name, digits, maybe a
    symbol."""
    word = r.choice((c.extra["surname"] + c.extra["given"], c.extra["given"], *LEAK_WORDS))
    digits = r.choice((c.extra["birth"][:4], str(r.randrange(10, 100)), "520", "123", "88"))
    return word + digits + r.choice(("", "", "", "!", "."))


def sim_tweaks(leaked: str) -> list[str]:
    """The simulator's tweak rules (after Das et al.'s table of transformations; its own
    order and choices, not the detector's): the changes a person makes to a leaked password and
    a guesser tries, commonest first."""
    head = leaked.rstrip("!.")
    tail = leaked[len(head) :]
    digits = len(head) - len(head.rstrip("0123456789"))
    word, num = head[: len(head) - digits], head[len(head) - digits :]
    out = [
        leaked[:1].upper() + leaked[1:],
        leaked + "1",
        leaked + "!",
        word + str(int(num) + 1).zfill(len(num)) + tail if num else leaked + "2",
        word.replace("a", "@").replace("o", "0") + num + tail,
        leaked + "123",
        word + num + "@" if not tail else word + num,
        "1" + leaked,  # a digit in front: the detector does not try it
        leaked + leaked[-1],  # the last character doubled: nor this
        word.capitalize() + num + "!",
        leaked + "2026",
    ]
    return [p for p in dict.fromkeys(out) if p != leaked]


@dataclass(frozen=True, slots=True)
class LoginEvent:
    ts: datetime
    account: str
    ip: str
    user_agent: str | None
    device_id: str | None
    password_sha1: str
    correct: bool  # the password is the account's
    account_known: bool
    actor: str  # "benign" or an AttackKind value

    @property
    def is_attack(self) -> bool:
        return self.actor != "benign"

    def as_json(self) -> dict[str, object]:
        """The replay format (``success`` is whether the password was right)."""
        out: dict[str, object] = {
            "ts": self.ts.isoformat(),
            "account": self.account,
            "ip": self.ip,
            "password_sha1": self.password_sha1,
            "success": self.correct,
            "account_known": self.account_known,
        }
        if self.user_agent is not None:
            out["user_agent"] = self.user_agent
        if self.device_id is not None:
            out["device_id"] = self.device_id
        return out


@dataclass
class Customer:
    account: str
    password: str
    reused: bool  # the password is in a leak an attacker holds
    home: tuple[int, int, int, int]  # the home line's address (renumbered now and then)
    work_ip: str | None
    devices: list[tuple[str | None, str]]  # (device id or None for a browser, user agent)
    logins_per_day: float
    mobile_share: float
    travel: tuple[float, float] | None = None  # days (from start) of a trip
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WorldConfig:
    customers: int = 4000
    days: float = 6.0
    warmup_days: float = 3.0  # attacks start after this
    attacks: tuple[AttackKind, ...] = CLASSIC_ATTACKS
    reused_share: float = 0.08
    personal_share: float = 0.0  # customers whose password is built from their personal data
    breach_share: float = 0.0  # customers whose account leaked elsewhere (targeted_breach)
    tweak_share: float = 0.3  # of those, the share whose password here is a tweak of the leak
    scam_victims: int = 40  # scam_takeover: customers the scammer calls and then logs in as
    scam_reported_share: float = 0.5  # of those, the share who report the call
    scam_called_share: float = 0.0  # other customers called who report it and log in themselves
    common_share: float = 0.02
    known_share: float = 0.35  # of combo-list entries naming an account of this store
    start: datetime = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ScamCall:
    """A scammer's call to a customer: ``victim`` when the scammer then logs in as them
    (``scam_takeover``), else a benign customer who reports it and checks their orders;
    ``reported`` is when the store received the report (None: never reported)."""

    account: str
    called: datetime
    reported: datetime | None
    victim: bool


def sha1_hex(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest()


class LoginWorld:
    """A store's customers and the attacks on them, the same for the same seed."""

    def __init__(self, seed: int, config: WorldConfig | None = None) -> None:
        self.seed = seed
        self.config = config or WorldConfig()
        self.rng = random.Random(seed * 7919 + 17)
        # personal data and personal passwords draw from their own stream, so worlds without
        # them are the same as before they existed
        self.prng = random.Random(seed * 104729 + 3)
        people = PeopleFactory(seed)
        cfg = self.config
        names: set[str] = set()
        while len(names) < cfg.customers:
            names.add(people.mobile())
        self.offices = [self._ip(self.rng.choice(HOME_NETS)) for _ in range(cfg.customers // 40)]
        self.mobile_pool = [
            self._ip(self.rng.choice(MOBILE_NETS)) for _ in range(max(cfg.customers // 15, 50))
        ]
        self.customers = [self._customer(name) for name in sorted(names)]
        for c in self.customers:
            self._personal(c)
        # the old breach draws from a stream of its own too
        self.brng = random.Random(seed * 15485863 + 11)
        self.leak: dict[str, str] = {}  # account -> its password in the old breach
        for c in self.customers:
            self._old_breach(c)
        self.by_account = {c.account: c for c in self.customers}
        self.breached = {sha1_hex(c.password) for c in self.customers if c.reused} | {
            sha1_hex(p) for p in COMMON_PASSWORDS
        }
        # scam calls draw from a stream of their own as well
        self.srng = random.Random(seed * 32452843 + 5)
        self.scam_calls: list[ScamCall] = self._scam_calls()
        self._new_phone: dict[str, float | None] = {}  # account -> day of a new phone

    def scam_reports(self) -> dict[str, list[datetime]]:
        """Account -> the times its scam reports were received, in order (the store's side
        table)."""
        out: dict[str, list[datetime]] = {}
        for call in self.scam_calls:
            if call.reported is not None:
                out.setdefault(call.account, []).append(call.reported)
        return {a: sorted(ts) for a, ts in out.items()}

    # -- building blocks ------------------------------------------------------------------------

    def _ip(self, net: tuple[int, int], r: random.Random | None = None) -> str:
        r = r or self.rng
        return f"{net[0]}.{net[1] + r.randrange(4)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    def _customer(self, account: str) -> Customer:
        r = self.rng
        cfg = self.config
        roll = r.random()
        if roll < cfg.common_share:
            password = r.choice(COMMON_PASSWORDS)
        else:
            password = f"pw-{r.getrandbits(48):012x}"
        reused = cfg.common_share <= roll < cfg.common_share + cfg.reused_share
        net = r.choice(HOME_NETS)
        home = (net[0], net[1] + r.randrange(4), r.randrange(256), r.randrange(1, 255))
        devices: list[tuple[str | None, str]] = [(f"dev-{r.getrandbits(64):016x}", r.choice(UAS))]
        if r.random() < 0.5:
            devices.append((None, r.choice(UAS[3:6])))
        travel = None
        if r.random() < 0.04:
            begin = r.uniform(0, cfg.days - 1)
            travel = (begin, begin + r.uniform(1, 4))
        return Customer(
            account,
            password,
            reused,
            home,
            r.choice(self.offices) if r.random() < 0.5 else None,
            devices,
            r.choice((0.3, 0.5, 1.0, 1.5, 3.0)),
            r.choice((0.1, 0.3, 0.6, 0.9)),
            travel,
        )

    def _personal(self, c: Customer) -> None:
        r = self.prng
        born = datetime(1960, 1, 1, tzinfo=UTC) + timedelta(days=r.randrange(45 * 365))
        c.extra.update(
            surname=r.choice(SURNAMES), given=r.choice(GIVEN), birth=born.date().isoformat()
        )
        if r.random() < self.config.personal_share:
            c.password = r.choice(personal_guesses(c))
            c.extra["personal"] = "1"

    def _old_breach(self, c: Customer) -> None:
        r = self.brng
        if r.random() >= self.config.breach_share:
            return
        leaked = leaked_password(r, c)
        self.leak[c.account] = leaked
        if r.random() < self.config.tweak_share and not c.extra.get("personal"):
            c.password = r.choice(sim_tweaks(leaked))
            c.extra["tweak"] = "1"

    def combo_list(self) -> list[tuple[str, str]]:
        """The old breach as the store's leak monitoring obtains it: ``(login, password)``."""
        return sorted(self.leak.items())

    # -- benign ---------------------------------------------------------------------------------

    def _benign(self, c: Customer) -> Iterator[LoginEvent]:
        r = self.rng
        cfg = self.config
        day = 0.0
        new_phone_day = r.uniform(0, cfg.days) if r.random() < 0.02 else None
        self._new_phone[c.account] = new_phone_day
        home = c.home
        while True:
            day += r.expovariate(c.logins_per_day)
            if day >= cfg.days:
                return
            hour_of_day = r.choice((8, 9, 12, 13, 18, 19, 20, 21, 22, 23, 10, 15))
            ts = cfg.start + timedelta(days=int(day), hours=hour_of_day, seconds=r.randrange(3600))
            if r.random() < 0.05:  # the ISP renumbered the line
                home = (home[0], home[1], r.randrange(256), r.randrange(1, 255))
            yield from self._session(r, c, ts, day, hour_of_day, home, new_phone_day)

    def _session(
        self,
        r: random.Random,
        c: Customer,
        ts: datetime,
        day: float,
        hour_of_day: int,
        home: tuple[int, int, int, int],
        new_phone_day: float | None,
    ) -> Iterator[LoginEvent]:
        """One login session of a customer in their usual ways, starting at ``ts``."""
        device, ua = r.choice(c.devices)
        if new_phone_day is not None and day >= new_phone_day and device is not None:
            device, ua = f"dev-new-{c.account[-6:]}", r.choice(UAS)
        traveling = c.travel is not None and c.travel[0] <= day < c.travel[1]
        where = r.random()
        if traveling:
            ip = self._ip(r.choice(HOTEL_NETS), r) if where < 0.5 else r.choice(self.mobile_pool)
        elif where < c.mobile_share:
            ip = r.choice(self.mobile_pool)
        elif c.work_ip is not None and 9 <= hour_of_day <= 18 and r.random() < 0.6:
            ip = c.work_ip
        else:
            ip = ".".join(map(str, home))
        tries = []
        if r.random() < 0.03:  # a mistyped account name first
            typo = c.account[:-1] + str((int(c.account[-1]) + 1) % 10)
            tries.append((typo, c.password, False))
        if r.random() < 0.06:  # a forgotten or mistyped password, once to four times
            for k in range(r.choice((1, 1, 2, 2, 3, 4))):
                tries.append((c.account, f"{c.password}-{c.account[-4:]}-old{k}", True))
        tries.append((c.account, c.password, True))
        for n, (account, password, _) in enumerate(tries):
            known = account in self.by_account
            yield LoginEvent(
                ts + timedelta(seconds=12 * n + r.random()),
                account,
                ip,
                ua,
                device,
                sha1_hex(password),
                known and password == self.by_account[account].password,
                known,
                "benign",
            )

    # -- scam calls -----------------------------------------------------------------------------

    def _scam_calls(self) -> list[ScamCall]:
        """Who is called when, and when (if ever) the store receives the report."""
        cfg = self.config
        r = self.srng
        called = cfg.scam_called_share > 0
        if AttackKind.SCAM_TAKEOVER not in cfg.attacks and not called:
            return []
        first = cfg.warmup_days * 86_400
        last = max(cfg.days * 86_400 - 4 * 3600, first + 1)

        def call(account: str, victim: bool, reports: bool) -> ScamCall:
            at = cfg.start + timedelta(seconds=r.uniform(first, last))
            delay = timedelta(seconds=r.uniform(5 * 60, 60 * 60))
            return ScamCall(account, at, at + delay if reports else None, victim)

        out: list[ScamCall] = []
        victims: set[str] = set()
        if AttackKind.SCAM_TAKEOVER in cfg.attacks:
            for c in r.sample(self.customers, min(cfg.scam_victims, len(self.customers))):
                victims.add(c.account)
                out.append(call(c.account, True, r.random() < cfg.scam_reported_share))
        if called:
            for c in self.customers:
                if c.account not in victims and r.random() < cfg.scam_called_share:
                    out.append(call(c.account, False, True))
        return out

    def _scam_checks(self) -> Iterator[LoginEvent]:
        """The benign scam-called customers' own logins after their report."""
        cfg = self.config
        r = self.srng
        end = cfg.start + timedelta(days=cfg.days)
        for call in self.scam_calls:
            if call.victim or call.reported is None:
                continue
            c = self.by_account[call.account]
            for _ in range(r.randint(1, 3)):
                after = math.exp(r.uniform(math.log(15 * 60), math.log(2 * 86_400)))
                ts = call.reported + timedelta(seconds=after)
                if ts >= end:
                    continue
                day = (ts - cfg.start).total_seconds() / 86_400
                new_phone = self._new_phone.get(c.account)
                yield from self._session(r, c, ts, day, ts.hour, c.home, new_phone)

    def _scam_takeover(self) -> Iterator[LoginEvent]:
        """The scammer logs in as each victim with the password or code it was given."""
        r = self.srng
        kind = AttackKind.SCAM_TAKEOVER
        for call in self.scam_calls:
            if not call.victim:
                continue
            c = self.by_account[call.account]
            ip = self._ip(r.choice(HOME_NETS + MOBILE_NETS + HOSTING_NETS), r)
            if r.random() < 0.6:
                device: str | None = f"dev-{r.getrandbits(64):016x}"
                ua = r.choice(UAS[:3] + UAS[6:])
            else:
                device, ua = None, r.choice(UAS[3:6])
            at = call.called + timedelta(
                seconds=math.exp(r.uniform(math.log(10 * 60), math.log(4 * 3600)))
            )
            for n in range(r.randint(1, 3)):
                if n:
                    at += timedelta(seconds=r.uniform(60, 600))
                yield self._attack_event(at, c.account, c.password, ip, kind, ua, device)

    # -- attacks --------------------------------------------------------------------------------

    def _combo(self, n: int) -> Iterator[tuple[str, str, bool]]:
        """Leaked (account, password, known) pairs: known accounts with their leaked password."""
        r = self.rng
        for _ in range(n):
            if r.random() < self.config.known_share:
                c = r.choice(self.customers)
                leaked = c.password if c.reused else f"leak-{r.getrandbits(40):010x}"
                yield c.account, leaked, True
            else:
                yield f"+861{r.randrange(30, 99)}{r.randrange(10**8):08d}", "x", False

    def _attack_event(
        self,
        ts: datetime,
        account: str,
        password: str,
        ip: str,
        kind: AttackKind,
        ua: str | None = None,
        device: str | None = None,
    ) -> LoginEvent:
        c = self.by_account.get(account)
        return LoginEvent(
            ts,
            account,
            ip,
            ua if ua is not None else self.rng.choice(BOT_UAS),
            device,
            sha1_hex(password),
            c is not None and c.password == password,
            c is not None,
            kind.value,
        )

    def _attack(self, kind: AttackKind, begin: datetime) -> Iterator[LoginEvent]:
        r = self.rng
        if kind is AttackKind.STUFFING:
            ips = [self._ip(r.choice(HOSTING_NETS)) for _ in range(2)]
            ua = r.choice(BOT_UAS)
            t = begin
            for account, password, _ in self._combo(3000):
                t += timedelta(seconds=r.expovariate(2.0))
                yield self._attack_event(t, account, password, r.choice(ips), kind, ua)
        elif kind is AttackKind.BOTNET:
            t = begin
            combo = self._combo(6000)
            for first in combo:
                ip = self._ip(r.choice(HOME_NETS + MOBILE_NETS))
                ua = r.choice(UAS)
                account, password, _ = first
                for k in range(r.choice((1, 2, 3))):
                    if k:
                        got = next(combo, None)
                        if got is None:
                            return
                        account, password, _ = got
                    t += timedelta(seconds=r.expovariate(3.0))
                    yield self._attack_event(t, account, password, ip, kind, ua)
        elif kind is AttackKind.LOW_AND_SLOW:
            ips = [self._ip(r.choice(HOSTING_NETS)) for _ in range(12)]
            combo = self._combo(10_000)
            for ip in ips:
                t = begin + timedelta(seconds=r.uniform(0, 600))
                ua = r.choice(UAS)
                while t < begin + timedelta(hours=10):
                    account, password, _ = next(combo)
                    yield self._attack_event(t, account, password, ip, kind, ua)
                    t += timedelta(seconds=r.uniform(180, 900))
        elif kind is AttackKind.TARGETED:
            victim = r.choice(self.customers)
            t = begin
            guesses = [f"guess-{i}" for i in range(400)]
            guesses[350] = victim.password  # a good guess, late: it must not get through
            ip = ""
            for i, guess in enumerate(guesses):
                t += timedelta(seconds=r.uniform(5, 30))
                if i % 10 == 0:  # a fresh proxy every ten guesses
                    ip = self._ip(r.choice(HOSTING_NETS + HOTEL_NETS))
                yield self._attack_event(t, victim.account, guess, ip, kind, r.choice(UAS))
        elif kind is AttackKind.TARGETED_PERSONAL:
            yield from self._targeted_personal(begin)
        elif kind is AttackKind.TARGETED_BREACH:
            yield from self._targeted_breach(begin)
        elif kind is AttackKind.SPRAYING:
            targets = r.sample(self.customers, min(3000, len(self.customers)))
            t = begin
            for password in COMMON_PASSWORDS[:3]:
                for c in targets:
                    t += timedelta(seconds=r.expovariate(4.0))
                    ip = self._ip(r.choice(HOME_NETS + MOBILE_NETS))
                    yield self._attack_event(t, c.account, password, ip, kind, r.choice(UAS))

    def _targeted_personal(self, begin: datetime) -> Iterator[LoginEvent]:
        r = self.prng
        kind = AttackKind.TARGETED_PERSONAL
        t = begin
        for victim in r.sample(self.customers, min(40, len(self.customers))):
            t += timedelta(seconds=r.uniform(60, 900))
            at = t
            for guess in personal_guesses(victim)[: r.randint(3, 8)]:
                at += timedelta(seconds=r.uniform(120, 1200))
                ip = self._ip(r.choice(HOME_NETS + MOBILE_NETS))
                yield self._attack_event(at, victim.account, guess, ip, kind, r.choice(UAS))

    def _targeted_breach(self, begin: datetime) -> Iterator[LoginEvent]:
        r = self.brng
        kind = AttackKind.TARGETED_BREACH
        leaked = sorted(self.leak)
        t = begin
        for account in r.sample(leaked, min(40, len(leaked))):
            t += timedelta(seconds=r.uniform(60, 900))
            at = t
            guesses = [self.leak[account], *sim_tweaks(self.leak[account])[: r.randint(3, 7)]]
            for guess in guesses:
                at += timedelta(seconds=r.uniform(3600, 4 * 3600))
                ip = self._ip(r.choice(HOME_NETS + MOBILE_NETS))
                yield self._attack_event(at, account, guess, ip, kind, r.choice(UAS))

    def events(self) -> list[LoginEvent]:
        """Every event of the world, in time order."""
        cfg = self.config
        out: list[LoginEvent] = []
        for c in self.customers:
            out.extend(self._benign(c))
        attack_days = cfg.days - cfg.warmup_days
        # scam_takeover follows its calls (spread over the attack days): it takes no slot
        slotted = [k for k in cfg.attacks if k is not AttackKind.SCAM_TAKEOVER]
        for n, kind in enumerate(slotted):
            slot = attack_days / max(len(slotted), 1)
            offset = cfg.warmup_days + n * slot + self.rng.uniform(0, max(slot - 0.5, 0.01))
            out.extend(self._attack(kind, cfg.start + timedelta(days=offset)))
        if AttackKind.SCAM_TAKEOVER in cfg.attacks:
            out.extend(self._scam_takeover())
        out.extend(self._scam_checks())
        out.sort(key=lambda e: e.ts)
        return out
