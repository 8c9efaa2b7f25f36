"""One lease rule: the queue's SQL and ``reviewers.eligible`` agree on generated cases.

``queue.next_case`` is the rule that runs (one statement, an index walk); ``eligible`` is the
same rule in Python, which the review state machine uses. For seeded random queues and
reviewers (clearances, languages and their subtags, roles, escalations, second reviews,
appeals, earlier deciders, graphic exposure and caps), the case ``next_case`` leases is the
first one by rank that ``eligible`` admits, or none when it admits none.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.dispatch.adapters.postgres import queue
from services.dispatch.core.reviewers import CaseTraits, Reviewer, Role, eligible
from shared.events.reports import Category
from tests.integration.dispatch.rows import move_case

pytestmark = pytest.mark.integration

CATEGORIES = [
    Category.SPAM,
    Category.HATE_SPEECH,
    Category.CHILD_SEXUAL_ABUSE,
    Category.SELF_HARM,
    Category.TERRORISM,
]
LANGUAGES = ["fr", "en", "de", "fr-CA", "EN-gb"]
STATES = ["queued", "escalated", "awaiting_second_review", "appealed"]


async def _reviewer(db: asyncpg.Connection, rng: random.Random, n: int) -> Reviewer:
    reviewer = Reviewer(
        id=f"gen-{n}",
        name=f"gen-{n}",
        languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
        clearances=frozenset(rng.sample(CATEGORIES, rng.randint(1, 4))),
        roles=frozenset({rng.choice([Role.REVIEWER, Role.REVIEWER, Role.SENIOR, Role.ADMIN])}),
        exposure_cap=rng.choice([0, 1, 2, 40]),
    )
    await db.execute(
        """INSERT INTO dispatch.reviewers (reviewer_id, name, languages, clearances, roles,
               exposure_cap) VALUES ($1, $1, $2, $3, $4, $5)""",
        reviewer.id,
        sorted(reviewer.languages),
        sorted(c.value for c in reviewer.clearances),
        sorted(r.value for r in reviewer.roles),
        reviewer.exposure_cap,
    )
    return reviewer


async def _case(
    db: asyncpg.Connection, rng: random.Random, rank: datetime, deciders: list[str]
) -> tuple[uuid.UUID, CaseTraits, set[str]]:
    case_id = uuid.uuid4()
    category = rng.choice(CATEGORIES)
    languages = frozenset(rng.sample(LANGUAGES, rng.randint(0, 2)))
    state = rng.choice(STATES)
    await db.execute(
        """INSERT INTO dispatch.cases (case_id, revision, subject, category, screened_category,
               route, severity, confidence, qa_sample, report_count, reporter_count, languages,
               urgency, opened_at, due_at, state, verdict_id, verdict, updated_at,
               subject_key, rank_at)
           VALUES ($1, 1, $2, $3, $3, 'human_review', 'low', 0.5, false, 1, 1, $4, 0.1,
                   now(), now() + interval '1 day', 'queued', $1, '{}', now(), 'k', $5)""",
        case_id,
        json.dumps({"kind": "message", "id": "m", "chat_id": "c"}),
        category.value,
        sorted(languages),
        rank,
    )
    decided: set[str] = set()
    original = None
    if state in ("awaiting_second_review", "appealed"):
        original = rng.choice(deciders)
        decided.add(original)
        await db.execute(
            """INSERT INTO dispatch.decisions (decision_id, case_id, revision, reviewer_id,
                   outcome, policy_reason, explanation, final, decided_at)
               VALUES ($1, $2, 1, $3, 'remove_content', 'tos.spam.1', '', $4, now())""",
            uuid.uuid4(),
            case_id,
            original,
            state == "appealed",
        )
    await move_case(db, case_id, state, reviewer=deciders[0])
    traits = CaseTraits(
        category=category,
        languages=languages,
        escalated=state == "escalated",
        appeal=state == "appealed",
        original_decider=original if state == "appealed" else None,
    )
    return case_id, traits, decided


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
async def test_next_case_leases_the_first_case_by_rank_that_eligible_admits(
    db: asyncpg.Connection, seed: int
) -> None:
    rng = random.Random(seed)
    reviewers = [await _reviewer(db, rng, n) for n in range(30)]
    exposure = {}
    for reviewer in reviewers:
        exposure[reviewer.id] = rng.randint(0, 2)
        for _ in range(exposure[reviewer.id]):
            await db.execute(
                """INSERT INTO dispatch.exposures (reviewer_id, case_id, revision, shown_at)
                   VALUES ($1, $2, 1, now() - interval '1 hour')""",
                reviewer.id,
                uuid.uuid4(),
            )
    start = datetime.now(UTC) - timedelta(days=1)
    ids = [r.id for r in reviewers]
    cases = [await _case(db, rng, start + timedelta(minutes=i), ids) for i in range(25)]
    agreed = {"some": 0, "none": 0}
    for reviewer in reviewers:
        expected = next(
            (
                case_id
                for case_id, traits, decided in cases
                if eligible(
                    reviewer,
                    traits,
                    exposure_used=exposure[reviewer.id],
                    previous_deciders=decided,
                )
            ),
            None,
        )
        transaction = db.transaction()
        await transaction.start()
        try:
            row = await queue.next_case(db, reviewer)
        finally:
            await transaction.rollback()
        got = None if row is None else row["case_id"]
        assert got == expected, (seed, reviewer)
        agreed["none" if got is None else "some"] += 1
    # The generated cases exercise both answers.
    assert agreed["some"] > 0
    assert agreed["none"] > 0
