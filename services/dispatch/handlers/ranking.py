"""Re-ranking the waiting cases that new reports or surge signals touch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.dispatch.core.ranking import rank
from services.dispatch.ports import Key, RankStore


async def rerank(store: RankStore, keys: Sequence[Key], now: datetime) -> int:
    """Recompute the urgency and rank of the waiting cases among ``keys``; how many.

    The case keeps its age (``opened_at``); its crowd, velocity and counts are re-read from
    its reports and surges.
    """
    waiting = await store.waiting(keys)
    if not waiting:
        return 0
    facts = await store.facts(
        [w.key for w in waiting], {w.key: w.reporter_count for w in waiting}, now
    )
    surges = await store.surges(w.subject_key for w in waiting)
    await store.save_ranks(
        [
            (
                w.key,
                rank(
                    severity=w.severity,
                    confidence=w.confidence,
                    report_count=w.report_count,
                    opened_at=w.opened_at,
                    facts=facts[w.key],
                    surges=surges.get(w.subject_key, (0, 0)),
                    now=now,
                ),
            )
            for w in waiting
        ]
    )
    return len(waiting)
