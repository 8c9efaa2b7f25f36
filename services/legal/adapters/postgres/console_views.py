"""What the officers' console pages read: lists, a request's facts, the admin's tables.

Reads only, in the caller's transaction; ids, states, times, counts and fingerprints, never
a sealed value (the request's own body is opened through ``RequestStore.load``).
"""

from __future__ import annotations

import uuid
from typing import Any

from services.legal.core.deadlines import EMERGENCY_INSTRUMENTS
from services.legal.core.model import fingerprint
from shared.db import Connection


class ConsoleViews:
    """The console's queries over one connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def requests(
        self, *, states: list[str], authority: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Requests in ``states`` (of one authority), emergencies first, then by deadline."""
        # The page is chosen from the requests alone; only its rows are joined (the sort and
        # the count see every open request, the joins the 50 shown).
        rows = await self._conn.fetch(
            """WITH shown AS (
                   SELECT r.request_id, r.instrument, r.state, r.received_at, r.due_at,
                          r.emergency AND r.instrument = ANY($2::text[]) AS emergency,
                          r.authority_id, count(*) OVER () AS total
                   FROM legal.requests r
                   WHERE r.state = ANY($1::text[]) AND ($3::text IS NULL OR r.authority_id = $3)
                   ORDER BY 6 DESC, r.due_at NULLS LAST, r.received_at
                   LIMIT $4 OFFSET $5)
               SELECT s.request_id, s.instrument, s.state, s.received_at, s.due_at, s.emergency,
                      s.authority_id, a.name AS authority_name, a.country,
                      ap.prepared_by, ap.prepared_at, n.request_id IS NOT NULL AS narrowed,
                      s.total
               FROM shown s
               JOIN legal.authorities a USING (authority_id)
               LEFT JOIN legal.approvals ap USING (request_id)
               LEFT JOIN legal.narrowings n USING (request_id)
               ORDER BY s.emergency DESC, s.due_at NULLS LAST, s.received_at""",
            states,
            sorted(EMERGENCY_INSTRUMENTS),
            authority,
            limit,
            offset,
        )
        total = rows[0]["total"] if rows else 0
        return [dict(r) for r in rows], total

    async def state_counts(self) -> dict[str, int]:
        """How many requests are in each state."""
        rows = await self._conn.fetch("SELECT state, count(*) AS n FROM legal.requests GROUP BY 1")
        return {r["state"]: r["n"] for r in rows}

    async def authority_names(self) -> list[dict[str, Any]]:
        """Every authority's id, name and country (the list's filter)."""
        rows = await self._conn.fetch(
            "SELECT authority_id, name, country FROM legal.authorities ORDER BY country, name"
        )
        return [dict(r) for r in rows]

    async def request_facts(self, request_id: uuid.UUID) -> dict[str, Any] | None:
        """A request's row with its authority, preparation, approval, narrowing and package."""
        row = await self._conn.fetchrow(
            """SELECT r.state, r.received_at, r.checked_at, r.due_at, r.deadline_article,
                      r.answered_at, r.refusals::text AS refusals,
                      r.emergency AND r.instrument = ANY($2::text[]) AS emergency,
                      a.authority_id, a.name AS authority_name, a.country, a.kind,
                      a.active AS authority_active,
                      ap.prepared_by, ap.prepared_at, ap.approved_by, ap.approved_at,
                      po.name AS preparer_name, ao.name AS approver_name,
                      n.officer_id AS narrowed_by, n.narrowed_at, n.automatic,
                      d.media_type, d.size AS document_size, d.sha256 AS document_sha256,
                      p.built_at, p.expires_at, p.downloaded_at,
                      pr.ends_at AS preserved_until, pr.extended_at, pr.lifted_at,
                      x.officer_id AS refused_by
               FROM legal.requests r
               JOIN legal.authorities a USING (authority_id)
               LEFT JOIN legal.approvals ap USING (request_id)
               LEFT JOIN legal.officers po ON po.officer_id = ap.prepared_by
               LEFT JOIN legal.officers ao ON ao.officer_id = ap.approved_by
               LEFT JOIN legal.narrowings n USING (request_id)
               LEFT JOIN legal.documents d USING (request_id)
               LEFT JOIN legal.packages p USING (request_id)
               LEFT JOIN legal.preservations pr USING (request_id)
               LEFT JOIN legal.refusal_explanations x USING (request_id)
               WHERE r.request_id = $1""",
            request_id,
            sorted(EMERGENCY_INSTRUMENTS),
        )
        return None if row is None else dict(row)

    async def reading(self, sequence: int, *, request_id: uuid.UUID, officer_id: str) -> bool:
        """Whether audit entry ``sequence`` is this officer's recent reading of the document."""
        found = await self._conn.fetchval(
            """SELECT 1 FROM legal.audit WHERE sequence = $1 AND request_id = $2
                 AND step = 'document_read' AND actor = $3
                 AND recorded_at > now() - interval '10 hours'""",
            sequence,
            str(request_id),
            officer_id,
        )
        return found is not None

    async def preservations(self) -> list[dict[str, Any]]:
        """Running preservation orders, the soonest to end first."""
        rows = await self._conn.fetch(
            """SELECT p.request_id, r.instrument, r.authority_id, a.name AS authority_name,
                      a.country, p.starts_at, p.ends_at, p.extended_at
               FROM legal.preservations p
               JOIN legal.requests r USING (request_id)
               JOIN legal.authorities a USING (authority_id)
               WHERE p.lifted_at IS NULL AND p.ends_at > now() AND r.state = 'preserving'
               ORDER BY p.ends_at"""
        )
        return [dict(r) for r in rows]

    async def authorities(self) -> list[dict[str, Any]]:
        """Every authority with its keys' fingerprints (never a token)."""
        rows = await self._conn.fetch(
            """SELECT authority_id, name, country, kind, signing_key, encryption_key, active,
                      created_at
               FROM legal.authorities ORDER BY active DESC, country, name"""
        )
        return [
            {
                **{k: v for k, v in dict(r).items() if k not in {"signing_key", "encryption_key"}},
                "signing_key": fingerprint(bytes(r["signing_key"])),
                "encryption_key": fingerprint(bytes(r["encryption_key"])),
            }
            for r in rows
        ]

    async def officers(self) -> list[dict[str, Any]]:
        """Every officer, with their live sessions and last sign-in."""
        rows = await self._conn.fetch(
            """SELECT o.officer_id, o.name, o.roles, o.active, o.created_at,
                      count(s.session_hash) FILTER (
                          WHERE s.ended_at IS NULL AND s.expires_at > now()) AS live_sessions,
                      max(s.created_at) AS last_sign_in
               FROM legal.officers o LEFT JOIN legal.officer_sessions s USING (officer_id)
               GROUP BY o.officer_id ORDER BY o.active DESC, o.officer_id"""
        )
        return [dict(r) for r in rows]

    async def deactivate_authority(self, authority_id: str, *, admin: str, proof: str) -> bool:
        """Deactivate an authority as a proven legal admin (the database checks the proof)."""
        done: bool = await self._conn.fetchval(
            "SELECT legal.guard_deactivate_authority($1, $2, $3)", authority_id, admin, proof
        )
        return done

    async def chain_state(self) -> dict[str, Any]:
        """The chain's head and newest kept checkpoint, and entries not yet anchored."""
        row = await self._conn.fetchrow(
            """SELECT (SELECT max(sequence) FROM legal.audit) AS head,
                      (SELECT max(recorded_at) FROM legal.audit) AS head_at,
                      c.size, c.signed_at, c.origin
               FROM (SELECT 1) one LEFT JOIN LATERAL (
                   SELECT size, signed_at, origin FROM legal.audit_checkpoints
                   ORDER BY size DESC LIMIT 1) c ON true"""
        )
        state = {} if row is None else dict(row)
        state["not_anchored"] = (state.get("head") or 0) - (state.get("size") or 0)
        return state
