"""Access events built the way custody builds them (actions, reasons, views, ``extra`` keys),
queued in time order, with what each planted attack exposed recorded in its ground truth."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.core.model import OrderStatus, Principal, Role
from shieldwall.sim.access.views import (
    ADMIN_CUSTOMER,
    AGENT_CUSTOMER,
    AGENT_ORDER,
    ALL_CLEAR,
    ANALYST_CUSTOMER,
    ANALYST_ORDER,
    COURIER_ORDER,
    PARTNER_CUSTOMER,
)

if TYPE_CHECKING:
    from shieldwall.sim.access.attacks import AttackTruth
    from shieldwall.sim.access.staff import Staff
    from shieldwall.sim.access.world import AccessWorld


class EventEmitter:
    """Builds events the way custody does and queues them; records what attacks expose."""

    def __init__(
        self,
        world: AccessWorld,
        heap: list[tuple[float, int, AccessEvent]],
        counter: Iterator[int],
        day_start: float,
        end: float,
    ) -> None:
        self.w = world
        self.st = world.store
        self.heap = heap
        self.counter = counter
        self.day_start = day_start
        self.end = end

    def _push(
        self,
        t: float,
        who: Principal,
        action: Action,
        *,
        decision: Decision = Decision.ALLOW,
        reason: str,
        purpose: str | None = None,
        customers: tuple[str, ...] = (),
        orders: tuple[str, ...] = (),
        fields: Mapping[str, str] | None = None,
        ticket: str | None = None,
        extra: Mapping[str, str] | None = None,
        truth: AttackTruth | None = None,
    ) -> None:
        t = max(t, self.day_start)
        if t >= self.end:
            return
        ts = self.w.ts(t)
        event = AccessEvent(
            ts=ts,
            actor=who.principal_id,
            role=who.role.value,
            unit=who.unit,
            action=action,
            decision=decision,
            reason=reason,
            purpose=purpose,
            customer_ids=customers,
            order_ids=orders,
            fields=fields or {},
            ticket_id=ticket,
            extra=extra or {},
        )
        heapq.heappush(self.heap, (t, next(self.counter), event))
        if truth is not None and decision is Decision.ALLOW:
            for c in customers:
                truth.expose(ts, c)

    def cid(self, c: int) -> str:
        return self.st.customer_id(c)

    def status(self, who: Principal, t: float, j: int, status: OrderStatus) -> None:
        self._push(
            t,
            who,
            Action.ORDER_STATUS,
            reason=f"status_{status.value}",
            customers=(self.cid(int(self.st.o_customer[j])),),
            orders=(self.st.order_id(j),),
            extra={"order_status": status.value},
        )

    def assign(self, who: Principal, t: float, j: int, courier: Staff) -> None:
        self._push(
            t,
            who,
            Action.ASSIGN,
            reason="courier_assigned",
            customers=(self.cid(int(self.st.o_customer[j])),),
            orders=(self.st.order_id(j),),
            extra={"courier": courier.pid, "courier_unit": courier.principal.unit or ""},
        )

    def courier_read(
        self,
        courier: Staff,
        t: float,
        j: int,
        *,
        late: bool = False,
        truth: AttackTruth | None = None,
    ) -> None:
        c = self.cid(int(self.st.o_customer[j]))
        o = self.st.order_id(j)
        if late:
            self._push(
                t,
                courier.principal,
                Action.READ,
                decision=Decision.DENY,
                reason="not_assigned",
                purpose="delivery",
                customers=(c,),
                orders=(o,),
            )
            return
        self._push(
            t,
            courier.principal,
            Action.READ,
            reason="via_none" if self.w.config.courier_rule == "open" else "via_assignment",
            purpose="delivery",
            customers=(c,),
            orders=(o,),
            fields=COURIER_ORDER,
            extra={"order_status": self.st.status_at(j, t).value},
            truth=truth,
        )

    def ticket_open(self, who: Principal, t: float, c: int, j: int | None, agent: Principal) -> str:
        tid = f"tkt_{self.w.seed:04d}{next(self.w.tickets):09d}"
        self._push(
            t,
            who,
            Action.TICKET_OPEN,
            reason="ticket_opened",
            customers=(self.cid(c),),
            orders=(self.st.order_id(j),) if j is not None else (),
            ticket=tid,
            extra={
                "agent": agent.principal_id,
                "self_opened": "yes" if who.principal_id == agent.principal_id else "no",
            },
        )
        return tid

    def ticket_close(self, who: Principal, t: float, c: int, tid: str) -> None:
        self._push(
            t,
            who,
            Action.TICKET_CLOSE,
            reason="ticket_closed",
            customers=(self.cid(c),),
            ticket=tid,
        )

    def lookup(
        self,
        who: Principal,
        t: float,
        found: tuple[int, ...] | list[int],
        *,
        by: str,
        truth: AttackTruth | None = None,
    ) -> None:
        self._push(
            t,
            who,
            Action.LOOKUP,
            reason="blind_index_match",
            purpose="after_sales",
            customers=tuple(self.cid(c) for c in found),
            extra={"by": by, "matches": str(len(found))},
            truth=truth,
        )

    def read_customer(
        self,
        who: Principal,
        t: float,
        c: int,
        tid: str | None,
        *,
        deny: bool = False,
        why: str = "no_open_ticket",
        truth: AttackTruth | None = None,
    ) -> None:
        if deny:
            self._push(
                t,
                who,
                Action.READ,
                decision=Decision.DENY,
                reason=why,
                purpose="after_sales",
                customers=(self.cid(c),),
                ticket=tid,
            )
            return
        self._push(
            t,
            who,
            Action.READ,
            reason="via_ticket",
            purpose="after_sales",
            customers=(self.cid(c),),
            fields=AGENT_CUSTOMER,
            ticket=tid,
            truth=truth,
        )

    def read_order(
        self,
        who: Principal,
        t: float,
        j: int,
        tid: str | None,
        *,
        deny: bool = False,
        truth: AttackTruth | None = None,
    ) -> None:
        c = self.cid(int(self.st.o_customer[j]))
        o = self.st.order_id(j)
        if deny:
            self._push(
                t,
                who,
                Action.READ,
                decision=Decision.DENY,
                reason="no_open_ticket",
                purpose="after_sales",
                customers=(c,),
                orders=(o,),
            )
            return
        self._push(
            t,
            who,
            Action.READ,
            reason="via_ticket",
            purpose="after_sales",
            customers=(c,),
            orders=(o,),
            fields=AGENT_ORDER,
            ticket=tid,
            extra={"order_status": self.st.status_at(j, t).value},
            truth=truth,
        )

    def reveal(
        self,
        who: Principal,
        t: float,
        c: int,
        what: str,
        tid: str | None,
        *,
        deny: bool = False,
        truth: AttackTruth | None = None,
    ) -> None:
        purpose = "investigation" if who.role is Role.ADMIN else "after_sales"
        base = "via_none" if who.role is Role.ADMIN else "via_ticket"
        self._push(
            t,
            who,
            Action.REVEAL,
            decision=Decision.DENY if deny else Decision.ALLOW,
            reason="field_not_revealable" if deny else f"{base},reveal_with_reason",
            purpose=purpose,
            customers=(self.cid(c),),
            fields={what: "clear"},
            ticket=tid,
            extra={"reason_given": "yes", "reason_length": "24"},
            truth=truth,
        )

    def analyst_read(self, who: Principal, t: float, c: int, j: int | None) -> None:
        self._push(
            t,
            who,
            Action.READ,
            reason="via_none",
            purpose="analytics",
            customers=(self.cid(c),),
            orders=(self.st.order_id(j),) if j is not None else (),
            fields=ANALYST_ORDER if j is not None else ANALYST_CUSTOMER,
            extra={"order_status": self.st.status_at(j, t).value} if j is not None else None,
        )

    def admin_read(
        self, who: Principal, t: float, c: int, j: int | None, truth: AttackTruth | None = None
    ) -> None:
        self._push(
            t,
            who,
            Action.READ,
            reason="via_none",
            purpose="investigation",
            customers=(self.cid(c),),
            orders=(self.st.order_id(j),) if j is not None else (),
            fields=ADMIN_CUSTOMER,
            extra={"order_status": self.st.status_at(j, t).value} if j is not None else None,
            truth=truth,
        )

    def break_glass(self, who: Principal, t: float, c: int, *, truth: AttackTruth | None) -> None:
        self._push(
            t,
            who,
            Action.BREAK_GLASS,
            reason="break_glass",
            purpose="investigation",
            customers=(self.cid(c),),
            fields=ALL_CLEAR,
            truth=truth,
        )

    def export(
        self,
        who: Principal,
        t: float,
        ids: list[int],
        fields: Mapping[str, str],
        *,
        truth: AttackTruth | None,
        release: str = "",
    ) -> None:
        self._push(
            t,
            who,
            Action.EXPORT,
            reason="export",
            purpose="analytics" if who.role is Role.ANALYST else "investigation",
            customers=tuple(self.cid(c) for c in ids),
            fields=fields,
            extra={"rows": str(len(ids)), "release": release},
            truth=truth,
        )

    def grant(
        self, who: Principal, t: float, partner: Principal, ids: list[int], release: str
    ) -> None:
        self._push(
            t,
            who,
            Action.GRANT,
            reason="release_grant",
            customers=tuple(self.cid(c) for c in ids),
            fields={"address": "granted", "name": "granted", "phone": "granted"},
            extra={"partner": partner.principal_id, "release": release},
        )

    def partner_read(self, who: Principal, t: float, c: int) -> None:
        self._push(
            t,
            who,
            Action.READ,
            reason="via_grant",
            purpose="partner_fulfilment",
            customers=(self.cid(c),),
            fields=PARTNER_CUSTOMER,
        )
