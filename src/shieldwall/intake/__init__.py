"""Event intake: the store's events in bulk, from NATS JetStream or batch HTTP calls.

The store's systems publish login attempts and outcomes (to guard's risk engine), record reads
done in their own systems (to the audit log and the insider watch) and scam reports (to
contact) instead of calling shieldwall once per event. Each event carries an ``event_id``;
processing is idempotent by it (see :mod:`.service` for exactly what that covers).

- :mod:`.events`    the event schemas (pydantic; msgspec structs for the streamed login kinds)
                    and :func:`~.events.parse_event`
- :mod:`.subjects`  subject names and the insider-watch partition of a principal
- :mod:`.service`   :class:`~.service.Intake`: a batch of events in, one result per event out
- :mod:`.ports`     what the intake needs from storage (:class:`~.ports.ProcessedEvents`)
- :mod:`.worker`    ``shieldwall worker``: durable pull consumers, decisions and alerts out
- :mod:`.watchfeed` the audit log relayed to the insider-watch partitions, and their consumer
"""
