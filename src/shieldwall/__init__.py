"""shieldwall: protect an online store's customers from data leaks and the scams that follow them.

Packages, one per capability, over a small pure core:

- ``core``     pure domain types, errors, clock and ids (imports nothing of ours)
- ``custody``  encrypted, purpose-bound customer-data vault
- ``audit``    append-only Merkle log of every access, signed checkpoints, proofs
- ``guard``    breached passwords, password policy, login risk
- ``trace``    insider watch, releases and fingerprints, attribution
- ``contact``  official-contact ledger, scam reports and scoring, lookalike domains, warnings
- ``storage``  SQLAlchemy tables, migrations and repositories; counters (memory, Redis)
- ``api``/``cli`` the HTTP and command-line edges
"""

__version__ = "0.1.0"
