"""The composition root: builds every service from :class:`Settings` for the API and the CLI.

Nothing else constructs storage objects; capabilities receive them through their interfaces.
:func:`build` (in ``root``) assembles :class:`Services` from one builder module per capability:

- ``custody``: the KEK provider, keyring and vault (:class:`Custody`);
- ``audit``: the Merkle log and its checkpoint publishers;
- ``guard``: breached passwords and login risk (:class:`GuardPasswords`);
- ``trace``: insider watch, releases, file and victim attribution;
- ``contact``: contact ledger and warnings, scam reports, scorer, lookalike domains;
- ``respond``: incident cases and evidence, victims register and claims;
- ``intake``: the event intake and partitioned watch over assembled services;
- ``state``: memory or Redis state (the ``redis`` extra is imported only when chosen);
- ``bootstrap``: :func:`initialize` (``shieldwall init``).
"""

from shieldwall.wiring.audit import witness_file
from shieldwall.wiring.bootstrap import InitReport, initialize
from shieldwall.wiring.contact import ContactLedger, domain_scanner, scam_scorer
from shieldwall.wiring.custody import Custody, key_provider
from shieldwall.wiring.guard import (
    RISK_TAG_PURPOSE,
    CustodyCustomerContext,
    GuardPasswords,
    asn_table,
    asn_table_path,
    build_passwords,
    risk_engine,
)
from shieldwall.wiring.intake import build_intake, partition_watch
from shieldwall.wiring.respond import RespondCases, RespondMoney
from shieldwall.wiring.root import Services, build
from shieldwall.wiring.state import lookup_log, risk_state, watch_state
from shieldwall.wiring.trace import CustodyVictimDirectory

__all__ = [
    "RISK_TAG_PURPOSE",
    "ContactLedger",
    "Custody",
    "CustodyCustomerContext",
    "CustodyVictimDirectory",
    "GuardPasswords",
    "InitReport",
    "RespondCases",
    "RespondMoney",
    "Services",
    "asn_table",
    "asn_table_path",
    "build",
    "build_intake",
    "build_passwords",
    "domain_scanner",
    "initialize",
    "key_provider",
    "lookup_log",
    "partition_watch",
    "risk_engine",
    "risk_state",
    "scam_scorer",
    "watch_state",
    "witness_file",
]
