"""Alert delivery: push each new alert to the receivers an operator configured, off the
request path.

- :mod:`.ports`     :class:`AlertSink`, what a receiver implements (``deliver``, ``close``)
- :mod:`.dispatch`  :class:`AlertDispatcher` (a bounded queue and a thread per sink, retries with
                    backoff) and :class:`NotifyingAlertStore` (stores the alert, then hands it on)
- :mod:`.webhook`   signed JSON over HTTP (``X-Shieldwall-Signature: t=…,v1=…``)
- :mod:`.syslog`    RFC 5424 over UDP or TCP (RFC 6587 octet counting), CEF inside it
- :mod:`.cef`       ArcSight Common Event Format lines, escaped per the CEF specification
- :mod:`.nats`      a NATS subject (``shieldwall.alerts``)

What leaves is :meth:`~shieldwall.core.alerts.Alert.to_notice`: ids, scores, reasons and counts;
the customer ids an alert names stay behind the authenticated API.
"""
