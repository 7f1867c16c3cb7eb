"""The command-line edge: a Typer app with one command group per capability."""
