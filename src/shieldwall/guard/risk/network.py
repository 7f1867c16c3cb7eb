"""Where a login comes from: address, /24 (IPv4) or /64 (IPv6) subnet, and autonomous system.

:class:`AsnTable` maps an address to ``(asn, name)`` from a table of ranges
(``start_ip,end_ip,asn,name`` CSV, as the free IP-to-ASN databases publish it, e.g. iptoasn.com's
``ip2asn`` files once tab is replaced by comma). Lookups are a binary search over sorted range
starts, one array per address family. Overlapping ranges are refused at load time.
"""

from __future__ import annotations

import csv
import io
import ipaddress
from bisect import bisect_right
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from shieldwall.guard.risk.errors import AsnTableError, InvalidAttempt

SAMPLE = "asn-sample.csv"
UNKNOWN_ASN = 0


@dataclass(frozen=True, slots=True)
class Origin:
    ip: str  # canonical text form
    subnet: str  # "198.51.100.0/24" or "2001:db8:1:2::/64"
    asn: int  # 0 when no range holds the address
    version: int


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address in ``text``; an IPv4-mapped IPv6 address as its IPv4 address. A zone id
    (``fe80::1%eth0``, RFC 4007) names an interface on the client's host: refused."""
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        raise InvalidAttempt("is not an IPv4 or IPv6 address", field="ip") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id is not None:
        raise InvalidAttempt("is not an IPv4 or IPv6 address (no zone id)", field="ip")
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


class AsnTable:
    """Sorted, non-overlapping address ranges, each with an AS number and name."""

    def __init__(self, rows: list[tuple[int, int, int, int, str]]) -> None:
        # rows: (version, start, end, asn, name)
        self._starts: dict[int, list[int]] = {4: [], 6: []}
        self._ends: dict[int, list[int]] = {4: [], 6: []}
        self._asns: dict[int, list[int]] = {4: [], 6: []}
        self.names: dict[int, str] = {}
        for version, start, end, asn, name in sorted(rows):
            ends = self._ends[version]
            if ends and start <= ends[-1]:
                raise AsnTableError("ranges overlap", field="start_ip")
            self._starts[version].append(start)
            ends.append(end)
            self._asns[version].append(asn)
            self.names.setdefault(asn, name)

    def __len__(self) -> int:
        return len(self._starts[4]) + len(self._starts[6])

    def asn_of(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int:
        return self.asn_of_value(addr.version, int(addr))

    def asn_of_value(self, version: int, value: int) -> int:
        """The AS of the address ``value`` of IP ``version`` (4 or 6); 0 when none."""
        i = bisect_right(self._starts[version], value) - 1
        if i >= 0 and value <= self._ends[version][i]:
            return self._asns[version][i]
        return UNKNOWN_ASN

    def origin(self, ip: str) -> Origin:
        addr = parse_ip(ip)
        prefix = 24 if addr.version == 4 else 64
        net = ipaddress.ip_network(f"{addr}/{prefix}", strict=False)
        return Origin(str(addr), str(net), self.asn_of(addr), addr.version)

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, source: str = "table") -> AsnTable:
        """Parse ``start_ip,end_ip,asn,name`` lines (a header line and ``#`` comments allowed).

        Raises :class:`AsnTableError` naming the source and line of the first bad row.
        """
        rows: list[tuple[int, int, int, int, str]] = []
        reader = csv.reader(io.StringIO(text))
        for lineno, row in enumerate(reader, 1):
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            if lineno == 1 and row[0].strip().lower() in ("start_ip", "range_start"):
                continue
            where = f"{source}:{lineno}"
            if len(row) < 3:
                raise AsnTableError(f"{where}: expected start_ip,end_ip,asn[,name]")
            try:
                start = ipaddress.ip_address(row[0].strip())
                end = ipaddress.ip_address(row[1].strip())
            except ValueError:
                raise AsnTableError(f"{where}: not an IP address", field="start_ip") from None
            if start.version != end.version or int(end) < int(start):
                raise AsnTableError(f"{where}: end_ip before start_ip or another family")
            asn_text = row[2].strip().upper().removeprefix("AS")
            if not asn_text.isdigit() or not 0 <= int(asn_text) < 2**32:
                raise AsnTableError(f"{where}: asn is not a number", field="asn")
            name = row[3].strip() if len(row) > 3 else ""
            rows.append((start.version, int(start), int(end), int(asn_text), name[:120]))
        try:
            return cls(rows)
        except AsnTableError as exc:
            raise AsnTableError(f"{source}: {exc.reason}", field=exc.field) from None

    @classmethod
    def load(cls, path: Path | None) -> AsnTable:
        """The table at ``path``, or the packaged sample when ``path`` is None."""
        if path is None:
            text = resources.files(__package__).joinpath("data", SAMPLE).read_text("utf-8")
            return cls.parse(text, SAMPLE)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AsnTableError(f"cannot read {path.name}: {type(exc).__name__}") from None
        return cls.parse(text, path.name)
