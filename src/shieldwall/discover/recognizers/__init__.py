"""The recognizers, one module per kind of data, and :func:`default_recognizers`."""

from __future__ import annotations

from shieldwall.discover.recognizers.addresses import AddressRecognizer
from shieldwall.discover.recognizers.bank_cards import BankCardRecognizer
from shieldwall.discover.recognizers.base import MAX_CONTEXT, MAX_SPAN, Recognizer
from shieldwall.discover.recognizers.email import EmailRecognizer
from shieldwall.discover.recognizers.names import NameRecognizer
from shieldwall.discover.recognizers.national_id import NationalIdRecognizer
from shieldwall.discover.recognizers.phones import PhoneRecognizer
from shieldwall.discover.recognizers.travel import TravelDocumentRecognizer

__all__ = [
    "MAX_CONTEXT",
    "MAX_SPAN",
    "AddressRecognizer",
    "BankCardRecognizer",
    "EmailRecognizer",
    "NameRecognizer",
    "NationalIdRecognizer",
    "PhoneRecognizer",
    "Recognizer",
    "TravelDocumentRecognizer",
    "default_recognizers",
]


def default_recognizers() -> tuple[Recognizer, ...]:
    """Every recognizer, in the order their findings win ties."""
    return (
        NationalIdRecognizer(),
        BankCardRecognizer(),
        PhoneRecognizer(),
        TravelDocumentRecognizer(),
        EmailRecognizer(),
        AddressRecognizer(),
        NameRecognizer(),
    )
