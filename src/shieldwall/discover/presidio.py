"""The discover recognizers as a presidio-analyzer recognizer set (extra ``[presidio]``).

A team that already runs Microsoft Presidio adds Chinese coverage with::

    from shieldwall.discover.presidio import add_to_registry
    add_to_registry(analyzer.registry, language="zh")

or gets a ready engine that needs no spaCy model download (:func:`analyzer_engine`: a blank
spaCy pipeline for tokens, since these recognizers need no NER)::

    engine = analyzer_engine()
    engine.analyze(text="电话13800138000", language="zh")

Entity names follow Presidio's where one exists (``EMAIL_ADDRESS``, ``PERSON``) and are
``CN_*`` otherwise (:data:`ENTITIES`). Each result carries the recognizer's reason as its
``analysis_explanation.textual_explanation``. shieldwall itself never imports this module.
"""

from __future__ import annotations

from typing import Any

from shieldwall.core.extras import require_extra
from shieldwall.discover.model import DataType
from shieldwall.discover.recognizers import Recognizer, default_recognizers

require_extra("presidio_analyzer", extra="presidio", feature="discover's Presidio recognizers")

import spacy  # noqa: E402 (presidio-analyzer depends on it)
from presidio_analyzer import (  # noqa: E402 (after the extra is checked)
    AnalysisExplanation,
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import SpacyNlpEngine  # noqa: E402

ENTITIES: dict[DataType, str] = {
    DataType.NATIONAL_ID: "CN_RESIDENT_ID",
    DataType.PHONE: "CN_PHONE_NUMBER",
    DataType.BANK_CARD: "CN_BANK_CARD",
    DataType.PASSPORT: "CN_PASSPORT",
    DataType.TRAVEL_PERMIT: "CN_TRAVEL_PERMIT",
    DataType.EMAIL: "EMAIL_ADDRESS",
    DataType.ADDRESS: "CN_ADDRESS",
    DataType.NAME: "PERSON",
}


class ShieldwallRecognizer(EntityRecognizer):
    """One discover recognizer as a Presidio ``EntityRecognizer``."""

    def __init__(self, recognizer: Recognizer, language: str = "zh") -> None:
        self.recognizer = recognizer
        self.label: str = f"shieldwall_{recognizer.name}"
        super().__init__(
            supported_entities=sorted(ENTITIES[t] for t in recognizer.types),
            name=self.label,
            supported_language=language,
        )

    def load(self) -> None:
        """Nothing to load: the recognizers are pure and their tables ship with shieldwall."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        wanted = set(entities or self.supported_entities)
        results = []
        for finding in self.recognizer.find(text):
            entity = ENTITIES[finding.type]
            if entity not in wanted:
                continue
            explanation = AnalysisExplanation(
                recognizer=self.label,
                original_score=finding.confidence,
                textual_explanation=finding.reason,
            )
            results.append(
                RecognizerResult(
                    entity_type=entity,
                    start=finding.start,
                    end=finding.end,
                    score=finding.confidence,
                    analysis_explanation=explanation,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.label,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results


def recognizers(language: str = "zh") -> list[ShieldwallRecognizer]:
    """Every discover recognizer, wrapped for Presidio."""
    return [ShieldwallRecognizer(r, language) for r in default_recognizers()]


def add_to_registry(registry: RecognizerRegistry, language: str = "zh") -> None:
    """Add every discover recognizer to an existing Presidio registry."""
    for recognizer in recognizers(language):
        registry.add_recognizer(recognizer)


class BlankSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine on ``spacy.blank(language)``: tokens only, no model to download
    (Presidio's default engine would fetch ``en_core_web_lg`` at run time)."""

    def __init__(self, language: str = "zh") -> None:
        super().__init__(models=[{"lang_code": language, "model_name": f"blank:{language}"}])
        self.language = language

    def load(self) -> None:
        # presidio declares ``nlp`` as None (set by ``load``); the value is what its own load sets
        self.nlp = {self.language: spacy.blank(self.language)}  # type: ignore[assignment]


def analyzer_engine(language: str = "zh") -> AnalyzerEngine:
    """A Presidio ``AnalyzerEngine`` with only the discover recognizers, working offline."""
    registry = RecognizerRegistry(supported_languages=[language])
    add_to_registry(registry, language)
    nlp = BlankSpacyNlpEngine(language)
    nlp.load()
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=[language])
