"""Breached passwords and password policy.

- :mod:`.hashing`    :class:`HashKind` (SHA-1, NTLM) and how a password becomes one
- :mod:`.shardfile`  the exact, memory-mapped shard format (17 bytes of SHA-1 per record)
- :mod:`.corpus`     :class:`BreachedCorpus` / :class:`PasswordCorpora`: counts and 5-hex ranges
- :mod:`.formats`    :class:`SourceFormat` and :class:`MergeMode`, the operator's two choices
- :mod:`.sources`    HIBP downloader output and plain password lists, parsed in chunks
- :mod:`.importer`   :class:`CorpusImporter`: resumable import and merge, atomic per shard
- :mod:`.rangeapi`   HIBP-compatible ``/range/{prefix}`` bodies, with ``Add-Padding``
- :mod:`.context`    context-specific words from a customer's details and the store's name
- :mod:`.policy`     :class:`PasswordChecker`: NIST SP 800-63B-4 rules, reasons in zh and en
"""
