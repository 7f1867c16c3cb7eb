"""Alert delivery: push each new alert (``alert.raised``) and each severity an open alert grows
to (``alert.escalated``) to the receivers an operator configured, off the request path, at least
once: an outbox row per event and sink is written with the alert, so a crash loses nothing.

- :mod:`.ports`     :class:`AlertEvent` (what is pushed, and its idempotency key),
                    :func:`notice_body` (the one JSON document of a push, also what
                    ``shieldwall worker`` publishes to ``<prefix>.alerts``),
                    :class:`AlertSink` (what a receiver implements: ``deliver``, ``close``),
                    :class:`DeliveryOutbox` and :class:`EscalatingAlertStore` (what storage keeps)
- :mod:`.dispatch`  :class:`AlertDispatcher` (a bounded queue and a thread per sink, retries with
                    backoff, the outbox flushed at start and periodically) and
                    :class:`NotifyingAlertStore` (stores the alert, then hands it on)
- :mod:`.webhook`   signed JSON over HTTP (``X-Shieldwall-Signature: t=…,v1=…``)
- :mod:`.syslog`    RFC 5424 over UDP or TCP (RFC 6587 octet counting), CEF inside it
- :mod:`.cef`       ArcSight Common Event Format lines, escaped per the CEF specification
- :mod:`.nats`      a NATS subject (``shieldwall.alerts``)

What leaves is :meth:`~shieldwall.core.alerts.Alert.to_notice`: ids, scores, reasons and counts;
the customer ids an alert names stay behind the authenticated API.
"""
