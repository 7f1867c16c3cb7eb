"""Who leaked, from the customers the scammers reached.

Given the victims of a scam wave (each a customer, when the call came, and what the caller
knew), victim attribution ranks every candidate source in the
:class:`~shieldwall.trace.attribution.exposure.ExposureIndex` (principals and releases) by how
improbable its overlap with the victims would be by chance, then explains the victims greedily.

- :mod:`.input`    the victims CSV, the vocabulary of what a caller knew, and resolving rows to
  customers in custody through a :class:`~.input.CustomerDirectory`
- :mod:`.scoring`  :class:`~.scoring.VictimSetAttribution`: the hypergeometric test, Holm's
  correction and the greedy explanation (pure, no I/O); its docstring states the method
- :mod:`.service`  :class:`~.service.VictimTracer`: resolve, refresh the index, attribute, prove
  the evidence, audit the query; :class:`~.service.VictimReport` and its JSON
"""
