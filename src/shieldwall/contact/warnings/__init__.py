"""Warnings to customers at risk: after a leak or during a scam campaign, warn first those the
scammers will reach first, once, through a pluggable sender.

- :mod:`.priority`    an explainable score: in the leaked set / targeted, recent orders, parcels
                      in transit, recent deliveries and refunds (when "parcel lost" and
                      "refund" scripts strike)
- :mod:`.planner`     :class:`WarningPlanner`: plan (who, in which order, why) and enqueue into
                      the outbox without duplicates
- :mod:`.dispatch`    :class:`Dispatcher`: send due notifications within rate limits, retry
                      with backoff, dead-letter what keeps failing
- :mod:`.senders`     :class:`WebhookSender` (httpx, HMAC-signed) and :class:`SmtpSender`
                      (smtplib); :class:`Recipients` decrypts a phone or e-mail at send time,
                      audited
- :mod:`.templates`   Chinese and English texts that never ask the customer for anything
- :mod:`.sources`     trace results and campaign targets as input
- :mod:`.listing`     :func:`outbox_page`: the outbox a page at a time, newest queued first
"""
