from __future__ import annotations

import doctest

import numpy as np
import numpy.typing as npt
import pytest

from services.prescreen.core import pdq_index
from services.prescreen.core.pdq_index import PdqIndex, pack, parse_pdq

Hashes = npt.NDArray[np.uint8]
Result = list[list[tuple[int, int]]]


def random_hashes(rng: np.random.Generator, n: int) -> Hashes:
    return rng.integers(0, 256, size=(n, 32), dtype=np.uint8)


def flip(hash_: Hashes, positions: list[int]) -> Hashes:
    """A copy of one hash with these bit positions (0..255, byte-major) flipped."""
    out = hash_.copy()
    for pos in positions:
        out[pos // 8] ^= np.uint8(1 << (pos % 8))
    return out


def spread(bits_per_substring: list[int]) -> list[int]:
    """Bit positions: that many bits in each 16-bit substring (2 bytes), in order."""
    return [16 * t + b for t, count in enumerate(bits_per_substring) for b in range(count)]


def brute_force(
    data: Hashes, ids: npt.NDArray[np.int64], queries: Hashes, max_distance: int
) -> Result:
    """The expected answer, by comparing every byte of every pair."""
    dist = np.bitwise_count(queries[:, None, :] ^ data[None, :, :]).sum(axis=-1)
    out: Result = []
    for row in dist:
        hits = np.flatnonzero(row <= max_distance)
        out.append(sorted(((int(ids[h]), int(row[h])) for h in hits), key=lambda p: (p[1], p[0])))
    return out


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.fixture
def planted(rng: np.random.Generator) -> tuple[Hashes, Hashes, dict[int, int]]:
    """Random data with, for query 0, hashes planted at chosen distances (row -> distance)."""
    data = random_hashes(rng, 20_000)
    queries = random_hashes(rng, 12)
    rows: dict[int, int] = {}
    for row, distance in enumerate([0, 1, 16, 30, 31, 32, 33, 40, 47, 48, 60]):
        positions = rng.choice(256, size=distance, replace=False).tolist()
        data[row] = flip(queries[0], positions)
        rows[row] = distance
    return data, queries, rows


def test_planted_distances_at_default_threshold(
    planted: tuple[Hashes, Hashes, dict[int, int]],
) -> None:
    data, queries, rows = planted
    hits = PdqIndex.build(data).query(queries[:1])[0]
    assert hits == sorted(((r, d) for r, d in rows.items() if d <= 31), key=lambda p: p[1])
    assert {d for _, d in hits} == {0, 1, 16, 30, 31}


@pytest.mark.parametrize("max_distance", [0, 1, 15, 16, 31, 32, 40, 47, 48, 60, 256])
def test_exact_against_brute_force(
    planted: tuple[Hashes, Hashes, dict[int, int]], max_distance: int
) -> None:
    data, queries, _ = planted
    ids = np.arange(len(data), dtype=np.int64) * 3 - 1_000  # ids that are not rows
    index = PdqIndex.build(data, ids)
    assert index.query(queries, max_distance) == brute_force(data, ids, queries, max_distance)


def test_worst_case_spreads_are_exact(rng: np.random.Generator) -> None:
    # 31 bits with 15 substrings at 2 differing bits: only the one 1-bit substring finds it.
    query = random_hashes(rng, 1)
    at_31 = flip(query[0], spread([2] * 15 + [1]))
    at_32 = flip(query[0], spread([2] * 16))
    at_47 = flip(query[0], spread([3] * 15 + [2]))
    data = np.concatenate([random_hashes(rng, 5_000), np.stack([at_31, at_32, at_47])])
    index = PdqIndex.build(data)
    assert index.query(query) == [[(5_000, 31)]]
    assert index.query(query, 32) == [[(5_000, 31), (5_001, 32)]]
    assert index.query(query, 47) == [[(5_000, 31), (5_001, 32), (5_002, 47)]]


def test_skewed_buckets_and_small_candidate_batches(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real hashes cluster: make every substring value come from a tiny set of values.
    data = rng.choice(np.array([0, 1, 255], dtype=np.uint8), size=(3_000, 32))
    queries = np.concatenate([data[:5], random_hashes(rng, 3)])
    ids = np.arange(len(data), dtype=np.int64)
    monkeypatch.setattr(pdq_index, "_CANDIDATE_BUDGET", 1_000)
    result = PdqIndex.build(data).query(queries, 40)
    assert result == brute_force(data, ids, queries, 40)


def test_ties_sorted_by_distance_then_id(rng: np.random.Generator) -> None:
    query = random_hashes(rng, 1)
    same = np.repeat(query, 3, axis=0)
    near = flip(query[0], [5])[None, :]
    data = np.concatenate([near, same, random_hashes(rng, 100)])
    ids = np.array([1, 9, 4, 6, *range(100, 200)], dtype=np.int64)
    assert PdqIndex.build(data, ids).query(query) == [[(4, 0), (6, 0), (9, 0), (1, 1)]]


def test_add_and_remove_at_run_time(rng: np.random.Generator) -> None:
    data = random_hashes(rng, 2_000)
    index = PdqIndex.build(data)
    extra = random_hashes(rng, 10)
    index.add(extra, np.arange(10_000, 10_010, dtype=np.int64))
    assert len(index) == 2_010
    assert index.unindexed == 10
    assert index.query(extra[:2]) == [[(10_000, 0)], [(10_001, 0)]]

    assert index.remove(np.array([10_000, 5, 123_456], dtype=np.int64)) == 2
    assert len(index) == 2_008
    assert index.query(np.stack([extra[0], data[5], data[6]])) == [[], [], [(6, 0)]]
    assert index.remove(np.array([5], dtype=np.int64)) == 0  # already gone

    # A removed id can come back, with another hash.
    index.add(data[7:8], np.array([5], dtype=np.int64))
    assert index.query(data[7:8]) == [[(5, 0), (7, 0)]]


def test_remove_counts_each_live_id_once(rng: np.random.Generator) -> None:
    ids = np.array([10, 20, 30], dtype=np.int64)
    index = PdqIndex.build(random_hashes(rng, 3), ids)
    # 15 is absent and sorts just before 20; 30 is asked twice.
    assert index.remove(np.array([15, 20, 30, 30, 99], dtype=np.int64)) == 2
    assert len(index) == 1
    assert index.remove(np.array([20, 30], dtype=np.int64)) == 0
    assert len(index) == 1


def test_add_rejects_live_and_duplicate_ids(rng: np.random.Generator) -> None:
    index = PdqIndex.build(random_hashes(rng, 100))
    with pytest.raises(ValueError, match="already in the index"):
        index.add(random_hashes(rng, 1), np.array([42], dtype=np.int64))
    index.add(random_hashes(rng, 1), np.array([500], dtype=np.int64))
    with pytest.raises(ValueError, match="already in the index"):
        index.add(random_hashes(rng, 1), np.array([500], dtype=np.int64))
    with pytest.raises(ValueError, match="duplicate ids"):
        index.add(random_hashes(rng, 2), np.array([600, 600], dtype=np.int64))
    with pytest.raises(ValueError, match="duplicate ids"):
        PdqIndex.build(random_hashes(rng, 2), np.array([1, 1], dtype=np.int64))
    with pytest.raises(ValueError, match="ids must be"):
        index.add(random_hashes(rng, 2), np.array([700], dtype=np.int64))


def test_compact_keeps_results(planted: tuple[Hashes, Hashes, dict[int, int]]) -> None:
    data, queries, _ = planted
    # Few enough additions and removals (<= 1,024 each) not to compact by themselves.
    index = PdqIndex.build(data[:19_200])
    index.add(data[19_200:], np.arange(19_200, 20_000, dtype=np.int64))
    index.remove(np.arange(0, 20_000, 20, dtype=np.int64))
    before = index.query(queries, 40)
    size, unindexed = len(index), index.unindexed
    index.compact()
    assert index.unindexed == 0
    assert len(index) == size
    assert index.query(queries, 40) == before
    live = np.setdiff1d(np.arange(20_000), np.arange(0, 20_000, 20))
    assert before == brute_force(data[live], live, queries, 40)
    assert unindexed == 760  # 800 added, 40 of them removed again


def test_auto_compaction(rng: np.random.Generator) -> None:
    index = PdqIndex.build(random_hashes(rng, 1_000))
    index.add(random_hashes(rng, 500), np.arange(1_000, 1_500, dtype=np.int64))
    assert index.unindexed == 500
    more = random_hashes(rng, 600)
    index.add(more, np.arange(1_500, 2_100, dtype=np.int64))  # past 1,024 unindexed
    assert index.unindexed == 0
    assert len(index) == 2_100
    assert index.query(more[:1]) == [[(1_500, 0)]]
    index.remove(np.arange(0, 1_100, dtype=np.int64))  # past 1,024 removed: rebuilt
    assert len(index) == 1_000
    assert index.nbytes() == PdqIndex.estimate_nbytes(1_000)


def test_empty_index_and_batches_of_one_and_zero(rng: np.random.Generator) -> None:
    queries = random_hashes(rng, 3)
    for index in (PdqIndex(), PdqIndex.build(np.empty((0, 32), dtype=np.uint8))):
        assert len(index) == 0
        assert index.query(queries) == [[], [], []]
        assert index.query(queries, 100) == [[], [], []]
        assert index.remove(np.array([1], dtype=np.int64)) == 0
        index.add(queries[:1], np.array([8], dtype=np.int64))
        assert index.query(queries[:1]) == [[(8, 0)]]
        assert index.query(np.empty((0, 32), dtype=np.uint8)) == []
        index.compact()
        assert index.query(queries[:1]) == [[(8, 0)]]


def test_query_rejects_bad_input(rng: np.random.Generator) -> None:
    index = PdqIndex.build(random_hashes(rng, 10))
    with pytest.raises(ValueError, match="max_distance"):
        index.query(random_hashes(rng, 1), -1)
    with pytest.raises(ValueError, match=r"\(n, 32\) uint8"):
        index.query(np.zeros(32, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"\(n, 32\) uint8"):
        index.query(np.zeros((1, 32), dtype=np.int64))


def test_parse_pdq() -> None:
    text = "0123456789abcdef" * 4
    parsed = parse_pdq(text)
    assert parsed is not None
    assert parsed.dtype == np.uint8
    assert parsed.shape == (32,)
    assert bytes(parsed).hex() == text
    upper = parse_pdq(text.upper())
    assert upper is not None
    assert np.array_equal(upper, parsed)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "f" * 63,
        "f" * 65,
        "g" + "f" * 63,
        "0x" + "f" * 62,
        "f" * 63 + "\n",
        " " + "f" * 63,
        "ff " * 21 + "f",
        "\u0660" * 64,
    ],  # Arabic-Indic zeros: digits, not hex,
)
def test_parse_pdq_rejects_malformed(bad: str) -> None:
    assert parse_pdq(bad) is None


def test_pack() -> None:
    hashes = np.arange(64, dtype=np.uint8).reshape(2, 32)
    packed = pack(hashes)
    assert packed.shape == (2, 4)
    assert packed.dtype == np.uint64
    assert np.array_equal(packed.view(np.uint8).reshape(2, 32), hashes)
    with pytest.raises(ValueError, match=r"\(n, 32\) uint8"):
        pack(np.zeros((2, 31), dtype=np.uint8))


def test_memory_estimate() -> None:
    assert PdqIndex.estimate_nbytes(10_000_000) < 2 * 1024**3
    assert doctest.testmod(pdq_index).failed == 0
