"""Insider watch: custody's access events in, explained and de-duplicated alerts out.

- :class:`.engine.Watch` processes audit records in log order: it learns relationships
  (:mod:`.relations`), explains each access, counts it in the principal's day profile
  (:mod:`.workingset`) and asks every detector (:mod:`.detectors`) for a finding, judged
  against peer and own baselines (:mod:`.peers`) on one score scale (:mod:`.stats`).
- :class:`.alerting.AlertBook` turns findings into one open alert per principal and kind,
  growing with the evidence.
- :class:`.runner.WatchRunner` feeds the watch: catch-up from a durable cursor, or in process on
  every append through a queue and a worker thread, with a lease when several workers share a
  Redis state.
- :mod:`.evidence` proves an alert's audit entries with RFC 6962 inclusion proofs.
- :mod:`.ports` declares what it needs from outside (state, cursor, alert store, audit log).
"""
