"""The functional tests' small store and API client, for the end-to-end security checks."""

from tests.functional.conftest import client, store

__all__ = ["client", "store"]
