"""Insider watch."""
