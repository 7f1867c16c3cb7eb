"""Lookalike domains."""
