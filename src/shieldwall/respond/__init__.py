"""Respond: what the store does after detection.

- :mod:`.cases`         incident cases: a state machine, an owner, a timeline, links
- :mod:`.evidence`      evidence sealed and hashed at receipt, every access audited
- :mod:`.bundle`        evidence bundles exported for, and verified offline by, a third party
- :mod:`.victims`       the victims register: lists matched to customers through blind indexes
  (:mod:`.matching` custody's side, :mod:`.register` the service)
- :mod:`.compensation`  claims and an append-only double-entry ledger in integer fen
  (:mod:`.claims` the desk; :mod:`.money_ports` the storage both need)
- :mod:`.notices`       breach notices (PIPL art. 57, GDPR art. 33/34)
"""
