"""Discover: find Chinese customer data where it should not be.

A store's personal data leaks through exports, logs, support tickets, chat transcripts, files
shared with partners and API responses. This package finds it:

- :mod:`.recognizers`: pure recognizers, one per kind of data (resident ID numbers, mainland
  phones, bank cards, passports and travel permits, e-mail, postal addresses, names in context);
  each returns :class:`~.model.Finding` objects with a span, a type, a confidence and a reason.
- :class:`~.analyzer.Analyzer`: runs a set of recognizers over text and settles overlaps.
- :mod:`.stream`: the analyzer over a stream of text in bounded memory (chunks with overlap).
- :mod:`.sources`: text, log, CSV, XLSX and JSON-lines files as located pieces of text, with a
  redacted copy written atomically.
- :mod:`.exposure`: a response carrying more personal data than its route declares becomes an
  alert (:mod:`.proxy` runs that in front of a store's API).
- :mod:`.presidio`: the same recognizers as presidio-analyzer recognizers (optional extra).

Findings never hold the matched value beyond the call that made them: reports carry masked
values (:mod:`shieldwall.custody.masking`) only.
"""
