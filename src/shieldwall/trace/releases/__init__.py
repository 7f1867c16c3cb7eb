"""Releases, canaries, marks and codewords."""
