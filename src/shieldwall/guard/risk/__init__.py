"""The login risk engine: credential stuffing seen before the password is checked.

- :mod:`.model`      :class:`LoginAttempt`, :class:`Assessment` (decision, score, reasons, delay)
- :mod:`.engine`     :class:`RiskEngine`: familiarity (Freeman et al.), velocity per source,
                     account, device and password, breached passwords, the NIST failure cap
- :mod:`.breach`     :func:`tweaks` of a leaked password, :func:`read_combos` (combo lists)
- :mod:`.wave`       :class:`WaveDetector`: platform failure rates against a median/MAD baseline
- :mod:`.network`    :class:`AsnTable`: IP ranges to autonomous systems, /24 and /64 subnets
- :mod:`.location`   :class:`NetworkLocator`: country and AS name (geoip2fast's shipped data)
- :mod:`.ports`      :class:`RiskState`: the decayed counters (memory or Redis, in storage/)
- :mod:`.history`    :class:`DecisionHistory`: decisions per hour and accounts under attack,
                     bounded, for the console (memory or Redis, in storage/)
- :mod:`.replay`     a login log through the engine in time order
- :mod:`.baselines`  a per-address leaky bucket and a per-account counter, for comparison
"""
