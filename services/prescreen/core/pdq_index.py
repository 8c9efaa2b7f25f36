"""An exact Hamming-distance index of PDQ perceptual hashes, in pure numpy.

A PDQ hash has 256 bits, written as 64 hex characters; two images match when their hashes
differ in at most ``max_distance`` bits (31 by default, the usual PDQ threshold).

Multi-index hashing: every hash is cut into 16 substrings of 16 bits, and each of the 16
tables maps a substring value to the rows holding it. If two hashes differ in at most 31
bits, one of their 16 substrings differs in at most 1 bit (pigeonhole: 16 substrings of 2
or more differing bits would make 32), so probing every table with the query's substring
and its 16 one-bit neighbours finds every match. The candidates are then verified with the
exact distance (a popcount of the XOR of the four 64-bit words), so nothing beyond
``max_distance`` is reported and recall is exact.

Larger thresholds stay exact: ``max_distance`` d needs the neighbours within
``d // 16`` bits of each substring. Up to 47 (radius 2: 137 probes a table, about 8 times
the work) the index is still probed; from 48 on the probes would approach the whole index,
so every live hash is compared instead (an exhaustive scan: as exact, and about 30 times
slower at 1M hashes).

Recent additions (at most 50,000 before an automatic compaction) are scanned exhaustively
too, about 0.25 ms a query at the cap; removed rows are skipped when verified.

Memory: the hashes once as ``(n, 4)`` uint64 (32 bytes), their first 128 bits again for the
candidate filter (16 bytes), the ids as int64 (8 bytes), a live flag (1 byte), and per table
the rows sorted by substring value as int32 (16 x 4 = 64 bytes) plus 65,537 int64 offsets per
table: 121 bytes a hash, about 1.22 GB for 10,000,000 hashes (see
:meth:`PdqIndex.estimate_nbytes`).

Hashes are packed in the machine's byte order: only the distances between packed hashes
mean anything, not the integer values of the words.
"""

from __future__ import annotations

import itertools
import re
from typing import Final

import numpy as np
import numpy.typing as npt

HASH_BYTES: Final = 32
WORDS: Final = 4  # uint64 words a hash
HEAD_WORDS: Final = 2  # the words candidates are filtered on first
TABLES: Final = 16  # substrings a hash, one table each
KEYS: Final = 1 << 16  # values of a 16-bit substring
DEFAULT_MAX_DISTANCE: Final = 31
MAX_PROBE_DISTANCE: Final = 47  # beyond, an exhaustive scan is cheaper than radius-3 probes

# Candidates gathered at once: bounds the temporaries (about 100 bytes a candidate).
_CANDIDATE_BUDGET: Final = 1 << 21
# Query x row pairs compared at once by the exhaustive scan (32 bytes a pair).
_SCAN_BUDGET: Final = 1 << 20
# Auto-compaction: unindexed additions above 1% of the index, capped at 50,000 but never
# below 1,024 so that a small index is not rebuilt on every addition.
_RECENT_MIN: Final = 1_024
_RECENT_MAX: Final = 50_000
# Removed rows still cost memory and candidates: rebuild when they pass 10% of the rows.
_DEAD_FRACTION: Final = 10

_HEX = re.compile(r"[0-9a-f]{64}")

Hashes = npt.NDArray[np.uint8]  # (n, 32)
Packed = npt.NDArray[np.uint64]  # (n, 4)
Ids = npt.NDArray[np.int64]
Match = tuple[int, int]  # (id, distance)


def parse_pdq(hex_str: str) -> npt.NDArray[np.uint8] | None:
    """The 32 bytes of a hex PDQ hash, or None unless it is exactly 64 hex characters.

    Uppercase is accepted (hex is case-insensitive); whitespace and prefixes are not.
    """
    text = hex_str.lower()
    if _HEX.fullmatch(text) is None:
        return None
    return np.frombuffer(bytes.fromhex(text), dtype=np.uint8).copy()


def pack(hashes: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """``(n, 32)`` uint8 hashes as ``(n, 4)`` uint64 words, for fast popcounts."""
    arr = _check_hashes(hashes)
    return np.ascontiguousarray(arr).view(np.uint64)


def _check_hashes(hashes: npt.NDArray[np.uint8]) -> Hashes:
    """The hashes, after checking they are an ``(n, 32)`` uint8 array."""
    arr = np.asarray(hashes)
    if arr.dtype != np.uint8 or arr.ndim != 2 or arr.shape[1] != HASH_BYTES:
        raise ValueError(f"hashes must be (n, 32) uint8, got {arr.shape} {arr.dtype}")
    return arr


def _check_ids(ids: npt.NDArray[np.int64], count: int) -> Ids:
    """The ids as int64, after checking there is one per hash and none twice."""
    arr = np.asarray(ids)
    if arr.ndim != 1 or arr.shape[0] != count or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"ids must be {count} integers, got {arr.shape} {arr.dtype}")
    out = arr.astype(np.int64)
    ordered = np.sort(out)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    if twice.size:
        raise ValueError(f"duplicate ids: {twice[:5].tolist()}")
    return out


def _substrings(packed: Packed) -> npt.NDArray[np.uint16]:
    """The 16 substrings of 16 bits of each hash, ``(n, 16)``."""
    return packed.view(np.uint16)


def _popcount(xored: Packed) -> npt.NDArray[np.uint16]:
    """The set bits of each hash of a ``(..., 4)`` array: Hamming distances, once XORed.

    Summed by hand: two words' counts (at most 128) fit a uint8, the four need a uint16,
    and this is several times faster than ``sum(axis=-1)``.
    """
    counts: npt.NDArray[np.uint8] = np.bitwise_count(xored)
    low = counts[..., 0] + counts[..., 1]
    high = counts[..., 2] + counts[..., 3]
    return low.astype(np.uint16) + high


def _probe_masks(max_distance: int) -> npt.NDArray[np.uint16]:
    """The XOR masks of the probes: every 16-bit value of at most ``d // 16`` bits."""
    radius = max_distance // TABLES
    values = np.arange(KEYS, dtype=np.uint32)
    return values[np.bitwise_count(values) <= radius].astype(np.uint16)


def _scan(queries: Packed, hashes: Packed, max_distance: int) -> tuple[Ids, Ids, Ids]:
    """Exhaustive search: (query index, row, distance) of every pair within the distance."""
    if queries.shape[0] == 0 or hashes.shape[0] == 0:
        return _empty_triple()
    found: list[tuple[Ids, Ids, Ids]] = []
    step = max(1, _SCAN_BUDGET // queries.shape[0])
    for start in range(0, hashes.shape[0], step):
        dist = _block_distances(queries, hashes[start : start + step])
        qi, rows = np.nonzero(dist <= max_distance)
        found.append((qi.astype(np.int64), rows + start, dist[qi, rows].astype(np.int64)))
    return _concat(found)


def _block_distances(queries: Packed, block: Packed) -> npt.NDArray[np.uint16]:
    """The ``(m, b)`` distances of m queries to b hashes.

    Word by word into one reused buffer: 2-3 times faster than XORing ``(m, b, 4)`` at once.
    """
    columns = np.ascontiguousarray(block.T)
    xored = np.bitwise_xor.outer(queries[:, 0], columns[0])
    dist: npt.NDArray[np.uint16] = np.bitwise_count(xored).astype(np.uint16)
    for word in range(1, WORDS):
        np.bitwise_xor.outer(queries[:, word], columns[word], out=xored)
        dist += np.bitwise_count(xored)
    return dist


def _empty_triple() -> tuple[Ids, Ids, Ids]:
    """Three empty int64 arrays: no match."""
    empty = np.empty(0, dtype=np.int64)
    return empty, empty, empty


def _concat(parts: list[tuple[Ids, Ids, Ids]]) -> tuple[Ids, Ids, Ids]:
    """The triples of several searches, end to end."""
    if not parts:
        return _empty_triple()
    a, b, c = zip(*parts, strict=True)
    return np.concatenate(a), np.concatenate(b), np.concatenate(c)


def group_matches(m: int, qi: Ids, ids: Ids, dist: Ids) -> list[list[Match]]:
    """One list per query of its (id, distance) pairs, by distance then id."""
    order = np.lexsort((ids, dist, qi))
    qi, ids, dist = qi[order], ids[order], dist[order]
    bounds = np.searchsorted(qi, np.arange(m + 1)).tolist()
    id_list, dist_list = ids.tolist(), dist.tolist()
    return [
        list(zip(id_list[lo:hi], dist_list[lo:hi], strict=True))
        for lo, hi in itertools.pairwise(bounds)
    ]


class PdqIndex:
    """Exact Hamming search over PDQ hashes, with additions and removals at run time.

    Rows are kept sorted by id so that an id is found by binary search without a map.
    Additions go to a small unindexed array searched exhaustively, removals clear a live
    flag; :meth:`compact` folds both into fresh tables, and runs by itself when either
    grows too large. Not safe for concurrent mutation.
    """

    def __init__(self) -> None:
        """An empty index; see :meth:`build`."""
        self._load(np.empty((0, WORDS), dtype=np.uint64), np.empty(0, dtype=np.int64))

    @classmethod
    def build(
        cls, hashes: npt.NDArray[np.uint8], ids: npt.NDArray[np.int64] | None = None
    ) -> PdqIndex:
        """An index of ``(n, 32)`` uint8 hashes; ids default to ``0..n-1`` and are unique."""
        packed = pack(hashes)
        count = packed.shape[0]
        id_arr = np.arange(count, dtype=np.int64) if ids is None else _check_ids(ids, count)
        index = cls()
        index._load(packed, id_arr)
        return index

    @staticmethod
    def estimate_nbytes(n: int) -> int:
        """The bytes of an index of n hashes, all indexed.

        >>> PdqIndex.estimate_nbytes(10_000_000)
        1218388736
        >>> PdqIndex.estimate_nbytes(10_000_000) < 2 * 1024**3
        True
        """
        # words, their first half again (the filter), id, live flag, table rows
        per_hash = WORDS * 8 + HEAD_WORDS * 8 + 8 + 1 + TABLES * 4
        return n * per_hash + TABLES * (KEYS + 1) * 8

    def _load(self, packed: Packed, ids: Ids) -> None:
        """Index these hashes (ids unique), dropping any recent addition or removal."""
        if packed.shape[0] > np.iinfo(np.int32).max:
            raise ValueError("too many hashes for int32 table rows")
        if ids.size < 2 or bool(np.all(ids[:-1] < ids[1:])):
            # Already in id order (a bulk load): no copy, which at 10M hashes is 320 MB.
            self._hashes: Packed = np.ascontiguousarray(packed)
        else:
            by_id = np.argsort(ids, kind="stable")
            self._hashes = np.ascontiguousarray(packed[by_id])
            ids = ids[by_id]
        # The first 128 bits again, contiguous: candidates are filtered on them first (a
        # random candidate is never within 31 bits on 128 of them), so the full hashes of
        # only the few that pass are read.
        self._head: Packed = np.ascontiguousarray(self._hashes[:, :HEAD_WORDS])
        self._ids: Ids = ids
        self._live = np.ones(len(ids), dtype=np.bool_)
        self._dead = 0
        self._rows, self._offsets = self._tables(self._hashes)
        self._recent_hashes: Packed = np.empty((0, WORDS), dtype=np.uint64)
        self._recent_ids: Ids = np.empty(0, dtype=np.int64)

    @staticmethod
    def _tables(packed: Packed) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
        """Per table, the rows sorted by substring, and where each substring's rows start.

        Both are flat over the tables, so one lookup serves every (table, key) probe: the
        rows of key k in table t are ``rows[offsets[t * 65537 + k] : ...[t * 65537 + k + 1]]``.
        """
        n = packed.shape[0]
        subs = _substrings(packed)
        rows = np.empty((TABLES, n), dtype=np.int32)
        offsets = np.empty((TABLES, KEYS + 1), dtype=np.int64)
        for t in range(TABLES):
            column = np.ascontiguousarray(subs[:, t])
            rows[t] = np.argsort(column, kind="stable")  # radix sort for 16-bit keys
            offsets[t, 0] = t * n
            np.cumsum(np.bincount(column, minlength=KEYS), out=offsets[t, 1:])
            offsets[t, 1:] += t * n
        return rows.reshape(-1), offsets.reshape(-1)

    def nbytes(self) -> int:
        """The bytes held by the index's arrays, recent additions included."""
        arrays: list[npt.NDArray[np.generic]] = [
            self._hashes,
            self._head,
            self._ids,
            self._live,
            self._rows,
            self._offsets,
            self._recent_hashes,
            self._recent_ids,
        ]
        return sum(a.nbytes for a in arrays)

    def __len__(self) -> int:
        """The live hashes: indexed and not removed, plus recent additions."""
        return len(self._ids) - self._dead + len(self._recent_ids)

    def live_ids(self) -> Ids:
        """The ids of every live hash."""
        return np.concatenate([self._ids[self._live], self._recent_ids])

    @property
    def unindexed(self) -> int:
        """Recent additions not yet in the tables (searched exhaustively)."""
        return len(self._recent_ids)

    def _find_rows(self, ids: Ids) -> npt.NDArray[np.intp]:
        """The live indexed rows of these ids; ids not indexed or removed are skipped."""
        wanted = np.unique(ids)  # an id asked twice is one row
        pos: npt.NDArray[np.intp] = np.searchsorted(self._ids, wanted)
        inside = pos < len(self._ids)
        pos, wanted = pos[inside], wanted[inside]
        # Compared one to one: an absent id lands on its successor, which may be wanted too.
        pos = pos[self._ids[pos] == wanted]
        return pos[self._live[pos]]

    def add(self, hashes: npt.NDArray[np.uint8], ids: npt.NDArray[np.int64]) -> None:
        """Add hashes under new ids (an id already live is an error).

        They are searchable at once, and indexed at the next compaction.
        """
        packed = pack(hashes)
        id_arr = _check_ids(ids, packed.shape[0])
        taken = np.concatenate(
            [
                self._ids[self._find_rows(id_arr)],
                self._recent_ids[np.isin(self._recent_ids, id_arr)],
            ]
        )
        if taken.size:
            raise ValueError(f"ids already in the index: {taken[:5].tolist()}")
        self._recent_hashes = np.concatenate([self._recent_hashes, packed])
        self._recent_ids = np.concatenate([self._recent_ids, id_arr])
        self._maybe_compact()

    def remove(self, ids: npt.NDArray[np.int64]) -> int:
        """Remove the hashes of these ids; ids not in the index are ignored.

        Returns how many hashes were removed.
        """
        id_arr = np.asarray(ids, dtype=np.int64).reshape(-1)
        rows = self._find_rows(id_arr)
        self._live[rows] = False
        self._dead += len(rows)
        keep = ~np.isin(self._recent_ids, id_arr)
        dropped = len(keep) - int(keep.sum())
        self._recent_hashes = self._recent_hashes[keep]
        self._recent_ids = self._recent_ids[keep]
        self._maybe_compact()
        return len(rows) + dropped

    def compact(self) -> None:
        """Rebuild the tables from the live hashes and the recent additions."""
        self._load(
            np.concatenate([self._hashes[self._live], self._recent_hashes]),
            np.concatenate([self._ids[self._live], self._recent_ids]),
        )

    def _maybe_compact(self) -> None:
        """Compact when recent additions or removed rows have grown too many."""
        indexed = len(self._ids)
        recent_limit = max(_RECENT_MIN, min(_RECENT_MAX, indexed // 100))
        dead_limit = max(_RECENT_MIN, indexed // _DEAD_FRACTION)
        if self.unindexed > recent_limit or self._dead > dead_limit:
            self.compact()

    def query(
        self, queries: npt.NDArray[np.uint8], max_distance: int = DEFAULT_MAX_DISTANCE
    ) -> list[list[Match]]:
        """For each ``(m, 32)`` uint8 query, the (id, distance) pairs within ``max_distance``.

        Each list is sorted by distance then id. The batch is searched together: send many
        queries at once.
        """
        if max_distance < 0:
            raise ValueError("max_distance must be >= 0")
        packed = pack(queries)
        m = packed.shape[0]
        if max_distance > MAX_PROBE_DISTANCE:
            qi, rows, dist = _scan(packed, self._hashes, max_distance)
        else:
            qi, rows, dist = self._probe(packed, max_distance)
        alive = self._live[rows]
        qi, ids, dist = qi[alive], self._ids[rows[alive]], dist[alive]
        rqi, rrows, rdist = _scan(packed, self._recent_hashes, max_distance)
        return group_matches(
            m,
            np.concatenate([qi, rqi]),
            np.concatenate([ids, self._recent_ids[rrows]]),
            np.concatenate([dist, rdist]),
        )

    def _probe(self, queries: Packed, max_distance: int) -> tuple[Ids, Ids, Ids]:
        """(query index, row, distance) of the indexed rows within the distance, once each."""
        if queries.shape[0] == 0:
            return _empty_triple()
        masks = _probe_masks(max_distance)
        # Flat (table, key) positions of every probe of every query: (m, 16 * probes).
        keys = _substrings(queries)[:, :, None] ^ masks[None, None, :]
        slots = keys.astype(np.int64) + (np.arange(TABLES, dtype=np.int64) * (KEYS + 1))[:, None]
        slots = slots.reshape(queries.shape[0], -1)
        starts = self._offsets[slots]
        lengths = self._offsets[slots + 1] - starts
        found = [
            self._verify(queries, starts[lo:hi], lengths[lo:hi], lo, max_distance)
            for lo, hi in _batches(lengths.sum(axis=1), _CANDIDATE_BUDGET)
        ]
        qi, rows, dist = _concat(found)
        # A row can be a candidate in several tables: keep one (query, row) pair.
        _, first = np.unique(qi * max(1, len(self._ids)) + rows, return_index=True)
        return qi[first], rows[first], dist[first]

    def _verify(
        self,
        queries: Packed,
        starts: Ids,
        lengths: Ids,
        first_query: int,
        max_distance: int,
    ) -> tuple[Ids, Ids, Ids]:
        """Gather the candidates of some queries' probes and keep those within the distance.

        The bucket slices are gathered without a Python loop: position i of the output
        reads ``rows[start_of_its_bucket + (i - first_output_of_its_bucket)]``.
        """
        flat_starts, flat_lengths = starts.reshape(-1), lengths.reshape(-1)
        total = int(flat_lengths.sum())
        if total == 0:
            return _empty_triple()
        out_starts = np.cumsum(flat_lengths) - flat_lengths
        positions = np.repeat(flat_starts - out_starts, flat_lengths) + np.arange(total)
        # np.take and np.repeat: several times faster than fancy indexing on these sizes.
        rows = np.take(self._rows, positions)
        per_query = lengths.sum(axis=1)
        mine = queries[first_query : first_query + len(starts)]
        head = np.take(self._head, rows, axis=0)
        head ^= np.repeat(mine[:, :HEAD_WORDS], per_query, axis=0)
        counts = np.bitwise_count(head)
        # The distance on the first half bounds the whole distance from below.
        passed = np.flatnonzero(counts[:, 0].astype(np.uint16) + counts[:, 1] <= max_distance)
        # Candidates are grouped by query: a candidate's query follows from its position.
        qi = np.searchsorted(np.cumsum(per_query), passed, side="right")
        words = np.take(self._hashes, rows[passed], axis=0) ^ mine[qi]
        dist = _popcount(words)
        keep = np.flatnonzero(dist <= max_distance)
        return (
            qi[keep] + first_query,
            rows[passed][keep].astype(np.int64),
            dist[keep].astype(np.int64),
        )


def _batches(counts: Ids, budget: int) -> list[tuple[int, int]]:
    """Consecutive [lo, hi) ranges of items whose counts add up to about ``budget`` each.

    Every range holds at least one item, so one huge item is a range of its own.
    """
    bounds = [0]
    total = 0
    for i, count in enumerate(counts.tolist()):
        if total and total + count > budget:
            bounds.append(i)
            total = 0
        total += count
    bounds.append(len(counts))
    return [(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]


def brute_force_matches(data: Hashes, queries: Hashes) -> list[list[Match]]:
    """The matches of the queries at the default distance, by comparing every hash."""
    qi, rows, dist = _scan(pack(queries), pack(data), DEFAULT_MAX_DISTANCE)
    return group_matches(len(queries), qi, rows, dist)
