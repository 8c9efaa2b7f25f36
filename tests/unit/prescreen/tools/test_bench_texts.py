"""The throughput benchmark's texts never repeat, so no cache of whole texts inflates it."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np

from services.prescreen.tools.bench import _case_event


def test_the_benchmarks_case_texts_are_all_different() -> None:
    rng = random.Random(3)  # the throughput phase's seed
    bank = np.zeros((4, 32), dtype=np.uint8)
    events = [_case_event(rng, bank) for _ in range(20_000)]
    texts = [
        t
        for e in events
        for r in e["new_reports"]
        for t in (r["text"], r["evidence"]["message_excerpt"])
    ]
    assert len(set(texts)) == len(texts) == 40_000
    languages = Counter(r["reporter_language"] for e in events for r in e["new_reports"])
    assert set(languages) == {"fr", "en"}
    assert min(languages.values()) > 9_000
