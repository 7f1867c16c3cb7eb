"""The official-contact ledger: proof for a customer that a call or message is really the store.

- :mod:`.numbers`   the store's official numbers, sender ids and e-mail domains; normalization
- :mod:`.ledger`    :class:`Ledger` (register, end, verify, status) and :class:`NumberRegistry`
- :mod:`.status`    what the app shows: ``calling_now``, ``not_us``, ``recent`` or ``none``
- :mod:`.codes`     one-time codes read out by the agent or by the customer, derived not stored
- :mod:`.messages`  short keyed tags that prove an SMS or e-mail came from the store
- :mod:`.ports`     the storage and directory interfaces it needs
"""
