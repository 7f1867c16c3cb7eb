"""The views custody's default policy serves (see custody/default_policy.yaml), as the access
events of each role record them in ``fields``."""

from __future__ import annotations

_M, _C, _H = "masked", "clear", "hidden"
AGENT_CUSTOMER = {"name": _M, "phone": _M, "email": _M, "address": _M, "national_id": _H}
AGENT_ORDER = AGENT_CUSTOMER | {
    "items": _C,
    "delivery_address": _M,
    "amount": _C,
    "status": _C,
}
COURIER_ORDER = {
    "name": _M,
    "phone": "relay",
    "email": _H,
    "address": _H,
    "national_id": _H,
    "items": _H,
    "delivery_address": _C,
    "amount": _H,
    "status": _C,
}
PSEUDO = "pseudonym"
ANALYST_CUSTOMER = {
    "name": PSEUDO,
    "phone": PSEUDO,
    "email": PSEUDO,
    "address": _M,
    "national_id": _H,
}
ANALYST_ORDER = ANALYST_CUSTOMER | {
    "items": _C,
    "delivery_address": _M,
    "amount": _C,
    "status": _C,
}
ADMIN_CUSTOMER = {"name": _M, "phone": _M, "email": _M, "address": _M, "national_id": _M}
PARTNER_CUSTOMER = {"name": _C, "phone": _C, "email": _H, "address": _C, "national_id": _H}
ALL_CLEAR = dict.fromkeys(("name", "phone", "email", "address", "national_id"), _C)
ADMIN_EXPORT = {"name": _M, "phone": _M, "address": _M}
ANALYST_EXPORT = {"name": PSEUDO, "phone": PSEUDO, "address": _M}
