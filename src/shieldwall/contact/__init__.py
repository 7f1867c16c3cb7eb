"""Contact: defeat the fake "after-sales service".

- :mod:`.domains`  lookalike-domain detection for protected brands
- :mod:`.scam`     scam reports, indicators, campaigns, script scoring
"""
