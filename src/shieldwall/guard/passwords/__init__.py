"""Breached passwords and password policy."""
