"""A store's access world: who reads which customers, when and why, with planted insider attacks.

Pure and deterministic per seed, no database: :class:`~.world.AccessWorld` builds a store
(customer ids with a province, orders moving paid -> shipped -> delivered or refunded) and the
principals who work on it, then :meth:`~.world.AccessWorld.events` streams the access events
custody would append (:class:`~shieldwall.core.events.AccessEvent`, the same actions, reasons,
views and ``extra`` keys), one simulated day at a time in time order, so a 1M-customer,
1,000-principal fortnight never sits in memory at once.

Benign behaviour, each with the look-alikes a detector must not confuse with an attack:

- **agents** (teams with day, evening or night shifts and a speciality): tickets opened by the
  ticketing system, or by the agent after finding an inbound caller by phone, or as a call-back
  to an earlier customer; reads of the customer and the order, repeat looks, reveals of the phone
  with a reason, closing the ticket; a few denials (expired tickets, a mistyped id); team surge
  days with twice the tickets.
- **couriers** (in outlets, each outlet serving provinces): the dispatcher assigns the orders that
  reach the outlet, the courier opens each waybill once or twice, a few after delivery; 1% of
  orders are re-routed to a second outlet.
- **analysts**: pseudonymous reads, and pseudonymous exports of thousands of rows.
- **admins** (security team): investigations over dozens to hundreds of related customers with
  a reason, a few reveals, a rare break-glass.
- **partners**: a morning grant of hundreds to thousands of customers, each read once that day.

Planted attacks (:class:`~.attacks.AttackKind`) run from a start time to the end of the world,
on top of the attacker's normal work; :class:`~.attacks.AttackTruth` records who, from when, and
every customer the attack exposed (first exposure time), so an evaluation can count what was
taken before the first alert. Denied attempts expose nothing.

Time runs in local time (UTC+8 by default) from local midnight of ``WorldConfig.start``;
events carry UTC timestamps.

Modules, from the bottom up:

- :mod:`.timing`      time units and the draws of when things happen
- :mod:`.views`       the views custody's default policy serves, as events record them
- :mod:`.store`       customers with a province, orders with their status timeline
- :mod:`.staff`       the principals and how they work (shifts, days off, intensity)
- :mod:`.emitter`     builds events the way custody does and records what attacks expose
- :mod:`.behaviours`  benign work, one function per role and day
- :mod:`.attacks`     the planted attacks, their ground truth and their work
- :mod:`.world`       :class:`~.world.WorldConfig` and :class:`~.world.AccessWorld`, which puts
  them together and streams the events
"""
