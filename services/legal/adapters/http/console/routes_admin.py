"""A legal admin's pages: the audit chain, authorities, officers, transparency.

The chain's state and a verification whose run is itself audited; the authorities with
their keys' fingerprints (and deactivating one); the officers; a period's figures.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response

from services.legal.adapters.http.chain import verify_and_record
from services.legal.adapters.http.console.pages import LegalConsole, to
from services.legal.adapters.http.console.sessions import COOKIE, OfficerSession, find_session
from services.legal.adapters.postgres import audit_log
from services.legal.adapters.postgres.console_views import ConsoleViews
from services.legal.adapters.postgres.transparency import read_legal_report
from services.legal.core.approval import OfficerRole
from services.legal.core.audit import AuditStep
from services.legal.core.checkpoint import open_all
from services.legal.core.model import RefusalGround
from services.legal.transparency.periods import PeriodError, parse_period
from shared.db_guard import installed


def _this_half(now: datetime) -> str:
    return f"{now.year}-H{1 if now.month <= 6 else 2}"


def admin_routes(app: FastAPI, console: LegalConsole) -> None:
    """Mount the legal admin's pages."""
    admin_only = console.requires(OfficerRole.LEGAL_ADMIN)
    units = console.units

    async def chain_page(
        request: Request, session: OfficerSession, verdict: dict[str, object] | None
    ) -> Response:
        async with units.pool.acquire() as conn:
            state = await ConsoleViews(conn).chain_state()
            guarded = await installed(conn)
        return console.page(
            request, "audit.html", session, chain=state, guarded=guarded, verdict=verdict
        )

    @app.get("/console/admin/audit", include_in_schema=False)
    async def audit(request: Request, session: OfficerSession = admin_only) -> Response:
        return await chain_page(request, session, None)

    @app.post("/console/admin/audit/verify", include_in_schema=False)
    async def verify(request: Request, session: OfficerSession = admin_only) -> Response:
        """Verify the chain now; the run is on the chain (as over the API)."""
        if await console.form(request, session) is None:
            return console.problem(request, session, 403, "csrf")
        async with units.transaction() as (legal, conn):
            verdict = await verify_and_record(legal, conn, units.keys, session.officer)
        return await chain_page(request, session, verdict)

    @app.get("/console/admin/authorities", include_in_schema=False)
    async def authorities(request: Request, session: OfficerSession = admin_only) -> Response:
        async with units.pool.acquire() as conn:
            rows = await ConsoleViews(conn).authorities()
        return console.page(request, "authorities.html", session, rows=rows)

    @app.post("/console/admin/authorities/{authority_id}/deactivate", include_in_schema=False)
    async def deactivate(
        request: Request, authority_id: str, session: OfficerSession = admin_only
    ) -> Response:
        """Deactivate an authority: the database checks the admin's session, then audited."""
        fields = await console.form(request, session)
        if fields is None:
            return console.problem(request, session, 403, "csrf")
        if fields.get("confirmed") != "yes":
            return to("/console/admin/authorities", "needs_confirmation")
        async with units.transaction() as (legal, conn):
            live = await find_session(conn, request.cookies.get(COOKIE))
            if live is None or live.officer.proof is None:
                return to("/console/login")
            done = await ConsoleViews(conn).deactivate_authority(
                authority_id, admin=live.officer.officer_id, proof=live.officer.proof
            )
            if done:
                change = await audit_log.last_change(conn, "authority", authority_id)
                await legal.audit.record(
                    AuditStep.AUTHORITY_DEACTIVATED,
                    actor=live.officer.officer_id,
                    details={"change": change, "authority": authority_id, "via": "console"},
                )
        return to("/console/admin/authorities", "deactivated_done" if done else "not_deactivated")

    @app.get("/console/admin/officers", include_in_schema=False)
    async def officers(request: Request, session: OfficerSession = admin_only) -> Response:
        async with units.pool.acquire() as conn:
            rows = await ConsoleViews(conn).officers()
        return console.page(request, "officers.html", session, rows=rows)

    @app.get("/console/admin/transparency", include_in_schema=False)
    async def transparency(request: Request, session: OfficerSession = admin_only) -> Response:
        label = request.query_params.get("period") or _this_half(datetime.now(UTC))
        try:
            period = parse_period(label)
        except PeriodError:
            return console.page(
                request, "transparency.html", session, status=422, label=label, report=None
            )
        keys = units.keys
        async with units.pool.acquire() as conn:
            anchors = open_all(
                await audit_log.kept_notes(conn),
                public=keys.platform_key().public_key(),
                name=keys.audit_origin,
            )
            report = await read_legal_report(
                conn, period, keys.cipher(), audit_keys=keys.audit_ring().keys, anchors=anchors
            )
        return console.page(
            request,
            "transparency.html",
            session,
            label=period.label,
            report=report,
            grounds=[g.value for g in RefusalGround],
        )
