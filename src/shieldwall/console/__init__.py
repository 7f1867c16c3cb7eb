"""The security team's console: server-rendered pages at ``/console`` over the same services
the API uses.

- :mod:`~shieldwall.console.sessions`: server-side sessions (idle timeout, absolute lifetime,
  a CSRF token each), the cookie holds only a random token whose SHA-256 is the store's key;
- :mod:`~shieldwall.console.signin`: who may sign in (admins and analysts, by API key) and how
  often an address may try;
- :mod:`~shieldwall.console.i18n`: the English and Chinese message catalog;
- :mod:`~shieldwall.console.charts`: server-rendered SVG charts (no script);
- :mod:`~shieldwall.console.pages`: the FastAPI router with the pages.

Errors: :class:`~shieldwall.console.errors.ConsoleError` is the package's root.
"""
