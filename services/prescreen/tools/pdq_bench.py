"""The PDQ index's benchmark: against faiss's exhaustive search on the same random hashes.

Run by ``crible bench prescreen`` beside the pipeline's figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from services.prescreen.core.pdq_index import (
    DEFAULT_MAX_DISTANCE,
    HASH_BYTES,
    Hashes,
    Match,
    PdqIndex,
    brute_force_matches,
    group_matches,
)

_R = TypeVar("_R")


def _random_hashes(rng: np.random.Generator, n: int) -> Hashes:
    """Uniformly random hashes, n of them."""
    return rng.integers(0, 256, size=(n, HASH_BYTES), dtype=np.uint8)


def _flip_bits(rng: np.random.Generator, hashes: Hashes, bits: int) -> Hashes:
    """Copies of the hashes, each with ``bits`` distinct random bits flipped."""
    out = hashes.copy()
    for row in out:
        flips = rng.choice(HASH_BYTES * 8, size=bits, replace=False)
        np.bitwise_xor.at(row, flips // 8, (1 << (flips % 8)).astype(np.uint8))
    return out


def _timed_batches(
    search: Callable[[Hashes], _R], queries: Hashes, batch: int
) -> tuple[float, list[_R]]:
    """Seconds taken by ``search`` over the queries in batches, and its result per batch."""
    started = time.perf_counter()
    results = [search(queries[lo : lo + batch]) for lo in range(0, len(queries), batch)]
    return time.perf_counter() - started, results


def measure(n: int, queries: int, *, seed: int = 0) -> dict[str, float]:
    """Benchmark the index against faiss's exhaustive IndexBinaryFlat on the same data.

    Builds an index of n random hashes in which, for each query, one hash is planted at
    distance 30 from it; times both in batches of 256 queries; checks the index's results
    against a numpy brute force on the first 64 queries and against faiss's range search
    (distance < 32) on all of them. Agreements and recall are fractions of queries.
    """
    import faiss  # noqa: PLC0415 - a benchmark-only dependency (the "local" extra)

    rng = np.random.default_rng(seed)
    query_hashes = _random_hashes(rng, queries)
    data = _random_hashes(rng, n)
    planted = min(queries, n)
    data[:planted] = _flip_bits(rng, query_hashes[:planted], 30)

    started = time.perf_counter()
    index = PdqIndex.build(data)
    build_s = time.perf_counter() - started
    flat = faiss.IndexBinaryFlat(HASH_BYTES * 8)
    flat.add(data)

    batch = 256
    index.query(query_hashes[:batch])  # warm both up: first-touch page faults, thread pools
    flat.range_search(query_hashes[:batch], DEFAULT_MAX_DISTANCE + 1)
    ours_s, ours_batches = _timed_batches(index.query, query_hashes, batch)
    faiss_s, faiss_batches = _timed_batches(
        lambda q: _faiss_matches(flat.range_search(q, DEFAULT_MAX_DISTANCE + 1)),
        query_hashes,
        batch,
    )
    ours = [hits for part in ours_batches for hits in part]
    theirs = [hits for part in faiss_batches for hits in part]

    found = sum(any(i == q for i, _ in hits) for q, hits in enumerate(ours[:planted]))
    return {
        "n": float(n),
        "queries": float(queries),
        "build_s": build_s,
        "pdq_index_ms_per_query": 1000 * ours_s / max(1, queries),
        "faiss_flat_ms_per_query": 1000 * faiss_s / max(1, queries),
        "planted_recall": found / max(1, planted),
        "brute_force_agreement": _agreement(ours, brute_force_matches(data, query_hashes[:64])),
        "faiss_agreement": _agreement(ours, theirs),
        "nbytes": float(index.nbytes()),
        "nbytes_estimate_10m": float(PdqIndex.estimate_nbytes(10_000_000)),
    }


def _faiss_matches(
    result: tuple[npt.NDArray[np.uint64], npt.NDArray[np.int32], npt.NDArray[np.int64]],
) -> list[list[Match]]:
    """A faiss range search result ``(lims, distances, ids)`` as :meth:`PdqIndex.query` gives."""
    lims, dist, ids = result
    m = len(lims) - 1
    bounds = lims.astype(np.int64)
    qi = np.repeat(np.arange(m), bounds[1:] - bounds[:-1])
    return group_matches(m, qi, ids.astype(np.int64), dist.astype(np.int64))


def _agreement(ours: list[list[Match]], expected: list[list[Match]]) -> float:
    """The fraction of the expected queries' results that ours equal."""
    same = sum(a == b for a, b in zip(ours, expected, strict=False))
    return same / max(1, len(expected))
