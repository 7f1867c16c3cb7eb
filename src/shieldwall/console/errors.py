"""The console's errors, under one root::

ShieldwallError
└── ConsoleError
    ├── SignInRefused      wrong key, or a role the console does not serve (401/403 page)
    ├── SignInThrottled    too many sign-in attempts from one address (429 page)
    ├── CsrfRejected       a POST without the session's CSRF token (403 page)
    └── FormRejected       a form field that does not parse (400 page naming the field)
"""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class ConsoleError(ShieldwallError):
    code = "console_error"


class SignInRefused(ConsoleError):
    code = "sign_in_refused"


class SignInThrottled(ConsoleError):
    code = "sign_in_throttled"

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class CsrfRejected(ConsoleError):
    code = "csrf_rejected"


class FormRejected(ConsoleError):
    code = "form_rejected"
