"""The recognizers inside a real presidio-analyzer AnalyzerEngine, offline (no spaCy model)."""

from __future__ import annotations

import pytest

pytest.importorskip("presidio_analyzer")

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

from shieldwall.discover.presidio import BlankSpacyNlpEngine, add_to_registry, analyzer_engine

ID = "11010519491231002X"  # GB 11643-1999's own example
TEXT = f"收件人：张伟，电话13800138000，身份证{ID}，邮箱 a.b@example.com"


def test_engine_finds_chinese_entities_with_reasons() -> None:
    """Presidio's own engine runs our recognizers: entity names, spans, scores, explanations."""
    engine = analyzer_engine()
    results = engine.analyze(text=TEXT, language="zh", return_decision_process=True)
    got = sorted((TEXT[r.start : r.end], r.entity_type) for r in results)
    assert got == [
        ("11010519491231002X", "CN_RESIDENT_ID"),
        ("13800138000", "CN_PHONE_NUMBER"),
        ("a.b@example.com", "EMAIL_ADDRESS"),
        ("张伟", "PERSON"),
    ]
    by_type = {r.entity_type: r for r in results}
    assert "GB 11643" in by_type["CN_RESIDENT_ID"].analysis_explanation.textual_explanation


def test_entities_filter_and_existing_registry() -> None:
    """Added to a registry a team already has; asking for one entity returns only that one."""
    registry = RecognizerRegistry(supported_languages=["zh"])
    add_to_registry(registry, "zh")
    nlp = BlankSpacyNlpEngine("zh")
    nlp.load()
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["zh"])
    results = engine.analyze(text=TEXT, language="zh", entities=["CN_PHONE_NUMBER"])
    assert [(r.start, r.end) for r in results] == [(9, 20)]
