"""Scam reports and scripts."""
