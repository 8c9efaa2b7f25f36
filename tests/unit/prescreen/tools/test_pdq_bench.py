from __future__ import annotations

from services.prescreen.tools.pdq_bench import measure


def test_measure_small() -> None:
    result = measure(5_000, 300, seed=3)
    assert result["planted_recall"] == 1.0
    assert result["brute_force_agreement"] == 1.0
    assert result["faiss_agreement"] == 1.0
    assert result["pdq_index_ms_per_query"] > 0
