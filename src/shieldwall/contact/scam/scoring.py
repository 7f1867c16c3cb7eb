"""Scam-script scoring: explainable signals combined by a logistic model.

``ScriptScorer.score(text, lang="auto", facts=None)`` normalizes the text, finds every signal
(:mod:`.signals` phrase families, plus ``link`` when the text holds a URL or domain and
``real_order_quoted`` when it quotes the customer's real order given in ``facts``), and returns

    score = sigmoid(bias + Σ weight(family) over the families present)

with each match listed as ``{signal, weight, matched_text, span}`` (spans index the normalized
text, which is returned too). A family counts once however often it matches, so the sum of the
distinct families' weights plus the bias *is* the logit: nothing is hidden.

Weights and the bias are fitted on the training split of the labelled dataset (see
:mod:`.training`) and shipped in ``data/scorer_model.json``. Four weights are set by hand because
the dataset cannot teach them: ``store_template`` (the text is an instance of one of the store's
own templates, see :mod:`.templates`), ``lookalike_link`` (a :class:`~.ports.DomainJudge`
says a link imitates one of our brands), and the families found missing on real reported texts,
``prize_claim`` and ``callback_request`` (:data:`.signals.HAND_SET_FAMILIES`, weights chosen on
real data by ``bench/bench_contact_scam_real.py``). With a judge, links to official domains do
not count as ``link``; with a :class:`~.ports.NumberJudge`, asking to call one of the store's
official numbers does not count as ``callback_request``.

Labels: ``likely_scam`` from the model's ``likely_scam`` threshold, ``suspicious`` from its
``suspicious`` threshold, else ``low_risk``. Thresholds are chosen on the training split.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from rapidfuzz import fuzz

from shieldwall.contact.scam.errors import ReportRejected, ScamConfigError
from shieldwall.contact.scam.indicators import Kind, LinkFinder
from shieldwall.contact.scam.normalize import as_e164, check_length, normalize
from shieldwall.contact.scam.ports import DomainJudge, NumberJudge
from shieldwall.contact.scam.signals import DERIVED_FAMILIES, FAMILIES, SPECS
from shieldwall.contact.scam.templates import TemplateSet

MODEL_FORMAT = "shieldwall-scam-model/1"
FEATURES: tuple[str, ...] = FAMILIES + DERIVED_FAMILIES
MAX_MATCHES_PER_SIGNAL = 5
Lang = Literal["auto", "zh", "en"]
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_CALLBACK_NUMBER = re.compile(r"\+?\d[\d -]*\d")
_NUMBER = re.compile(r"(?<![\d.])\d{1,9}(?:,\d{3})*(?:\.\d{1,2})?(?![\d])")


@dataclass(frozen=True, slots=True)
class Signal:
    signal: str
    weight: float
    matched_text: str
    span: tuple[int, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "weight": round(self.weight, 4),
            "matched_text": self.matched_text,
            "span": list(self.span),
        }


@dataclass(frozen=True, slots=True)
class ScriptScore:
    score: float
    label: str
    lang: str
    logit: float
    signals: tuple[Signal, ...]
    template: str | None
    normalized: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "label": self.label,
            "lang": self.lang,
            "logit": round(self.logit, 4),
            "template": self.template,
            "signals": [s.to_dict() for s in self.signals],
        }


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """The customer's real recent orders, to detect a caller quoting them."""

    order_ids: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()  # decimal strings, "1299" or "1299.00"

    def __bool__(self) -> bool:
        return bool(self.order_ids or self.items or self.amounts)


@dataclass(frozen=True)
class ScoringModel:
    bias: float
    weights: Mapping[str, float]
    fixed: Mapping[str, float]
    suspicious: float
    likely_scam: float
    meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> ScoringModel:
        """Load ``path``, or the model fitted on the shipped dataset when None."""
        try:
            if path is None:
                raw = (
                    resources.files("shieldwall.contact.scam")
                    .joinpath("data/scorer_model.json")
                    .read_text(encoding="utf-8")
                )
            else:
                raw = path.read_text(encoding="utf-8")
            doc = json.loads(raw)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ScamConfigError(f"scorer model cannot be read: {exc}") from None
        return cls.from_document(doc)

    @classmethod
    def from_document(cls, doc: Any) -> ScoringModel:
        if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
            raise ScamConfigError(f"not a scorer model ({MODEL_FORMAT})", field="model")
        try:
            weights = {str(k): float(v) for k, v in doc["weights"].items()}
            fixed = {str(k): float(v) for k, v in doc["fixed_weights"].items()}
            model = cls(
                bias=float(doc["bias"]),
                weights=weights,
                fixed=fixed,
                suspicious=float(doc["thresholds"]["suspicious"]),
                likely_scam=float(doc["thresholds"]["likely_scam"]),
                meta=dict(doc.get("training", {})),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ScamConfigError("scorer model is missing fields", field="model") from None
        missing = set(FEATURES) - set(weights)
        if missing:
            raise ScamConfigError(f"scorer model lacks weights for {sorted(missing)}")
        if not 0 < model.suspicious <= model.likely_scam < 1:
            raise ScamConfigError("thresholds must satisfy 0 < suspicious <= likely_scam < 1")
        return model

    def to_document(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "bias": self.bias,
            "weights": dict(self.weights),
            "fixed_weights": dict(self.fixed),
            "thresholds": {"suspicious": self.suspicious, "likely_scam": self.likely_scam},
            "training": dict(self.meta),
        }

    def weight(self, family: str) -> float:
        if family in self.fixed:
            return self.fixed[family]
        return self.weights.get(family, 0.0)


Matches = dict[str, list[tuple[str, tuple[int, int]]]]


class ScriptScorer:
    """Scores scripts; immutable after construction and safe to share between threads."""

    def __init__(
        self,
        model: ScoringModel,
        templates: TemplateSet | None = None,
        *,
        judge: DomainJudge | None = None,
        numbers: NumberJudge | None = None,
        region: str = "CN",
        max_chars: int = 20_000,
    ) -> None:
        self.model = model
        self.templates = templates
        self.judge = judge
        self.numbers = numbers
        self.region = region
        self.max_chars = max_chars
        self._links = LinkFinder()
        self._specs = {
            lang: [
                (spec.family, spec.lang, spec.compiled())
                for spec in SPECS
                if lang == "auto" or spec.lang in (lang, "any")
            ]
            for lang in ("auto", "zh", "en")
        }

    # -- public ------------------------------------------------------------------------------

    def score(
        self, text: str, lang: Lang | str = "auto", facts: OrderFacts | None = None
    ) -> ScriptScore:
        """Score ``text`` (raises :class:`TextTooLong` over the cap, ReportRejected on bad lang)."""
        if lang not in ("auto", "zh", "en"):
            raise ReportRejected("must be auto, zh or en", field="lang")
        check_length(text, self.max_chars)
        return self.score_normalized(normalize(text), lang, facts)

    def score_normalized(
        self, normalized: str, lang: str = "auto", facts: OrderFacts | None = None
    ) -> ScriptScore:
        matches = self.matches(normalized, lang, facts)
        template = self._template(normalized, matches)
        if template is not None:
            matches["store_template"] = [(normalized[:80], (0, len(normalized)))]
        logit = self.model.bias + sum(self.model.weight(f) for f in matches)
        probability = _sigmoid(logit)
        signals = sorted(
            (
                Signal(family, self.model.weight(family), text, span)
                for family, found in matches.items()
                for text, span in found[:MAX_MATCHES_PER_SIGNAL]
            ),
            key=lambda s: (s.span, s.signal),
        )
        return ScriptScore(
            score=probability,
            label=self.label(probability),
            lang=detect_language(normalized),
            logit=logit,
            signals=tuple(signals),
            template=template,
            normalized=normalized,
        )

    def label(self, probability: float) -> str:
        if probability >= self.model.likely_scam:
            return "likely_scam"
        if probability >= self.model.suspicious:
            return "suspicious"
        return "low_risk"

    def matches(
        self, normalized: str, lang: str = "auto", facts: OrderFacts | None = None
    ) -> Matches:
        """Every family found in ``normalized`` with its matches (feature extraction)."""
        found: Matches = {}
        has_cjk = _CJK.search(normalized) is not None
        has_latin = _ASCII_LETTER.search(normalized) is not None
        for family, spec_lang, pattern in self._specs[lang if lang in self._specs else "auto"]:
            if (spec_lang == "zh" and not has_cjk) or (spec_lang == "en" and not has_latin):
                continue  # exact: such a spec cannot match without its script (see SignalSpec)
            for m in pattern.finditer(normalized):
                if m.end() > m.start():
                    found.setdefault(family, []).append((m.group(), m.span()))
        self._link_signals(normalized, found)
        self._drop_official_callbacks(found)
        if facts:
            quoted = quoted_facts(normalized, facts)
            if quoted:
                found["real_order_quoted"] = quoted
        return found

    def feature_vector(self, matches: Matches) -> list[float]:
        return [1.0 if f in matches else 0.0 for f in FEATURES]

    # -- internals ---------------------------------------------------------------------------

    def _link_signals(self, normalized: str, found: Matches) -> None:
        links = self._links.find(normalized)
        for ind in links.indicators:
            if ind.kind is not Kind.DOMAIN:
                continue
            text = normalized[ind.span[0] : ind.span[1]]
            if self.judge is None:
                found.setdefault("link", []).append((text, ind.span))
                continue
            verdict = self.judge.check(ind.detail or ind.value)
            if verdict.verdict == "official":
                continue
            found.setdefault("link", []).append((text, ind.span))
            if verdict.verdict == "lookalike":
                found.setdefault("lookalike_link", []).append((text, ind.span))

    def _drop_official_callbacks(self, found: Matches) -> None:
        """With a number judge, asking to call one of the store's own numbers is no signal
        (like links to official domains): only calls to other numbers count."""
        if self.numbers is None or "callback_request" not in found:
            return
        kept = []
        for text, span in found["callback_request"]:
            digits = _CALLBACK_NUMBER.search(text)
            e164 = as_e164(digits.group(), self.region) if digits else None
            if e164 is None or not self.numbers.is_official(e164):
                kept.append((text, span))
        if kept:
            found["callback_request"] = kept
        else:
            del found["callback_request"]

    def _template(self, normalized: str, matches: Matches) -> str | None:
        if self.templates is None:
            return None
        match = self.templates.match(normalized)
        if match is None:
            return None
        for family, found in matches.items():
            if self.model.weight(family) <= 0:
                continue
            for _, (start, end) in found:
                if any(fs <= start and end <= fe for fs, fe in match.free_fills):
                    return None  # a scam phrase hides inside a placeholder value
        return match.template_id


def detect_language(text: str) -> str:
    """``zh`` when Chinese characters outnumber Latin words, else ``en``."""
    cjk = len(_CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    return "zh" if cjk >= words and cjk > 0 else "en"


def quoted_facts(normalized: str, facts: OrderFacts) -> list[tuple[str, tuple[int, int]]]:
    """Where the text quotes the real order: its id (or last 4+ digits after 尾号/ending), an
    item title (exact, or rapidfuzz partial ratio ≥ 90 for titles of 4+ characters), or an
    amount of 10 or more equal to a number in the text."""
    out: list[tuple[str, tuple[int, int]]] = []
    lowered = normalized.casefold()
    for order_id in facts.order_ids:
        oid = order_id.strip().casefold()
        if len(oid) >= 6:
            pos = lowered.find(oid)
            if pos >= 0:
                out.append((normalized[pos : pos + len(oid)], (pos, pos + len(oid))))
                continue
        tail = re.escape(oid[-4:])
        m = re.search(rf"(?:尾号|ending(?: in)?|末四位|后四位)\s?{tail}(?!\d)", lowered)
        if m and len(oid) >= 4:
            out.append((normalized[m.start() : m.end()], m.span()))
    for item in facts.items:
        title = item.strip().casefold()
        if len(title) < 2:
            continue
        pos = lowered.find(title)
        if pos >= 0:
            out.append((normalized[pos : pos + len(title)], (pos, pos + len(title))))
        elif len(title) >= 4:
            hit = fuzz.partial_ratio_alignment(title, lowered, score_cutoff=90)
            if hit is not None:
                out.append(
                    (normalized[hit.dest_start : hit.dest_end], (hit.dest_start, hit.dest_end))
                )
    wanted = {_cents(a) for a in facts.amounts}
    wanted.discard(None)
    if wanted:
        for m in _NUMBER.finditer(normalized):
            cents = _cents(m.group())
            if cents is not None and cents >= 1000 and cents in wanted:
                out.append((m.group(), m.span()))
    return out


def _cents(value: str) -> int | None:
    try:
        return round(float(value.replace(",", "")) * 100)
    except ValueError:
        return None


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
