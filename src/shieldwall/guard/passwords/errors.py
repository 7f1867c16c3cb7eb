"""Errors of the breached-password corpus, the range API and the password check.

::

    GuardError                      (shieldwall.guard.errors)
    └── PasswordsError
        ├── InvalidHash             a hash or range prefix that is not hex of the right length
        ├── CorpusCorrupt           a shard file truncated, altered or inconsistent
        ├── ImportFailed            a source file unreadable, malformed (strict mode) or a
        │                           conflicting unfinished import
        └── ContextUnavailable      the customer named for a password check cannot be found

Messages name files, line numbers and fields, never passwords or personal data.
"""

from __future__ import annotations

from shieldwall.guard.errors import GuardError


class PasswordsError(GuardError):
    code = "passwords_error"


class InvalidHash(PasswordsError):
    code = "invalid_hash"


class CorpusCorrupt(PasswordsError):
    code = "corpus_corrupt"


class ImportFailed(PasswordsError):
    code = "import_failed"


class ContextUnavailable(PasswordsError):
    code = "context_unavailable"
