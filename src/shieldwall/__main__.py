"""``python -m shieldwall`` runs the CLI."""

from shieldwall.cli.app import entry

entry()
