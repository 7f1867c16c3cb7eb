"""All tables, one module per capability, on one shared :data:`metadata`."""

from shieldwall.storage.tables import alerts, audit, custody, watch
from shieldwall.storage.tables.base import metadata

__all__ = ["alerts", "audit", "custody", "metadata", "watch"]
