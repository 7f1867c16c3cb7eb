"""Where an address is on the map of networks: its country and its autonomous system's name.

:class:`NetworkLocator` is what the risk engine asks; :class:`NoLocation` (knows nothing: the
engine then has no country and no AS name) is the default, :class:`GeoIP2FastLocator` answers
from the offline database that the ``geoip2fast`` package ships in its wheel/sdist (its own
compact copy of MaxMind's GeoLite2 Country and ASN data, CC BY-SA 4.0: "This product includes
GeoLite2 data created by MaxMind, available from https://www.maxmind.com"). Nothing is fetched
at run time: the locator reads the package's data file and never calls the package's updater.
Install it with the ``geo`` extra (``pip install 'shieldwall[geo]'``); the data file is about
3 MiB compressed and takes about 100 MiB of memory once loaded (IPv4 and IPv6).

The package stores the AS *name* (``GOOGLE``, ``CLOUDFLARENET``), not its number; the engine
keeps its AS numbers from :class:`~.network.AsnTable` and uses the name only as the network's
identity for the ``new_network`` signal.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol

from shieldwall.guard.risk.errors import LocatorError

# the package's file with country and ASN, IPv4 and IPv6 (``geoip2fast-asn.dat.gz``: IPv4 only)
GEOIP2FAST_FILE = "geoip2fast-asn-ipv6.dat.gz"
GEOIP2FAST_FILE_V4 = "geoip2fast-asn.dat.gz"


@dataclass(frozen=True, slots=True)
class Location:
    """``country``: ISO 3166-1 alpha-2 code; ``as_name``: the AS organisation's name. Each is
    None when unknown (a private or reserved address, a network the database lacks)."""

    country: str | None = None
    as_name: str | None = None


UNKNOWN = Location()


class NetworkLocator(Protocol):
    def locate(self, ip: str) -> Location:
        """The location of ``ip`` (a canonical IPv4 or IPv6 address); never raises for a valid
        address: an unknown one is :data:`UNKNOWN` or has None fields."""
        ...


class NoLocation:
    """Knows no address: every one is :data:`UNKNOWN` (the engine's default)."""

    def locate(self, ip: str) -> Location:
        return UNKNOWN


_LOADED: dict[str, Any] = {}
_LOCK = threading.Lock()


def _geoip2fast(data_file: str) -> Any:
    """The package's reader over ``data_file``, loaded once per process. The package keeps its
    tables in module globals, so only one data file can be live at a time: a second, different
    one is refused rather than silently replacing the first."""
    with _LOCK:
        if data_file in _LOADED:
            return _LOADED[data_file]
        if _LOADED:
            raise LocatorError("geoip2fast holds one data file per process; one is loaded")
        try:
            from geoip2fast import GeoIP2Fast  # noqa: PLC0415 (optional extra, loaded on use)
        except ImportError:
            raise LocatorError(
                "the geoip2fast package is not installed (pip install 'shieldwall[geo]')"
            ) from None
        try:
            reader = GeoIP2Fast(verbose=False, geoip2fast_data_file=data_file)
        except Exception as exc:  # the package raises bare Exception and its own error types
            raise LocatorError(f"cannot load {data_file}: {type(exc).__name__}") from None
        _LOADED[data_file] = reader
        return reader


class GeoIP2FastLocator:
    """Country and AS name from the ``geoip2fast`` package's shipped GeoLite2-derived data."""

    def __init__(self, *, ipv6: bool = True) -> None:
        self._reader = _geoip2fast(GEOIP2FAST_FILE if ipv6 else GEOIP2FAST_FILE_V4)

    def locate(self, ip: str) -> Location:
        got = self._reader.lookup(ip)
        if got.is_private:
            return UNKNOWN  # private and reserved ranges: the package names them IANA.ORG
        country = got.country_code
        # the package answers "--" (private/reserved), "<not found>" codes and the like in the
        # country field; only a two-letter code is a country
        cc = (
            country
            if isinstance(country, str) and len(country) == 2 and country.isalpha()
            else None
        )
        name = got.asn_name if isinstance(got.asn_name, str) and got.asn_name else None
        if cc is None and name is None:
            return UNKNOWN
        return Location(cc.upper() if cc else None, name)
