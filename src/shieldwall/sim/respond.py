"""The security team after detection (``simulate --respond``): cases, evidence, containment,
warnings, notification and compensation, all through shieldwall's respond API and CLI.

:class:`Responder` acts at simulated times, as a team would:

- **an alert** (high or critical, on a member of staff or a partner) opens a case from the alert
  (``POST /v1/cases``), which goes to ``investigating``; the alert with its audit entries and
  their inclusion proofs is attached as an ``audit_export`` item; the principal is linked with
  ``suspend`` (custody's suspend machinery: containment) with the customers the alert names, and
  the case moves to ``contained``;
- **a leaked file traced** (``POST /v1/trace/file``) opens a ``leak_trace`` case from the
  attribution's audit entry, attaches the file (``leaked_file``), suspends the accused partners,
  links their releases as revoked and the released customers as affected: ``contained``;
- **a victims' list traced** (``POST /v1/trace/victims``) opens a ``victims_trace`` case,
  attaches the list (``victims_list``) and the proven evidence (``audit_export``), registers the
  victims (matched to customers through the blind indexes, losses from the list), suspends the
  sources it names, and warns the victims with ``shieldwall warn plan --case``;
- **a scam campaign** of three reports or more opens a ``scam_campaign`` case and warns the
  customers it reached (``warn plan --campaign``); there is no principal to suspend, so a scam
  case is never ``contained`` here (taking the lookalike domains down is not shieldwall's);
- **notification**: :data:`NOTICE_AFTER` after a case is contained the team notifies the people
  affected. What a notice is belongs to the breach-notice work (respond point 6); here a
  :class:`NoticeHook` records who would be notified and when, and the case moves to
  ``notified`` through the case state machine. Replace :class:`RecordNotices` to send real ones;
- **claims**: a customer the scam deceived (the simulation's ground truth, with a loss drawn per
  customer) comes forward :data:`CLAIM_AFTER` later. The store files the claim in the case that
  names the customer, else the scam campaign's case, else a manual case for the scam's losses:
  the customer is registered as a victim with the loss and confirmed, the transfer record
  attached as evidence, and the claim submitted by the store app (``POST /v1/claims``). At the
  team's next sitting the claim is reviewed, approved for the amount claimed and paid in full
  through the ledger. Liability is settled when the case's leaker is the store's own staff (the
  store answers for its staff); otherwise (a partner, or nobody named yet) the claim is approved
  as an advance payment (先行赔付) to be recovered.

Times are the simulated clock's. Customers appear in entries and in the scorecard by id only.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from shieldwall.sim.world import ADMIN, APP, SERVICES

if TYPE_CHECKING:
    from shieldwall.sim.engine import Play

NOTICE_AFTER = timedelta(hours=4)  # containment to notices sent: the team's drafting time
CLAIM_AFTER = timedelta(hours=18)  # deceived to claim: the customer finds out and calls
CAMPAIGN_SIZE = 3
SUSPEND_SEVERITIES = ("high", "critical")
STAFF_ROLES = ("agent", "courier", "analyst")  # the store answers for these (not partners)


@dataclass
class CaseRun:
    """One case as the team worked it: what it opened from and when each state was reached."""

    case_id: str
    source: str
    ref: str | None
    opened_at: datetime
    principals: list[str] = field(default_factory=list)
    customers: set[str] = field(default_factory=set)
    evidence: list[str] = field(default_factory=list)
    contained_at: datetime | None = None
    notified_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "source": self.source,
            "ref": self.ref,
            "opened_at": self.opened_at.isoformat(),
            "contained_at": None if self.contained_at is None else self.contained_at.isoformat(),
            "notified_at": None if self.notified_at is None else self.notified_at.isoformat(),
            "principals": list(self.principals),
            "customers_affected": len(self.customers),
            "evidence": len(self.evidence),
        }


@dataclass
class ClaimRun:
    """A deceived customer's claim: its case, amount and what became of it."""

    customer_id: str
    case_id: str
    claim_id: str
    amount_fen: int
    advance: bool
    submitted_at: datetime
    paid_at: datetime | None = None
    paid_fen: int = 0


class NoticeHook(Protocol):
    """What happens when a case's people are notified (the breach notices of respond point 6
    plug in here); returns what was recorded."""

    def __call__(self, play: Play, case: CaseRun) -> dict[str, Any]: ...


@dataclass
class RecordNotices:
    """Records who would be notified and when; sends nothing (a build without the notices
    routes)."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, play: Play, case: CaseRun) -> dict[str, Any]:
        record = {
            "case_id": case.case_id,
            "at": play.now.isoformat(),
            "people": len(case.customers),
            "sent": False,
            "moved_to_notified": False,
        }
        self.records.append(record)
        return record


# What the simulated team declares in every notice: the scam calls quote the customer's name
# and phone, whatever else the case's own records show (shieldwall adds those kinds itself).
NOTICE_KINDS = ["name", "phone"]
NOTICE_MEASURES = ["customers_warned", "compensation_offered"]


@dataclass
class PiplNotices(RecordNotices):
    """Records the PIPL art. 57 notices through shieldwall's notices API at simulated time: the
    authority's (which moves a contained case to ``notified``) and one to each affected person."""

    def __call__(self, play: Play, case: CaseRun) -> dict[str, Any]:
        path = f"/v1/cases/{case.case_id}/notices"
        common = {
            "regime": "pipl",
            "language": "zh-CN",
            "kinds": NOTICE_KINDS,
            "measures": NOTICE_MEASURES,
            "notified_at": play.now.isoformat(),
        }
        h = play.harness
        authority = h.post(path, ADMIN, {**common, "audience": "authority", "channel": "portal"})
        people = 0
        if case.customers:
            body = {**common, "audience": "person", "channel": "sms", "all_affected": True}
            persons = h.post(path, ADMIN, body)
            people = len(persons.body["records"])
        record = {
            "case_id": case.case_id,
            "at": play.now.isoformat(),
            "people": people,
            "sent": True,
            "moved_to_notified": bool(authority.body["moved_to_notified"]),
        }
        self.records.append(record)
        return record


def loss_fen(seed: int, customer_id: str) -> int:
    """What a deceived customer lost, in fen: whole yuan from 500 to 30 000, drawn from its own
    stream (seed and customer) so it changes no other draw of the simulation."""
    return random.Random(f"loss:{seed}:{customer_id}").randint(500, 30_000) * 100


@dataclass
class Responder:
    play: Play
    notices: NoticeHook = field(default_factory=RecordNotices)
    cases: list[CaseRun] = field(default_factory=list)
    by_alert: dict[str, CaseRun] = field(default_factory=dict)
    by_principal: dict[str, CaseRun] = field(default_factory=dict)
    by_campaign: dict[str, CaseRun] = field(default_factory=dict)
    claims: dict[str, ClaimRun] = field(default_factory=dict)  # customer -> claim
    to_decide: list[ClaimRun] = field(default_factory=list)
    scam_losses: CaseRun | None = None

    # -- the team's sitting (every review) ----------------------------------------------------

    def sitting(self, alerts: Iterable[dict[str, Any]]) -> None:
        """What the team does each time it looks: alerts, campaigns, due notices, claims."""
        for alert in alerts:
            self.alert(alert)
        self.campaigns()
        self.notify_due()
        self.decide_claims()
        self.take_claims()

    # -- sources --------------------------------------------------------------------------------

    def alert(self, alert: dict[str, Any]) -> None:
        pid = alert["principal_id"]
        if pid == ADMIN or pid in SERVICES or alert["severity"] not in SUSPEND_SEVERITIES:
            return
        if alert["alert_id"] in self.by_alert:
            return
        case = self.by_principal.get(pid)
        if case is None:
            case = self.open("alert", alert["alert_id"])
            detail = self.play.harness.get(f"/v1/alerts/{alert['alert_id']}", ADMIN).body
            self.attach(case, "audit_export", _json_bytes(detail["evidence"]), "application/json")
        self.by_alert[alert["alert_id"]] = case
        self.contain(case, principals=[pid], customers=alert["customer_ids"])

    def leak_traced(
        self, report: dict[str, Any], leak: bytes, released: dict[str, tuple[str, list[str]]]
    ) -> None:
        """A leaked file traced: ``released`` maps a partner to its release and customers."""
        if report.get("audit_seq") is None:
            return
        case = self.open("leak_trace", str(report["audit_seq"]))
        self.attach(case, "leaked_file", leak, "text/csv", name="leak.csv")
        accused = [p for p in report["accused"] if p in released]
        self.contain(
            case,
            principals=accused,
            releases=[released[p][0] for p in accused],
            customers=[c for p in accused for c in released[p][1]],
        )

    def victims_traced(self, report: dict[str, Any], victims: list[dict[str, Any]]) -> None:
        """A victims' list traced: ``victims`` are its rows (phone, called_at, knew, loss_fen)."""
        seq = report.get("audit_seq")
        if seq is None:
            return
        case = self.open("victims_trace", str(seq))
        self.attach(case, "victims_list", _csv_bytes(victims), "text/csv", name="victims.csv")
        evidence = [s["evidence"] for s in report.get("sources", []) if s.get("evidence")]
        if evidence:
            self.attach(case, "audit_export", _json_bytes(evidence), "application/json")
        rows = [{"phone": v["phone"], "loss_fen": v.get("loss_fen") or 0} for v in victims]
        registered = self.play.harness.post(
            "/v1/victims:import",
            ADMIN,
            {"case_id": case.case_id, "source": "trace", "trace_ref": str(seq), "rows": rows},
        ).body
        matched = [v["customer_id"] for v in registered["victims"] if v["customer_id"]]
        principals: list[str] = []
        releases: list[str] = []
        for source in report.get("sources", []):
            if source.get("partner"):  # a release: its partner, and the release revoked
                principals.append(source["partner"])
                releases.append(source["id"])
            elif source["id"] in self.play.harness.keys and source["id"] not in SERVICES:
                principals.append(source["id"])
        self.contain(case, principals=principals, releases=releases, customers=matched)
        self.play.warn_plan(["--case", case.case_id], f"case-{case.case_id}")

    def campaigns(self) -> None:
        h = self.play.harness
        for c in h.get_all("/v1/scam/campaigns", ADMIN):
            cid = c["campaign_id"]
            if cid in self.by_campaign or c["size"] < CAMPAIGN_SIZE:
                continue
            case = self.open("scam_campaign", cid)
            self.by_campaign[cid] = case
            reached = h.get_all(f"/v1/scam/campaigns/{cid}/victims", ADMIN)
            self.contain(case, customers=[v["customer_id"] for v in reached])
            self.play.warn_plan(["--campaign", cid], f"campaign-{cid}")

    # -- case steps -----------------------------------------------------------------------------

    def open(self, source: str, ref: str | None) -> CaseRun:
        h = self.play.harness
        body = {"source": source, "source_ref": ref, "owner_id": ADMIN}
        made = h.post("/v1/cases", ADMIN, body).body
        h.post(f"/v1/cases/{made['case_id']}/transition", ADMIN, {"to": "investigating"})
        case = CaseRun(made["case_id"], source, ref, self.play.now)
        self.cases.append(case)
        self.play.note("respond", f"case {case.case_id} opened from {source} {ref or ''}".strip())
        return case

    def attach(
        self, case: CaseRun, kind: str, content: bytes, media: str, name: str | None = None
    ) -> str:
        params = {"kind": kind, **({"name": name} if name else {})}
        record = self.play.harness.call(
            "POST",
            f"/v1/cases/{case.case_id}/evidence",
            ADMIN,
            content=content,
            params=params,
            headers={"Content-Type": media},
        ).body
        case.evidence.append(record["evidence_id"])
        return str(record["evidence_id"])

    def contain(
        self,
        case: CaseRun,
        *,
        principals: Iterable[str] = (),
        releases: Iterable[str] = (),
        customers: Iterable[str] = (),
    ) -> None:
        """Suspend and link the principals, link releases and customers; the case is contained
        once a principal or a release is linked (the leak's source is shut off)."""
        h = self.play.harness
        fresh = sorted(set(principals) - set(case.principals))
        rels = sorted(set(releases))
        new_customers = sorted(set(customers) - case.customers)
        if not (fresh or rels or new_customers):
            return
        body = {
            "principal_ids": fresh,
            "release_ids": rels,
            "customer_ids": new_customers,
            "suspend": any(p not in h.suspended for p in fresh),
        }
        h.post(f"/v1/cases/{case.case_id}/links", ADMIN, body)
        for pid in fresh:
            case.principals.append(pid)
            self.by_principal.setdefault(pid, case)
            if pid not in h.suspended:
                h.suspended.add(pid)
                self.play.suspended_at[pid] = self.play.now
                self.play.note("respond", f"suspended {pid} in case {case.case_id}")
        case.customers.update(new_customers)
        if case.contained_at is None and (case.principals or rels):
            h.post(f"/v1/cases/{case.case_id}/transition", ADMIN, {"to": "contained"})
            case.contained_at = self.play.now

    def notify_due(self) -> None:
        for case in self.cases:
            contained = case.contained_at
            due = contained is not None and contained + NOTICE_AFTER <= self.play.now
            if due and case.notified_at is None:
                if not self.notices(self.play, case)["moved_to_notified"]:
                    self.play.harness.post(
                        f"/v1/cases/{case.case_id}/transition", ADMIN, {"to": "notified"}
                    )
                case.notified_at = self.play.now
                self.play.note("respond", f"case {case.case_id}: {len(case.customers)} notified")

    # -- claims ---------------------------------------------------------------------------------

    def take_claims(self) -> None:
        """Deceived customers whose time has come file their claims."""
        scam = self.play.truths.get("scam")
        if scam is None:
            return
        now = self.play.now
        for row in scam.facts["contacts"]:
            cid = row["customer_id"]
            if not row["deceived"] or cid in self.claims or row["at"] + CLAIM_AFTER > now:
                continue
            self.file_claim(cid, row["loss_fen"])

    def case_for(self, customer_id: str) -> CaseRun:
        for case in self.cases:
            if case.source != "scam_campaign" and customer_id in case.customers:
                return case
        if self.by_campaign:
            return next(iter(self.by_campaign.values()))
        if self.scam_losses is None:
            self.scam_losses = self.open("manual", None)
        return self.scam_losses

    def settled(self, case: CaseRun) -> bool:
        """Liability is settled when the case names one of the store's own staff."""
        w = self.play.world
        roles = {s.principal_id: s.role for s in (*w.agents, *w.couriers, *w.analysts)}
        return any(roles.get(p) in STAFF_ROLES for p in case.principals)

    def file_claim(self, customer_id: str, amount: int) -> None:
        h = self.play.harness
        case = self.case_for(customer_id)
        row = {"customer_id": customer_id, "loss_fen": amount}
        body = {"case_id": case.case_id, "source": "customer", "rows": [row], "strict": True}
        registered = h.post("/v1/victims:import", ADMIN, body).body
        for v in registered["victims"]:
            h.post(f"/v1/victims/{v['victim_id']}/status", ADMIN, {"status": "confirmed"})
        record = (
            f"transfer record: {amount} fen to an account named by the caller,"
            f" {self.play.now.isoformat()}"
        ).encode()
        evidence = self.attach(case, "screenshot", record, "text/plain", name="transfer.txt")
        claim_body = {
            "case_id": case.case_id,
            "customer_id": customer_id,
            "amount_fen": amount,
            "evidence_ref": evidence,
        }
        claim = h.post("/v1/claims", APP, claim_body).body
        h.post(f"/v1/claims/{claim['claim_id']}/review", ADMIN)
        run = ClaimRun(
            customer_id,
            case.case_id,
            claim["claim_id"],
            amount,
            not self.settled(case),
            self.play.now,
        )
        self.claims[customer_id] = run
        self.to_decide.append(run)

    def decide_claims(self) -> None:
        """Claims taken at an earlier sitting: approve what was claimed, pay it in full."""
        h = self.play.harness
        waiting = [c for c in self.to_decide if c.submitted_at < self.play.now]
        for c in waiting:
            h.post(
                f"/v1/claims/{c.claim_id}/approve",
                ADMIN,
                {"advance": c.advance},
                headers={"Idempotency-Key": f"sim-approve-{c.claim_id}"},
            )
            paid = h.post(
                f"/v1/claims/{c.claim_id}/pay",
                ADMIN,
                {"amount_fen": c.amount_fen},
                headers={"Idempotency-Key": f"sim-pay-{c.claim_id}"},
            ).body
            c.paid_fen = paid["claim"]["paid_fen"]
            c.paid_at = self.play.now
            self.to_decide.remove(c)
        if waiting:
            self.play.note("respond", f"{len(waiting)} claims approved and paid")


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["phone", "called_at", "knew"])
    for r in rows:
        writer.writerow([r["phone"], r["called_at"], ";".join(r["knew"])])
    return out.getvalue().encode("utf-8")


def _h(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else round((b - a).total_seconds() / 3600, 2)


def first_harm(play: Play, attack: str) -> datetime | None:
    """When an attack first harmed a customer (ground truth): a record exposed, or for the scam
    wave a customer deceived; None when it harmed nobody."""
    truth = play.truths[attack]
    if attack == "scam":
        harm = min((r["at"] for r in truth.facts["contacts"] if r["deceived"]), default=None)
    else:
        harm = min(truth.exposed.values(), default=None)
    return None if harm is None else harm.astimezone(UTC)


def cases_of(responder: Responder, attack: str) -> list[CaseRun]:
    """The cases about an attack (ground truth decides): those naming one of its principals,
    or for the scam wave the campaign's cases."""
    truth = responder.play.truths[attack]
    if attack == "scam":
        return list(responder.by_campaign.values())
    return [c for c in responder.cases if set(c.principals) & set(truth.principals)]


def response_card(responder: Responder) -> dict[str, Any]:
    """The scorecard's part for the response: each case; per attack the hours from its first
    harm to the first case about it, to containment and to notification; money lost by the
    deceived (ground truth) against what the ledger paid (read back through the API)."""
    play, h = responder.play, responder.play.harness
    timing: dict[str, Any] = {}
    for name in play.truths:
        if name == "victims":  # the list reaching security is no harm of its own
            continue
        harm = first_harm(play, name)
        mine = cases_of(responder, name)
        opened = min((c.opened_at for c in mine), default=None)
        contained = min((c.contained_at for c in mine if c.contained_at), default=None)
        notified = min((c.notified_at for c in mine if c.notified_at), default=None)
        timing[name] = {
            "first_harm": None if harm is None else harm.isoformat(),
            "cases": [c.case_id for c in mine],
            "to_case_h": _h(harm, opened),
            "to_contained_h": _h(harm, contained),
            "to_notified_h": _h(harm, notified),
        }
    reports = [
        h.get("/v1/claims:report", ADMIN, params={"case_id": c.case_id}).body
        for c in responder.cases
    ]
    balances = h.get("/v1/ledger/balances", ADMIN).body
    scam = play.truths.get("scam")
    deceived = [r for r in scam.facts["contacts"] if r["deceived"]] if scam else []
    notices = responder.notices.records if isinstance(responder.notices, RecordNotices) else []
    return {
        "cases": [c.to_dict() for c in responder.cases],
        "timing": timing,
        "notices": notices,
        "money": {
            "deceived": len(deceived),
            "lost_fen": sum(r["loss_fen"] for r in deceived),
            "claims": sum(sum(r["claims"].values()) for r in reports),
            "claims_open": sum(len(r["open_claims"]) for r in reports),
            "claims_paid": sum(r["claims"]["paid"] for r in reports),
            "claimed_fen": sum(r["claimed_fen"] for r in reports),
            "compensated_fen": sum(r["paid_fen"] for r in reports),
            "advanced_fen": sum(r["advanced_fen"] for r in reports),
            "trial_balance_fen": balances["trial_balance_fen"],
        },
    }
