"""``shieldwall``: the command-line interface.

Every command reads its configuration through :mod:`shieldwall.config` (``SHIELDWALL_HOME`` and
friends). Errors print one line on stderr and exit non-zero (see :mod:`.common` for codes).
"""

from __future__ import annotations

import sys

import typer

from shieldwall.cli import (
    audit,
    common,
    contact_domains,
    contact_ledger,
    contact_scam,
    custody,
    discover,
    guard_passwords,
    guard_risk,
    intake,
    respond_cases,
    respond_money,
    respond_notices,
    simulate,
    system,
    trace_attribution,
    trace_releases,
    trace_watch,
)
from shieldwall.cli.common import EXIT_DENIED, EXIT_ERROR, EXIT_NOT_FOUND, err_console
from shieldwall.core.errors import ShieldwallError

app = typer.Typer(
    name="shieldwall",
    help="Protect an online store's customers from data leaks and the scams that follow them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
system.register(app)
custody.register(app)
audit.register(app)
guard_passwords.register(app)
guard_risk.register(app)
contact_domains.register(app)
contact_ledger.register(app)
contact_scam.register(app)
trace_watch.register(app)
trace_releases.register(app)
trace_attribution.register(app)
respond_cases.register(app)
respond_money.register(app)
respond_notices.register(app)
simulate.register(app)
intake.register(app)
discover.register(app)


def exit_code(exc: ShieldwallError) -> int:
    code = getattr(exc, "code", "")
    if code in ("access_denied", "unauthenticated"):
        return EXIT_DENIED
    if code == "not_found":
        return EXIT_NOT_FOUND
    return EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (tests call this directly).

    Usage errors are Typer's own (exit 2); shieldwall errors print one line on stderr.
    """
    try:
        app(args=argv, prog_name="shieldwall")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except ShieldwallError as exc:
        err_console.print(f"error: {exc}", markup=False)
        return exit_code(exc)
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        return 130
    return 0


def entry() -> None:
    """Console-script entry point; closes the services a command built (queued alerts go out)."""
    code = main()
    if common.services.cache_info().currsize:
        common.services().close()
    sys.exit(code)
