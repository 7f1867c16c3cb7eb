"""Trace: catch insiders harvesting records as it happens, and say who leaked when data leaks.

- :mod:`.watch`        insider watch: detectors over custody's access events, explained alerts
- :mod:`.releases`     release ledger, canary customers, embedded marks, Tardos codewords
- :mod:`.attribution`  who leaked: from a leaked file, or from a list of victims
"""
