"""Guard: stop account takeover by credential stuffing.

- :mod:`.passwords`  breached-password corpus (HIBP-compatible), range API, NIST SP 800-63B checks
- :mod:`.risk`       login risk engine: familiarity, velocity, waves; graded responses
"""
