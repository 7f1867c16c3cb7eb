"""What one notice says, built from the case's facts and the store's settings (pure).

The items follow the texts (quoted in docs/respond.md):

- PIPL art. 57: (1) the kinds of personal information, the cause and the possible harm;
  (2) the remedial measures taken and what the person can do to reduce the harm; (3) the
  handler's contact.
- GDPR art. 33(3): (a) the nature of the breach with the categories and approximate numbers of
  data subjects and records; (b) the DPO's or another contact point; (c) the likely
  consequences; (d) the measures taken or proposed, including mitigation. Art. 33(1): a notice
  later than 72 hours carries the reasons for the delay. Art. 34(2): to data subjects, in clear
  and plain language, the nature of the breach and (b), (c) and (d).

:func:`notice_content` refuses a notice that would leave out a required item: no kind of
personal information known, no remedial measure, a late GDPR notice without a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shieldwall.respond.errors import CaseInvalid
from shieldwall.respond.notices import catalogue as cat
from shieldwall.respond.notices.deadlines import GDPR_AUTHORITY_HOURS
from shieldwall.respond.notices.model import Audience, Exposure, Language, Regime


@dataclass(frozen=True, slots=True)
class StoreContact:
    """The store as it signs a notice (``store_name`` and ``respond.notices.*`` settings)."""

    name: str
    email: str
    phone: str
    dpo: str  # the data protection officer or contact point (GDPR art. 33(3)(b))
    authority_zh: str  # PIPL: the department with personal information protection duties
    authority_en: str
    gdpr_authority: str  # the lead supervisory authority (GDPR art. 55/56)


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """Everything one notice is built from; ``person`` is the masked name, or None."""

    case_id: str
    regime: Regime
    audience: Audience
    language: Language
    discovered_at: datetime
    now: datetime
    exposures: tuple[Exposure, ...]
    affected: int
    cause: str
    measures: tuple[str, ...]
    store: StoreContact
    delay_reason: str | None = None
    person: str | None = None


@dataclass(frozen=True, slots=True)
class NoticeParams:
    """The operator's choices, as codes from :mod:`.catalogue` (validated here)."""

    cause: str | None = None
    measures: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    delay_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cause": self.cause,
            "measures": list(self.measures),
            "kinds": list(self.kinds),
            "delay_reason": self.delay_reason,
        }


def check_params(
    cause: str | None,
    measures: Sequence[str],
    kinds: Sequence[str],
    delay_reason: str | None,
) -> NoticeParams:
    """Codes checked against the catalogue; a duplicate is dropped, an unknown one refused."""
    if cause is not None and cause not in cat.CAUSES:
        raise CaseInvalid(_expected(cat.CAUSES), field="cause")
    for code in measures:
        if code not in cat.MEASURES:
            raise CaseInvalid(_expected(cat.MEASURES), field="measures")
    for code in kinds:
        if code not in cat.KINDS:
            raise CaseInvalid(_expected(cat.KINDS), field="kinds")
    if delay_reason is not None and delay_reason not in cat.DELAY_REASONS:
        raise CaseInvalid(_expected(cat.DELAY_REASONS), field="delay_reason")
    return NoticeParams(
        cause,
        tuple(dict.fromkeys(measures)),
        tuple(dict.fromkeys(kinds)),
        delay_reason,
    )


def _expected(table: dict[str, cat.Text]) -> str:
    return "unknown code; expected one of " + ", ".join(sorted(table))


def is_late(facts: NoticeFacts) -> bool:
    hours = (facts.now - facts.discovered_at).total_seconds() / 3600
    return hours > GDPR_AUTHORITY_HOURS


def notice_content(facts: NoticeFacts) -> dict[str, Any]:
    """The template's context: every required item in ``facts.language``."""
    lang = facts.language.value
    if not facts.exposures:
        raise CaseInvalid(
            "the case shows no kind of personal information exposed: link a release to it or"
            " name the kinds",
            field="kinds",
        )
    if not facts.measures:
        raise CaseInvalid(
            "a notice must state the remedial measures taken (PIPL art. 57, GDPR art."
            " 33(3)(d)): name at least one",
            field="measures",
        )
    late = facts.regime is Regime.GDPR and facts.audience is Audience.AUTHORITY and is_late(facts)
    if late and facts.delay_reason is None:
        raise CaseInvalid(
            "the notice is later than 72 hours after discovery: GDPR art. 33(1) requires the"
            " reasons for the delay",
            field="delay_reason",
        )
    fields = [e.field for e in facts.exposures]
    kinds = [
        cat.KINDS[e.field][lang] + (cat.MASKED[lang] if e.masked_only else "")
        for e in facts.exposures
    ]
    harms = list(dict.fromkeys(cat.HARMS[f][lang] for f in fields if f in cat.HARMS))
    advice = [cat.ADVICE[f][lang] for f in fields if f in cat.ADVICE]
    advice.append(cat.ADVICE["general"][lang])
    store = facts.store
    return {
        "case_id": facts.case_id,
        "regime": facts.regime.value,
        "audience": facts.audience.value,
        "language": lang,
        "store": {
            "name": store.name,
            "email": store.email,
            "phone": store.phone,
            "dpo": store.dpo,
            "authority": store.authority_zh if lang == Language.ZH.value else store.authority_en,
            "gdpr_authority": store.gdpr_authority,
        },
        "person": facts.person,
        "discovered_at": facts.discovered_at.strftime("%Y-%m-%d %H:%M UTC"),
        "dated": facts.now.strftime("%Y-%m-%d"),
        "affected": facts.affected,
        "kinds": kinds,
        "cause": cat.CAUSES[facts.cause][lang],
        "harms": harms,
        "measures": [cat.MEASURES[m][lang] for m in facts.measures],
        "advice": list(dict.fromkeys(advice)),
        "late": late,
        "delay_reason": (
            cat.DELAY_REASONS[facts.delay_reason][lang] if facts.delay_reason else None
        ),
    }
