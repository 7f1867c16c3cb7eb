"""Lookalike-domain errors, under :class:`shieldwall.contact.errors.ContactError`::

    ContactError
    └── DomainError
        ├── InvalidObservedName   one input line is not a domain or URL we can judge
        └── BrandsFileError       the protected-brands file is missing, unparsable or invalid

``InvalidObservedName`` is raised per line and reported beside that line; a scan goes on.
"""

from __future__ import annotations

from shieldwall.contact.errors import ContactError


class DomainError(ContactError):
    code = "domain_error"


class InvalidObservedName(DomainError):
    """An observed line is not a domain name or URL: the reason says which rule it broke."""

    code = "invalid_domain"


class BrandsFileError(DomainError):
    """The brands file cannot be used: ``field`` names the offending entry."""

    code = "invalid_brands_file"
