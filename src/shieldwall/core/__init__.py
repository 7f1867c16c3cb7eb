"""The pure core: domain types, errors, clock and ids shared by every capability.

Nothing here performs I/O or imports another shieldwall package.
"""
