"""The console's pages: a FastAPI router of server-rendered Jinja2 templates at ``/console``.

Every page goes through the services the API uses (never a table), behind a server-side
session (:mod:`~shieldwall.console.sessions`); every POST carries the session's CSRF token.
Pages whose API routes are for admins are for admins here too; analysts see the overview, the
cases and the audit log. A page that shows customer ids (an alert's records) appends an audit
entry like any other read (``read``, reason ``console_view``, channel ``console``); the trace
page's tracer audits itself. No page decrypts a customer field: they show customer ids and
counts, less than ``shieldwall customers show`` would.
"""

from __future__ import annotations

import contextlib
import hmac
import inspect
import os
import secrets
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from shieldwall.api import problems
from shieldwall.api.ratelimit import TAG_PURPOSE
from shieldwall.audit.log import b64
from shieldwall.audit.merkle import verify_consistency
from shieldwall.console import charts
from shieldwall.console.errors import (
    ConsoleError,
    CsrfRejected,
    FormRejected,
    SignInRefused,
    SignInThrottled,
)
from shieldwall.console.i18n import text
from shieldwall.console.sessions import (
    ConsoleSessions,
    Session,
    SessionPolicy,
    csrf_matches,
)
from shieldwall.console.signin import CONSOLE_ROLES, SignInGate
from shieldwall.contact.scam.ports import DomainJudge
from shieldwall.contact.scam.reports import Campaign
from shieldwall.core.errors import ShieldwallError
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.custody.errors import NotFound
from shieldwall.respond.case_model import EvidenceKind, LinkKind, SourceKind
from shieldwall.respond.register import MAX_LIST as VICTIMS_LISTED
from shieldwall.respond.states import TRANSITIONS, CaseState
from shieldwall.respond.victims import VictimStatus
from shieldwall.storage.alert_triage_repo import SqlTriageStore
from shieldwall.storage.rate_limits import rate_limit_storage
from shieldwall.trace.attribution.victims.input import parse_csv
from shieldwall.trace.watch.evidence import prove_alert
from shieldwall.trace.watch.triage import CLOSE_REASONS, AlertTriage
from shieldwall.wiring import Services
from shieldwall.wiring.state import console_sessions

HERE = Path(__file__).parent
LEAK_UPLOAD_PATH = "/console/trace/file"  # api/app.py lets it be as large as a leaked file
COOKIE = "sw_console"
SIGNIN_COOKIE = "sw_signin"  # the sign-in form's double-submit CSRF token

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/console", include_in_schema=False)


class SignInNeeded(ConsoleError):
    code = "sign_in_needed"


class AdminsOnly(ConsoleError):
    code = "admins_only"


@dataclass
class Console:
    """What the pages share: the services, sessions, the sign-in gate, alert triage."""

    services: Services
    sessions: ConsoleSessions
    gate: SignInGate
    triage: AlertTriage
    triage_store: SqlTriageStore


@dataclass(frozen=True)
class Viewer:
    """The signed-in principal of a request, with its session and cookie token."""

    principal: Principal
    session: Session
    token: str

    @property
    def lang(self) -> str:
        return self.session.lang

    @property
    def admin(self) -> bool:
        return self.principal.role is Role.ADMIN


def build_console(services: Services) -> Console:
    settings = services.settings
    policy = SessionPolicy(
        timedelta(seconds=settings.console.idle_timeout_seconds),
        timedelta(seconds=settings.console.lifetime_seconds),
    )
    triage_store = SqlTriageStore(services.engine, services.alerts)
    return Console(
        services,
        ConsoleSessions(console_sessions(settings), policy, services.clock),
        SignInGate(
            services.custody.principals,
            rate_limit_storage(settings),
            settings.console.sign_in_rate,
            services.custody.keyring.secret(TAG_PURPOSE),
        ),
        AlertTriage(triage_store, services.audit, services.clock),
        triage_store,
    )


def install(app: FastAPI, services: Services) -> None:
    """Mount the console on ``app``: its router, its static files, and HTML error pages for
    requests under ``/console`` (every other path keeps its problem+json)."""
    app.state.console = build_console(services)
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    api_handler = app.exception_handlers[ShieldwallError]

    async def handler(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/console"):
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        return _error_page(request, exc)

    app.exception_handlers[ShieldwallError] = handler
    http_handler = app.exception_handlers[StarletteHTTPException]

    async def http_page(request: Request, exc: Exception) -> Response:
        """Starlette's own errors (no route: 404; wrong method: 405) as a page under
        ``/console``; problem+json elsewhere."""
        if not request.url.path.startswith("/console"):
            answer = http_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
        detail = {404: "no such page", 405: "this page does not take that method"}.get(
            exc.status_code, str(exc.detail)
        )
        return _render_error(request, exc.status_code, None, detail, dict(exc.headers or {}))

    app.exception_handlers[StarletteHTTPException] = http_page


def _console(request: Request) -> Console:
    return request.app.state.console  # type: ignore[no-any-return]


def _error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInNeeded):
        return RedirectResponse("/console/sign-in", status_code=303)
    assert isinstance(exc, ShieldwallError)  # noqa: S101 - registered for ShieldwallError only
    status = {
        SignInRefused: 401 if exc.code != "role_not_allowed" else 403,
        SignInThrottled: 429,
        CsrfRejected: 403,
        FormRejected: 400,
        AdminsOnly: 403,
    }.get(type(exc)) or problems.status_for(exc)
    if exc.code == "not_found":
        status = 404
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, SignInThrottled) else {}
    detail = exc.reason if status != 500 else "internal error; see the server log"
    return _render_error(request, status, exc.field, detail, headers)


def _render_error(
    request: Request, status: int, field_name: str | None, detail: str, headers: dict[str, str]
) -> Response:
    lang = request.cookies.get("sw_lang", "en")
    return templates.TemplateResponse(
        request,
        "error.html",
        {"t": _t(lang), "lang": lang, "status": status, "field": field_name, "detail": detail},
        status_code=status,
        headers=headers,
    )


def _t(lang: str) -> Any:
    return lambda key: text(lang, key)


def viewer(request: Request) -> Viewer:
    """The signed-in admin or analyst; otherwise a redirect to the sign-in page. The principal
    is read again on every request, so a suspension or a role change ends the session."""
    console = _console(request)
    token = request.cookies.get(COOKIE)
    session = console.sessions.resume(token)
    if session is None or token is None:
        raise SignInNeeded("sign in first")
    try:
        principal = console.services.custody.principals.get(session.principal_id)
    except NotFound:
        principal = None
    if principal is None or not principal.active or principal.role not in CONSOLE_ROLES:
        console.sessions.close(token)
        raise SignInNeeded("sign in again")
    return Viewer(principal, session, token)


def admin(who: Viewer = Depends(viewer)) -> Viewer:
    if not who.admin:
        raise AdminsOnly("this page is for admins (as its API routes are)")
    return who


async def form_of(request: Request, who: Viewer) -> FormData:
    """The POSTed form, once its CSRF token matched the session's."""
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not csrf_matches(who.session, token):
        raise CsrfRejected("the form's CSRF token is missing or wrong; reload the page")
    return form


def field(form: FormData, name: str, *, required: bool = True, max_len: int = 200) -> str:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        if required:
            raise FormRejected("is required", field=name)
        return ""
    value = value.strip()
    if required and not value:
        raise FormRejected("is required", field=name)
    if len(value) > max_len:
        raise FormRejected(f"at most {max_len} characters", field=name)
    return value


def page(request: Request, who: Viewer, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        name,
        {
            "t": _t(who.lang),
            "lang": who.lang,
            "me": who.principal,
            "admin": who.admin,
            "csrf": who.session.csrf_token,
            "path": request.url.path,
            **context,
        },
    )


def back(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303)


def audit_view(svc: Services, who: Viewer, page_name: str, customer_ids: tuple[str, ...]) -> None:
    """A page showed customer ids: an audit entry like any other read."""
    if not customer_ids:
        return
    svc.audit.append(
        [
            AccessEvent(
                ts=svc.clock.now(),
                actor=who.principal.principal_id,
                role=who.principal.role.value,
                unit=who.principal.unit,
                action=Action.READ,
                decision=Decision.ALLOW,
                reason="console_view",
                customer_ids=customer_ids,
                channel="console",
                extra={"page": page_name},
            )
        ]
    )


# -- sign-in ---------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def home() -> RedirectResponse:
    return back("/console/overview")


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> HTMLResponse:
    lang = request.cookies.get("sw_lang", "en")
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request, "sign_in.html", {"t": _t(lang), "lang": lang, "csrf": token}
    )
    _cookie(request, response, SIGNIN_COOKIE, token, path="/console/sign-in")
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    console = _console(request)
    form = await request.form()
    presented, expected = form.get("csrf_token"), request.cookies.get(SIGNIN_COOKIE)
    if not isinstance(presented, str) or not expected or not _same(presented, expected):
        raise CsrfRejected("the sign-in form's CSRF token is missing or wrong; reload the page")
    key = field(form, "api_key", max_len=200)
    host = request.client.host if request.client else None
    principal = console.gate.sign_in(key, host)
    console.sessions.close(request.cookies.get(COOKIE))  # no session outlives a new sign-in
    token, _ = console.sessions.open(principal.principal_id, request.cookies.get("sw_lang", "en"))
    response = back("/console/overview")
    _cookie(request, response, COOKIE, token, path="/console")
    response.delete_cookie(SIGNIN_COOKIE, path="/console/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, who: Viewer = Depends(viewer)) -> Response:
    await form_of(request, who)
    _console(request).sessions.close(who.token)
    response = back("/console/sign-in")
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.post("/language")
async def language(request: Request, who: Viewer = Depends(viewer)) -> Response:
    form = await form_of(request, who)
    lang = "zh" if field(form, "lang", max_len=2) == "zh" else "en"
    _console(request).sessions.set_language(who.token, lang)
    target = field(form, "next", required=False, max_len=300)
    parts = urlsplit(target)
    safe = not parts.scheme and not parts.netloc and parts.path.startswith("/console/")
    response = back(parts.path if safe else "/console/overview")
    _cookie(request, response, "sw_lang", lang, path="/console")
    return response


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _cookie(request: Request, response: Response, name: str, value: str, *, path: str) -> None:
    secure = _console(request).services.settings.console.secure_cookie
    response.set_cookie(name, value, path=path, httponly=True, samesite="strict", secure=secure)


# -- overview --------------------------------------------------------------------------------


@router.get("/overview", response_class=HTMLResponse)
def overview(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """Harm first (records exposed, customers deceived, principals stopped), then alerts."""
    svc = _console(request).services
    alerts = svc.alerts.list(limit=1000)
    exposed = len({c for a in alerts for c in a.customer_ids})
    campaigns = svc.scam.campaigns(limit=100).items
    deceived = sum(c.victims for c in campaigns)
    confirmed, loss_fen, more = _confirmed_victims(svc)
    suspended = sum(1 for p in svc.custody.principals.list() if not p.active)
    by_kind: dict[str, list[datetime]] = {}
    for a in alerts:
        by_kind.setdefault(a.kind, []).append(a.raised_at)
    series = sorted(by_kind.items())
    if campaigns:  # when scam reports came in, beside the alerts
        reports = [t for c in campaigns for t in (c.first_seen, c.last_seen)]
        series.append((text(who.lang, "scam_reports"), reports))
    start, end = charts.window([t for _, times in series for t in times], svc.clock.now())
    timeline = charts.timeline(
        series, title=text(who.lang, "alerts_timeline"), start=start, end=end
    )
    # Which principals and which alerts: for admins only, as GET /v1/alerts is.
    per_principal = Counter(a.principal_id for a in alerts).most_common(8) if who.admin else []
    ranking = charts.bars([(p, float(n)) for p, n in per_principal], title=text(who.lang, "alerts"))
    return page(
        request,
        who,
        "overview.html",
        exposed=exposed,
        deceived=deceived,
        confirmed=confirmed,
        confirmed_more=more,
        loss_yuan=loss_fen / 100,
        suspended=suspended,
        open_alerts=sum(1 for a in alerts if a.status == "open"),
        timeline=timeline,
        ranking=ranking,
        recent=alerts[:10] if who.admin else [],
    )


CONFIRMED_LOSS = (VictimStatus.CONFIRMED, VictimStatus.CONTACTED, VictimStatus.COMPENSATED)


def _confirmed_victims(svc: Services) -> tuple[int, int, bool]:
    """Victims respond's register holds as confirmed (then contacted or compensated): their
    number, their losses in fen, and whether a status held more than one listing shows
    (then the figures are lower bounds). Closed victims are left out: closing ends a false
    report as well as a settled one."""
    count = loss = 0
    more = False
    for status in CONFIRMED_LOSS:
        found = svc.money.register.find(None, status, limit=VICTIMS_LISTED)
        more = more or len(found) >= VICTIMS_LISTED
        count += len(found)
        loss += sum(v.loss for v in found)
    return count, loss, more


# -- alerts ----------------------------------------------------------------------------------

NEXT_STEP = {"open": "next_open", "assigned": "next_assigned", "closed": "next_closed"}


@router.get("/alerts", response_class=HTMLResponse)
def alert_queue(request: Request, who: Viewer = Depends(admin)) -> HTMLResponse:
    console = _console(request)
    q = request.query_params
    status = q.get("status") or None
    kind = q.get("kind") or None
    principal_id = q.get("principal") or None
    items = console.services.alerts.list(
        status=status, kind=kind, principal_id=principal_id, limit=200
    )
    triage = console.triage_store.triages([a.alert_id for a in items])
    rows = []
    for a in items:
        tr = triage[a.alert_id]
        stage = a.status if a.status != "open" or tr.assignee is None else "assigned"
        rows.append({"alert": a, "triage": tr, "next": NEXT_STEP.get(stage, "next_open")})
    return page(
        request,
        who,
        "alerts.html",
        rows=rows,
        status=status or "",
        kind=kind or "",
        principal=principal_id or "",
        kinds=sorted({a.kind for a in console.services.alerts.list(limit=1000)}),
    )


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: str, request: Request, who: Viewer = Depends(admin)) -> HTMLResponse:
    console = _console(request)
    svc = console.services
    alert = svc.alerts.get(alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id[:64]}", field="alert_id")
    evidence = prove_alert(svc.audit, alert, limit=20)
    audit_view(svc, who, "alert", alert.customer_ids)
    proofs = [
        {
            "seq": e.seq,
            "verified": e.verified,
            "problem": e.problem,
            "leaf": b64(e.leaf_hash),
            "proof": ",".join(b64(p) for p in e.proof),
            "action": e.event.action.value if e.event else "",
            "reason": e.event.reason if e.event else "",
            "ts": e.event.ts if e.event else None,
        }
        for e in evidence.entries
    ]
    return page(
        request,
        who,
        "alert.html",
        alert=alert,
        triage=console.triage_store.triage(alert_id),
        proofs=proofs,
        tree_size=evidence.tree_size,
        root=b64(evidence.root_hash),
        omitted=evidence.omitted,
        reasons=CLOSE_REASONS,
    )


@router.post("/alerts/{alert_id}/assign")
async def assign_alert(alert_id: str, request: Request, who: Viewer = Depends(admin)) -> Response:
    await form_of(request, who)
    _console(request).triage.assign(alert_id, who.principal, channel="console")
    return back(f"/console/alerts/{alert_id}")


@router.post("/alerts/{alert_id}/close")
async def close_alert(alert_id: str, request: Request, who: Viewer = Depends(admin)) -> Response:
    form = await form_of(request, who)
    _console(request).triage.close(
        alert_id,
        who.principal,
        reason=field(form, "reason", max_len=32),
        note=field(form, "note", max_len=2000),
        channel="console",
    )
    return back(f"/console/alerts/{alert_id}")


# -- principals ------------------------------------------------------------------------------


@router.get("/principals/{principal_id}", response_class=HTMLResponse)
def principal_page(
    principal_id: str, request: Request, who: Viewer = Depends(admin)
) -> HTMLResponse:
    svc = _console(request).services
    subject = svc.custody.principals.get(principal_id)
    alerts = svc.alerts.list(principal_id=principal_id, limit=100)
    return page(request, who, "principal.html", subject=subject, alerts=alerts)


@router.post("/principals/{principal_id}/{action}")
async def principal_status(
    principal_id: str, action: str, request: Request, who: Viewer = Depends(admin)
) -> Response:
    form = await form_of(request, who)
    if action not in ("suspend", "reinstate"):
        raise FormRejected("must be suspend or reinstate", field="action")
    alert_id = field(form, "alert_id", max_len=64)
    _console(request).services.custody.principals.set_active(
        principal_id,
        action == "reinstate",
        alert_id=alert_id,
        actor=who.principal,
        channel="console",
    )
    return back(f"/console/principals/{principal_id}")


# -- trace -----------------------------------------------------------------------------------


@router.get("/trace", response_class=HTMLResponse)
def trace_page(request: Request, who: Viewer = Depends(admin)) -> HTMLResponse:
    return page(request, who, "trace.html", report=None, leak=None, chart="")


@router.post("/trace/victims", response_class=HTMLResponse)
async def trace_victims(request: Request, who: Viewer = Depends(admin)) -> HTMLResponse:
    form = await form_of(request, who)
    upload = form.get("victims")
    if not isinstance(upload, UploadFile):
        raise FormRejected("choose a CSV file", field="victims")
    data = await upload.read()
    if not data:
        raise FormRejected("the file is empty", field="victims")
    svc = _console(request).services
    rows = parse_csv(data, max_rows=svc.settings.trace.victims.max_victims)
    report = svc.victims.trace(rows, requested_by=who.principal, channel="console").to_dict()
    ranking = report.get("ranking", [])
    chart = charts.bars(
        [(f"{r['kind']}:{r['id']}", -float(r["log10_p"])) for r in ranking[:10]],
        title="-log10 p",
    )
    return page(request, who, "trace.html", report=report, leak=None, chart=chart)


@router.post("/trace/file", response_class=HTMLResponse)
async def trace_file(request: Request, who: Viewer = Depends(admin)) -> HTMLResponse:
    """A leaked file (CSV, JSON, XLSX or text), copied to a private temporary file, traced
    by the same service as ``POST /v1/trace/file``, and deleted."""
    form = await form_of(request, who)
    upload = form.get("leak")
    if not isinstance(upload, UploadFile):
        raise FormRejected("choose a file", field="leak")
    svc = _console(request).services
    limit = svc.settings.trace.releases.max_upload_bytes
    fd, name = tempfile.mkstemp(prefix="shieldwall-leak-", suffix=".upload")
    path = Path(name)
    try:
        total = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(1 << 16):
                total += len(chunk)
                if total > limit:
                    raise FormRejected(f"the file exceeds {limit} bytes", field="leak")
                out.write(chunk)
        if total == 0:
            raise FormRejected("the file is empty", field="leak")
        report = await run_in_threadpool(
            svc.leak_trace.trace, path, actor=who.principal, channel="console"
        )
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
    found = report.as_dict()
    chart = charts.bars(
        [(r["recipient_id"], -float(r["log10_p"])) for r in found["recipients"][:10]],
        title="-log10 p",
    )
    return page(request, who, "trace.html", report=None, leak=found, chart=chart)


# -- login risk ------------------------------------------------------------------------------

LOGIN_HOURS = 72
UNDER_ATTACK_SHOWN = 25


@router.get("/logins", response_class=HTMLResponse)
def logins_page(request: Request, who: Viewer = Depends(admin)) -> HTMLResponse:
    """Decisions over time (allow, challenge, deny per hour, from the engine's decision
    history), the accounts under attack (opaque tags: the engine never keeps a login name),
    and the platform counters per hour (the wave detector's inputs), over three days."""
    svc = _console(request).services
    history = svc.risk.history
    now = svc.clock.now().timestamp()
    last = int(now // 3600)
    # A world replayed on another clock (a simulation) is shown where its decisions are.
    newest = history.newest_hour() if history is not None else None
    replayed = newest is not None and newest < last - LOGIN_HOURS + 1
    if replayed and newest is not None:
        last, now = newest, (newest + 1) * 3600.0
    first = last - LOGIN_HOURS + 1
    hours = svc.risk.state.hours(first, last)
    labels = [_hour(h) for h, *_ in hours]
    t = _t(who.lang)
    chart = charts.columns(
        [
            (t("attempts"), [a for _, a, _, _ in hours]),
            (t("failures"), [f for _, _, f, _ in hours]),
            (t("unknown_accounts"), [u for _, _, _, u in hours]),
        ],
        labels,
        title=t("logins"),
    )
    rows = [
        {"hour": label, "attempts": a, "failures": f, "unknown": u, "rate": f / a if a else 0.0}
        for label, (_, a, f, u) in zip(labels, hours, strict=True)
    ]
    decisions: list[dict[str, Any]] = []
    decision_chart = ""
    accounts: list[Any] = []
    if history is not None:
        counts = history.hours(first, last)
        hour_labels = [_hour(c.hour) for c in counts]
        decision_chart = charts.columns(
            [
                (t("allowed"), [float(c.allow) for c in counts]),
                (t("challenged"), [float(c.challenge) for c in counts]),
                (t("denied"), [float(c.deny) for c in counts]),
            ],
            hour_labels,
            title=t("decisions_over_time"),
        )
        decisions = [
            {"hour": label, "counts": c}
            for label, c in zip(hour_labels, counts, strict=True)
            if c.decided or c.failure
        ]
        accounts = history.under_attack(now, limit=UNDER_ATTACK_SHOWN)
    return page(
        request,
        who,
        "logins.html",
        chart=chart,
        rows=list(reversed(rows)),
        history=history is not None,
        decision_chart=decision_chart,
        decisions=list(reversed(decisions)),
        accounts=accounts,
        window_hours=history.bounds.window_hours if history is not None else 0,
        sources_cap=history.bounds.sources_cap if history is not None else 0,
        replayed_until=_ts(now) if replayed else None,
    )


def _hour(hour: int) -> str:
    return datetime.fromtimestamp(hour * 3600, UTC).strftime("%m-%d %H:00")


def _ts(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M")


templates.env.filters["ts"] = _ts


# -- releases, contact, cases ----------------------------------------------------------------


@router.get("/releases", response_class=HTMLResponse)
def releases_page(request: Request, who: Viewer = Depends(admin)) -> HTMLResponse:
    svc = _console(request).services
    releases = svc.releases.list(limit=200)
    per = Counter[str]()
    for r in releases:
        per[r.recipient_id] += r.record_count
    chart = charts.bars(
        [(k, float(v)) for k, v in per.most_common(10)], title=text(who.lang, "releases")
    )
    return page(request, who, "releases.html", releases=releases, chart=chart)


@router.get("/contact", response_class=HTMLResponse)
def contact_page(request: Request, who: Viewer = Depends(admin)) -> HTMLResponse:
    svc = _console(request).services
    campaigns = svc.scam.campaigns(limit=50).items
    with svc.contact_ledger.outbox.read() as tx:
        counts = tx.counts()
    chart = charts.bars(
        [(c.campaign_id[-12:], float(c.victims)) for c in campaigns[:10]],
        title=text(who.lang, "campaigns"),
    )
    return page(
        request,
        who,
        "contact.html",
        campaigns=campaigns,
        counts=counts,
        chart=chart,
        domains=reported_domains(campaigns, svc.scam.domains),
    )


@dataclass(frozen=True, slots=True)
class ReportedDomain:
    """A domain seen in scam reports, as the lookalike scanner judges it."""

    domain: str
    verdict: str
    brand: str | None
    score: float
    techniques: tuple[str, ...]
    reports: int
    campaigns: tuple[str, ...]


def reported_domains(campaigns: Sequence[Campaign], judge: DomainJudge) -> list[ReportedDomain]:
    """The domains of the listed campaigns' reports, each judged once: lookalikes of the
    store's brands first (highest score first), then the rest by reports."""
    reports: dict[str, int] = {}
    seen_in: dict[str, list[str]] = {}
    for c in campaigns:
        for i in c.indicators:
            if i.kind == "domain":
                reports[i.value] = reports.get(i.value, 0) + i.reports
                seen_in.setdefault(i.value, []).append(c.campaign_id)
    rows = []
    for domain, n in reports.items():
        v = judge.check(domain)
        rows.append(
            ReportedDomain(
                domain, v.verdict, v.brand, v.score, tuple(v.techniques), n, tuple(seen_in[domain])
            )
        )
    rows.sort(key=lambda r: (r.verdict != "lookalike", -r.score, -r.reports, r.domain))
    return rows


@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """Cases newest first (admins and analysts, as ``GET /v1/cases``); admins open one here."""
    state = request.query_params.get("state") or None
    cases = _console(request).services.cases.cases.recent(state, limit=100)
    return page(
        request,
        who,
        "cases.html",
        cases=cases,
        state=state or "",
        states=[s.value for s in CaseState],
        sources=[k.value for k in SourceKind],
    )


@router.post("/cases")
async def open_case(request: Request, who: Viewer = Depends(admin)) -> Response:
    """Open a case (from an alert's page, or by hand with a source and its id): the same
    service as ``POST /v1/cases``, which checks the source exists and audits the opening."""
    form = await form_of(request, who)
    case = _console(request).services.cases.cases.open(
        field(form, "source", max_len=32),
        field(form, "source_ref", required=False, max_len=128) or None,
        owner_id=field(form, "owner_id", required=False, max_len=128) or None,
        actor=who.principal,
        channel="console",
    )
    return back(f"/console/cases/{case.case_id}")


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: str, request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """A case file. Analysts see it without the affected customers' ids (as the API shows
    it to them); an admin's view of those ids is an audit entry like any other read."""
    svc = _console(request).services
    file = svc.cases.cases.get(case_id)
    customers = tuple(link.ref for link in file.links if link.kind is LinkKind.CUSTOMER)
    links = [link for link in file.links if who.admin or link.kind is not LinkKind.CUSTOMER]
    if who.admin:
        audit_view(svc, who, "case", customers)
    return page(
        request,
        who,
        "case.html",
        case=file.case,
        links=links,
        customers_affected=len(customers),
        timeline=file.timeline,
        evidence=file.evidence,
        next_states=sorted(s.value for s in TRANSITIONS[file.case.state]),
        evidence_kinds=[k.value for k in EvidenceKind],
    )


@router.post("/cases/{case_id}/transition")
async def transition_case(case_id: str, request: Request, who: Viewer = Depends(admin)) -> Response:
    form = await form_of(request, who)
    _console(request).services.cases.cases.transition(
        case_id, field(form, "to", max_len=32), actor=who.principal, channel="console"
    )
    return back(f"/console/cases/{case_id}")


@router.post("/cases/{case_id}/assign")
async def assign_case(case_id: str, request: Request, who: Viewer = Depends(admin)) -> Response:
    form = await form_of(request, who)
    _console(request).services.cases.cases.assign(
        case_id, field(form, "owner_id", max_len=128), actor=who.principal, channel="console"
    )
    return back(f"/console/cases/{case_id}")


@router.post("/cases/{case_id}/links")
async def link_case(case_id: str, request: Request, who: Viewer = Depends(admin)) -> Response:
    """Link principals (suspending them when asked), releases and customers, each field a
    list of ids separated by commas, spaces or new lines."""
    form = await form_of(request, who)
    _console(request).services.cases.cases.link(
        case_id,
        principals=_id_list(form, "principal_ids"),
        releases=_id_list(form, "release_ids"),
        customers=_id_list(form, "customer_ids"),
        suspend=field(form, "suspend", required=False, max_len=8) == "yes",
        actor=who.principal,
        channel="console",
    )
    return back(f"/console/cases/{case_id}")


@router.post("/cases/{case_id}/evidence")
async def add_evidence(case_id: str, request: Request, who: Viewer = Depends(admin)) -> Response:
    """Receive an evidence file: hashed and sealed at receipt by the same locker as
    ``POST /v1/cases/{id}/evidence`` (its original file name is kept only for its suffix)."""
    form = await form_of(request, who)
    upload = form.get("evidence")
    if not isinstance(upload, UploadFile):
        raise FormRejected("choose a file", field="evidence")
    svc = _console(request).services
    limit = svc.settings.respond.cases.max_evidence_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise FormRejected(f"the file exceeds {limit} bytes", field="evidence")
    await run_in_threadpool(
        svc.cases.evidence.add,
        case_id,
        data,
        kind=field(form, "kind", max_len=16),
        media_type=upload.content_type or "application/octet-stream",
        name=upload.filename,
        actor=who.principal,
        channel="console",
    )
    return back(f"/console/cases/{case_id}")


MAX_FORM_IDS = 1000


def _id_list(form: FormData, name: str) -> list[str]:
    raw = field(form, name, required=False, max_len=64 * MAX_FORM_IDS)
    ids = [part for part in raw.replace(",", " ").split() if part]
    if len(ids) > MAX_FORM_IDS:
        raise FormRejected(f"at most {MAX_FORM_IDS} ids", field=name)
    return ids


# -- audit -----------------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, who: Viewer = Depends(viewer)) -> HTMLResponse:
    """The log's newest entries (analysts: their own only, as the API's entry route), the last
    checkpoint and where it was published, and a consistency proof checked on the server."""
    svc = _console(request).services
    log = svc.audit
    size = log.size()
    after = _int(request.query_params.get("after"), "after", default=max(size - 51, -1))
    records = log.read(after, limit=50) if size else []
    if not who.admin:
        records = [r for r in records if r.event.actor == who.principal.principal_id]
    checkpoint = log.latest_checkpoint()
    consistency = None
    first = request.query_params.get("first")
    if first:
        old = _int(first, "first", default=1)
        new = _int(request.query_params.get("second"), "second", default=size)
        if not 0 < old <= new <= size:
            raise FormRejected(f"need 0 < first <= second <= {size}", field="first")
        _, proof = log.consistency_proof(old, new)
        old_root, new_root = log.root(old), log.root(new)
        consistency = {
            "first": old,
            "second": new,
            "first_root": b64(old_root),
            "second_root": b64(new_root),
            "proof": [b64(p) for p in proof],
            "ok": verify_consistency(old, new, old_root, new_root, proof),
        }
    published = [str(svc.settings.resolved_witness_file)]
    if svc.settings.audit.webhook_url:
        published.append(svc.settings.audit.webhook_url)
    return page(
        request,
        who,
        "audit.html",
        size=size,
        records=list(reversed(records)),
        after=after,
        checkpoint=checkpoint,
        checkpoint_root=b64(checkpoint.root_hash) if checkpoint else "",
        published=published,
        consistency=consistency,
    )


def _int(value: str | None, name: str, *, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise FormRejected("must be a whole number", field=name) from None
