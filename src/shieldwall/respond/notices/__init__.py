"""Breach notification: the notices PIPL art. 57 and GDPR art. 33/34 require, who was notified
when and how, and the deadline clock from discovery.

- :mod:`.model`      regimes, audiences, languages, channels; exposures; notification records
- :mod:`.catalogue`  the bilingual texts notices are built from (kinds, causes, harms, measures)
- :mod:`.deadlines`  the deadline clock: elapsed, due, remaining or overdue (pure)
- :mod:`.content`    what one notice says, built from the case's facts (pure)
- :mod:`.letters`    Jinja2 templates rendered to HTML
- :mod:`.pdf`        the same HTML laid out as PDF with reportlab (CJK through STSong-Light)
- :mod:`.ports`      what the service needs from outside (storage, exposures, names)
- :mod:`.service`    drafting, rendering and recording notices, audited
"""
