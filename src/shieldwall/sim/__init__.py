"""The world simulator: synthetic people, orders and behaviour, and the attack scenarios.

:mod:`.people` makes plausible customers (zh_CN names, valid GB 11643 ID numbers, valid CN mobile
numbers, addresses whose province, city and county match the ID's area code). :mod:`.access`
streams a store's access events with planted insider attacks straight into the watch (no
database), for detector benchmarks.

``shieldwall simulate`` (docs/demo.md) plays a whole store against a running shieldwall instead:

- :mod:`.world`   the store: customers, orders over time, teams, outlets, partners (a seed)
- :mod:`.harness` shieldwall's public API (in-process HTTP) and CLI on a fresh home, at
  simulated time
- :mod:`.engine`  the timeline of actions; the security team reading alerts and warning
- :mod:`.benign`  ordinary work with a day-night rhythm
- :mod:`.attacks` one module per planted attack: ``plant`` and ``score``
- :mod:`.truth`   ground truth recorded as the attacks happen
- :mod:`.run`     one simulation end to end, and the scorecard
- :mod:`.report`  the self-contained HTML report with inline SVG charts
"""
