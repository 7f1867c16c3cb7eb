"""Releases: every data release recorded in a ledger, marked so a leaked copy names its source.

- :mod:`.service`   :class:`Releases`: create (grant, export file, audit), list, show, canaries
- :mod:`.tardos`    keyed Tardos codewords and the calibrated false-accusation bound
- :mod:`.marks`     equivalent address spellings that carry code bits
- :mod:`.canaries`  synthetic trap customers whose contacts resolve to one release
- :mod:`.exporter`  CSV / JSON / XLSX export files, written atomically
- :mod:`.model`     :class:`Release`, :class:`ReleaseRecord`, :class:`Canary`
- :mod:`.ports`     the storage interface (implemented in ``shieldwall.storage``)
"""
