"""The case lifecycle on the real database: the trigger, and a 409 with a code for each refusal."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from services.dispatch.core.lifecycle import WAITING, State, allowed_pairs, returns
from services.dispatch.service import SPEC as DISPATCH
from shared.config import Settings
from tests.integration.conftest import running, serving
from tests.integration.dispatch.rows import entry_state, move_case
from tests.integration.dispatch.test_api import add_reviewer, api_settings, decision

pytestmark = pytest.mark.integration
__all__ = ["api_settings"]  # the fixture, used by name below


async def seed_case(
    db: asyncpg.Connection, state: str, *, reviewer: str = "walker", category: str = "spam"
) -> uuid.UUID:
    """A case revision in ``state``, walked there one allowed step at a time."""
    case_id = uuid.uuid4()
    await db.execute(
        """INSERT INTO dispatch.reviewers (reviewer_id, name, languages, clearances, roles,
               exposure_cap) VALUES ($1, $1, '{fr}', '{spam}', '{reviewer}', 10)
           ON CONFLICT DO NOTHING""",
        reviewer,
    )
    await db.execute(
        """INSERT INTO dispatch.cases (case_id, revision, subject, category, screened_category,
               route, severity, confidence, qa_sample, report_count, reporter_count, languages,
               urgency, opened_at, due_at, state, verdict_id, verdict, updated_at,
               subject_key, rank_at)
           VALUES ($1, 1, $2, $3, $3, 'human_review', 'low', 0.5, false, 1, 1, '{fr}', 0.1,
                   now(), now() + interval '1 day', $4, $1, $5, now(), 'message:c1:m1', now())""",
        case_id,
        json.dumps({"kind": "message", "id": "m1", "chat_id": "c1"}),
        category,
        entry_state(state),
        json.dumps({"screeners": []}),
    )
    await move_case(db, case_id, state, reviewer=reviewer)
    return case_id


# --- The trigger, written to directly as the service's role -------------------------------


async def test_postgresql_refuses_every_change_of_state_the_lifecycle_refuses(
    base_settings: Settings, db: asyncpg.Connection
) -> None:
    service = await asyncpg.connect(base_settings.database_url_for("dispatch").get_secret_value())
    try:
        assert await service.fetchval("SELECT current_user") == "crible_dispatch"
        checked = 0
        for old, new in itertools.product(State, State):
            if old is new:
                continue
            waits_in = sorted(WAITING) if old in (State.LEASED, State.HELD) else [None]
            for waiting in waits_in:
                case_id = await seed_case(db, old.value)
                if waiting is not None:
                    await db.execute(
                        "UPDATE dispatch.cases SET waiting_state = $2 WHERE case_id = $1",
                        case_id,
                        waiting.value,
                    )
                allowed = (old, new) in allowed_pairs() and (
                    (old, new) not in returns() or new is waiting
                )
                update = """UPDATE dispatch.cases SET state = $2, leased_by = 'walker',
                                   lease_expires_at = now() + interval '5 minutes'
                            WHERE case_id = $1"""
                if allowed:
                    await service.execute(update, case_id, new.value)
                    assert (
                        await db.fetchval(
                            "SELECT state FROM dispatch.cases WHERE case_id = $1", case_id
                        )
                        == new.value
                    )
                else:
                    with pytest.raises(asyncpg.CheckViolationError):
                        await service.execute(update, case_id, new.value)
                checked += 1
        assert checked > 56
        # A case revision enters review as queued or dismissed, nothing else.
        for state in State:
            insert = """INSERT INTO dispatch.cases (case_id, revision, subject, category,
                   screened_category, route, severity, confidence, qa_sample, report_count,
                   reporter_count, languages, urgency, opened_at, due_at, state, verdict_id,
                   verdict, updated_at, subject_key, rank_at)
               VALUES ($1, 1, '{}', 'spam', 'spam', 'human_review', 'low', 0.5, false, 1, 1,
                       '{fr}', 0.1, now(), now(), $2, $1, '{}', now(), 'k', now())"""
            if state.value in ("queued", "dismissed"):
                await service.execute(insert, uuid.uuid4(), state.value)
            else:
                with pytest.raises(asyncpg.CheckViolationError):
                    await service.execute(insert, uuid.uuid4(), state.value)
        # And the service's role cannot take the trigger away.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await service.execute("ALTER TABLE dispatch.cases DISABLE TRIGGER cases_lifecycle")
    finally:
        await service.close()


# --- Every refused transition answers 409 with its code, never 500 -----------------------


@pytest.fixture
async def client(api_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    url = f"http://127.0.0.1:{api_settings.http_port}"
    async with running(DISPATCH, api_settings), httpx.AsyncClient(base_url=url) as http:
        await serving(f"{url}/openapi.json")
        yield http


REFUSALS: list[tuple[str, str, str, str]] = [
    # (move, the case's state, who asks, the code)
    ("decision", "dismissed", "reviewer", "case_dismissed"),
    ("decision", "queued", "reviewer", "not_leased"),
    ("decision", "decided", "reviewer", "not_leased"),
    ("decision", "held", "reviewer", "not_leased"),
    ("appeal", "dismissed", "platform", "case_dismissed"),
    ("appeal", "queued", "platform", "not_decided"),
    ("appeal", "appealed", "platform", "not_decided"),
    ("appeal", "appealed_decided", "platform", "already_appealed"),
    ("resume", "dismissed", "senior", "case_dismissed"),
    ("resume", "queued", "senior", "not_held"),
    ("resume", "decided", "senior", "not_held"),
    ("escalate", "dismissed", "reviewer", "case_dismissed"),
    ("escalate", "decided", "reviewer", "not_leased"),
    ("escalate", "escalated_leased", "senior", "already_escalated"),
    ("hold", "dismissed", "reviewer", "case_dismissed"),
    ("hold", "queued", "reviewer", "not_leased"),
    ("renew", "queued", "reviewer", "not_leased"),
    ("release", "dismissed", "reviewer", "case_dismissed"),
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: "-".join(r[:2]))
async def test_a_refused_transition_answers_409_with_its_code(
    client: httpx.AsyncClient, db: asyncpg.Connection, refusal: tuple[str, str, str, str]
) -> None:
    move, state, who, code = refusal
    headers = await add_reviewer(db, who, clearances=("spam",), roles=(who,))
    if state == "appealed_decided":  # appealed once, decided again
        case_id = await seed_case(db, "appealed", reviewer=who)
        await move_case(db, case_id, "decided", reviewer=who)
        await db.execute("UPDATE dispatch.cases SET appealed = true WHERE case_id = $1", case_id)
    elif state == "escalated_leased":  # escalated, then taken by a senior
        case_id = await seed_case(db, "escalated", reviewer=who)
        await db.execute(
            """UPDATE dispatch.cases SET state = 'leased', leased_by = $2, waiting_state =
                   'escalated', lease_expires_at = now() + interval '5 minutes'
               WHERE case_id = $1""",
            case_id,
            who,
        )
    else:
        case_id = await seed_case(db, state, reviewer=who)
    path = f"/v1/cases/{case_id}/1"
    bodies: dict[str, tuple[str, str, dict[str, Any] | None]] = {
        "decision": ("POST", f"{path}/decision", decision(reason="tos.spam.1")),
        "appeal": (
            "POST",
            f"{path}/appeal",
            {"reason": "unfair", "idempotency_key": str(uuid.uuid4())},
        ),
        "resume": ("POST", f"{path}/resume", None),
        "escalate": ("POST", f"{path}/escalate", {"reason": "unclear"}),
        "hold": ("POST", f"{path}/hold", {"reason": "waiting for context"}),
        "renew": ("POST", f"{path}/lease", None),
        "release": ("DELETE", f"{path}/lease", None),
    }
    method, url, body = bodies[move]
    answer = await client.request(method, url, json=body, headers=headers)
    assert (answer.status_code, answer.json().get("code")) == (409, code), answer.text
    before = await db.fetchval("SELECT state FROM dispatch.cases WHERE case_id = $1", case_id)
    assert before == {"appealed_decided": "decided", "escalated_leased": "leased"}.get(state, state)
    assert await db.fetchval("SELECT count(*) FROM dispatch.decisions") == 0
