"""What every command group shares: settings and services, output, progress, exit codes.

Exit codes: 0 success, 1 error, 2 usage error, 3 access denied, 4 not found.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from shieldwall.core.model import Principal
from shieldwall.core.paging import MAX_LIMIT, Page

if TYPE_CHECKING:
    from shieldwall.config import Settings
    from shieldwall.wiring import Services

T = TypeVar("T")
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_DENIED = 3
EXIT_NOT_FOUND = 4


@cache
def settings() -> Settings:
    from shieldwall.config import load_settings  # pydantic's models: not for ``--help``

    return load_settings()


@cache
def services() -> Services:
    # Imported here, not above: the composition root pulls in every capability (SQLAlchemy,
    # Alembic, FastAPI...), which ``shieldwall --help`` and most commands' parsing never need.
    from shieldwall.wiring import build

    return build(settings())


def as_principal(principal_id: str) -> Principal:
    """The principal a command acts as (``--as``); the CLI is the trusted operator's tool."""
    return services().custody.principals.get(principal_id)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def read_secret_input(prompt: str) -> str:
    """A value that must not appear in argv or shell history: from stdin, or prompted for."""
    if sys.stdin.isatty():
        return console.input(f"{prompt}: ", password=True)
    return sys.stdin.readline().rstrip("\r\n")


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Any]:
    """A Rich progress bar on stderr; yields ``advance(n)``."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    )
    with bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


def collect(fetch: Callable[[int, str | None], Page[T]], limit: int, cursor: str | None) -> list[T]:
    """Up to ``limit`` items of a paged list, a page (at most ``MAX_LIMIT``) at a time from
    ``cursor``; when more remain, says on stderr how to continue."""
    items: list[T] = []
    while True:
        page = fetch(min(MAX_LIMIT, limit - len(items)), cursor)
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return items
        if len(items) >= limit:
            err_console.print(f"more: continue with --cursor {cursor}", markup=False)
            return items
