"""The functional tests' small store (principals with keys, customers, a client), reused."""

from tests.functional.conftest import client, store

__all__ = ["client", "store"]
