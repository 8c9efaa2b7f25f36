"""Hash banks in memory: exact SHA-256 and MD5 sets and one PDQ index shared by every bank.

A :class:`BankSet` is built from the database at start-up and kept current by the updates
every worker follows on ``hashbanks.updates``. Per-entry Python objects are avoided for PDQ
hashes (a 10,000,000-hash bank must fit in well under 2 GB): a PDQ entry is a row of the
index and a slot of a numpy array saying which bank it belongs to.

A media item may carry its image's dihedral PDQ variants (rotated by 90, 180, 270 degrees,
mirrored, transposed, as PDQ's reference computes them in one pass): each is looked up too,
and the nearest match stands, so a mirrored or rotated copy of a banked image matches.
Crops are beyond PDQ: a cropped copy has another hash.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from services.prescreen.core.pdq_index import PdqIndex, parse_pdq
from shared.events import Category
from shared.events.screening import (
    BankDefined,
    BankKind,
    BankRemoved,
    HashAdded,
    HashAlgorithm,
    HashRemoved,
)

#: PDQ hashes below this quality are too unreliable to match (the PDQ paper's advice).
MIN_PDQ_QUALITY = 50
DEFAULT_PDQ_THRESHOLD = 31
_HEX_LENGTH = {HashAlgorithm.SHA256: 64, HashAlgorithm.MD5: 32, HashAlgorithm.PDQ: 64}

Update = BankDefined | BankRemoved | HashAdded | HashRemoved


@dataclass(slots=True)
class Bank:
    """A bank's definition; ``kind`` is None while only its hashes have been seen."""

    name: str
    number: int
    kind: BankKind | None = None
    category: Category | None = None
    pdq_threshold: int = DEFAULT_PDQ_THRESHOLD


@dataclass(frozen=True, slots=True)
class BankHit:
    """A media item found in a bank."""

    bank: str
    kind: BankKind
    category: Category | None
    algorithm: HashAlgorithm
    distance: int


@dataclass(frozen=True, slots=True)
class MediaLookup:
    """What the banks say of one media item: hits, and why a hash was not looked up."""

    hits: tuple[BankHit, ...] = ()
    notes: tuple[str, ...] = ()
    #: Whether at least one of its hashes was well-formed and looked up.
    usable: bool = False


@dataclass(slots=True)
class _Query:
    """The parsed hashes of one media item."""

    exact: list[tuple[HashAlgorithm, bytes]] = field(default_factory=list)
    pdq: npt.NDArray[np.uint8] | None = None
    #: The image's other dihedral variants' PDQ hashes, looked up beside ``pdq``.
    variants: list[npt.NDArray[np.uint8]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def normalise_hash(algorithm: HashAlgorithm, value: str) -> bytes | None:
    """The hash's bytes, or None if ``value`` is not a hash of that algorithm."""
    text = value.strip().lower()
    if len(text) != _HEX_LENGTH[algorithm]:
        return None
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


class BankSet:
    """Every bank a worker matches against; safe to query from the stage's threads."""

    def __init__(self) -> None:
        """No banks yet."""
        self._lock = threading.Lock()
        self._banks: dict[str, Bank] = {}
        self._by_number: list[Bank] = []
        self._exact: dict[HashAlgorithm, dict[bytes, set[int]]] = {
            HashAlgorithm.SHA256: {},
            HashAlgorithm.MD5: {},
        }
        self._pdq = PdqIndex()
        self._exact_count: dict[int, int] = {}  # bank number -> exact hashes held
        self._pdq_bank = np.empty(0, dtype=np.int32)  # index id -> bank number
        self._next_id = 0
        self.version = 0  # grows with every applied change: the metric of freshness

    # -- changes -----------------------------------------------------------------------

    def apply(self, updates: Iterable[Update]) -> None:
        """Apply updates in order; PDQ additions in a row are indexed together."""
        with self._lock:
            pending: list[tuple[int, npt.NDArray[np.uint8]]] = []
            for update in updates:
                if isinstance(update, HashAdded) and update.algorithm is HashAlgorithm.PDQ:
                    parsed = _quality_pdq(update.hash, update.quality)
                    if parsed is not None:
                        pending.append((self._bank(update.bank).number, parsed))
                    continue
                self._add_pdq(pending)
                pending = []
                self._apply_one(update)
            self._add_pdq(pending)
            self.version += 1

    def load_pdq(self, bank: str, hashes: npt.NDArray[np.uint8]) -> None:
        """Add many ``(n, 32)`` PDQ hashes of one bank at once (start-up, benchmarks)."""
        with self._lock:
            number = self._bank(bank).number
            self._add_pdq_array(np.full(len(hashes), number, np.int32), hashes)
            self.version += 1

    def _apply_one(self, update: Update) -> None:
        if isinstance(update, BankDefined):
            bank = self._bank(update.bank)
            bank.kind, bank.category = update.kind, update.category
            bank.pdq_threshold = update.pdq_threshold
        elif isinstance(update, BankRemoved):
            self._remove_bank(update.bank)
        elif isinstance(update, HashAdded):
            digest = normalise_hash(update.algorithm, update.hash)
            if digest is not None:
                number = self._bank(update.bank).number
                holders = self._exact[update.algorithm].setdefault(digest, set())
                if number not in holders:
                    holders.add(number)
                    self._exact_count[number] = self._exact_count.get(number, 0) + 1
        else:
            self._remove_hash(update)

    def _bank(self, name: str) -> Bank:
        bank = self._banks.get(name)
        if bank is None:
            bank = Bank(name=name, number=len(self._by_number))
            self._banks[name] = bank
            self._by_number.append(bank)
        return bank

    def _add_pdq(self, pending: list[tuple[int, npt.NDArray[np.uint8]]]) -> None:
        """Add PDQ hashes one by one as updates bring them, skipping those already held."""
        if not pending:
            return
        unique = {(n, h.tobytes()): h for n, h in pending}
        numbers = np.array([n for n, _ in unique], dtype=np.int32)
        hashes = np.stack(list(unique.values()))
        held = self._pdq.query(hashes, 0)
        fresh = np.array(
            [
                not any(self._pdq_bank[i] == n for i, _ in found)
                for n, found in zip(numbers.tolist(), held, strict=True)
            ],
            dtype=np.bool_,
        )
        if fresh.any():
            self._add_pdq_array(numbers[fresh], hashes[fresh])

    def _add_pdq_array(self, numbers: npt.NDArray[np.int32], hashes: npt.NDArray[np.uint8]) -> None:
        ids = np.arange(self._next_id, self._next_id + len(hashes), dtype=np.int64)
        self._next_id += len(hashes)
        if self._next_id > len(self._pdq_bank):
            grown = np.full(max(self._next_id, 2 * len(self._pdq_bank)), -1, dtype=np.int32)
            grown[: len(self._pdq_bank)] = self._pdq_bank
            self._pdq_bank = grown
        self._pdq_bank[ids] = numbers
        if len(self._pdq) == 0 and self._pdq.unindexed == 0:
            self._pdq = PdqIndex.build(hashes, ids)  # a first bulk load: index at once
        else:
            self._pdq.add(hashes, ids)

    def _remove_hash(self, update: HashRemoved) -> None:
        bank = self._banks.get(update.bank)
        if bank is None:
            return
        if update.algorithm is HashAlgorithm.PDQ:
            parsed = parse_pdq(update.hash)
            if parsed is not None:
                [matches] = self._pdq.query(parsed[np.newaxis, :], 0)
                ids = [i for i, _ in matches if self._pdq_bank[i] == bank.number]
                self._pdq.remove(np.array(ids, dtype=np.int64))
            return
        digest = normalise_hash(update.algorithm, update.hash)
        holders = self._exact[update.algorithm].get(digest or b"")
        if holders is not None and bank.number in holders:
            holders.discard(bank.number)
            self._exact_count[bank.number] -= 1
            if not holders:
                del self._exact[update.algorithm][digest or b""]

    def _remove_bank(self, name: str) -> None:
        bank = self._banks.get(name)
        if bank is None:
            return
        bank.kind = None  # the name stays reserved to its number; a later definition revives it
        self._exact_count[bank.number] = 0
        for table in self._exact.values():
            for digest in [d for d, holders in table.items() if bank.number in holders]:
                table[digest].discard(bank.number)
                if not table[digest]:
                    del table[digest]
        ids = np.nonzero(self._pdq_bank[: self._next_id] == bank.number)[0].astype(np.int64)
        self._pdq.remove(ids)
        self._pdq_bank[ids] = -1

    # -- lookups -----------------------------------------------------------------------

    def lookup(self, media: Sequence[MediaHashes]) -> list[MediaLookup]:
        """Look up media items given as ``(sha256, md5, pdq, pdq_quality, pdq_dihedral)``.

        All at once: every PDQ hash and variant of the batch is one query of the index.
        Allow-list hits on an item suppress that item's block hits (known false positives).
        """
        queries = [_parse(*item) for item in media]
        rows = [
            (i, hash_)
            for i, q in enumerate(queries)
            if q.pdq is not None
            for hash_ in (q.pdq, *q.variants)
        ]
        with self._lock:
            pdq_hits: dict[int, list[tuple[int, int]]] = {}
            if rows:
                widest = max((b.pdq_threshold for b in self._by_number), default=0)
                found = self._pdq.query(np.stack([h for _, h in rows]), widest)
                for (i, _), matches in zip(rows, found, strict=True):
                    pdq_hits.setdefault(i, []).extend(matches)
            return [self._resolve(q, pdq_hits.get(i, [])) for i, q in enumerate(queries)]

    def _resolve(self, query: _Query, pdq: list[tuple[int, int]]) -> MediaLookup:
        hits: dict[tuple[str, HashAlgorithm], BankHit] = {}
        for algorithm, digest in query.exact:
            for number in self._exact[algorithm].get(digest, ()):
                self._hit(hits, self._by_number[number], algorithm, 0)
        for entry, distance in pdq:
            number = int(self._pdq_bank[entry])
            if number >= 0 and distance <= self._by_number[number].pdq_threshold:
                self._hit(hits, self._by_number[number], HashAlgorithm.PDQ, distance)
        found = tuple(hits.values())
        if any(h.kind is BankKind.ALLOW for h in found):
            found = tuple(h for h in found if h.kind is BankKind.ALLOW)
        usable = bool(query.exact) or query.pdq is not None
        return MediaLookup(hits=found, notes=tuple(query.notes), usable=usable)

    @staticmethod
    def _hit(
        hits: dict[tuple[str, HashAlgorithm], BankHit],
        bank: Bank,
        algorithm: HashAlgorithm,
        distance: int,
    ) -> None:
        if bank.kind is None:
            return  # hashes seen before their bank's definition, or of a removed bank
        key = (bank.name, algorithm)
        if key not in hits or distance < hits[key].distance:
            hits[key] = BankHit(bank.name, bank.kind, bank.category, algorithm, distance)

    def threshold(self, name: str) -> int:
        """A bank's PDQ threshold."""
        bank = self._banks.get(name)
        return DEFAULT_PDQ_THRESHOLD if bank is None else bank.pdq_threshold

    # -- sizes -------------------------------------------------------------------------

    def sizes(self) -> dict[str, int]:
        """Live hashes per defined bank (for metrics)."""
        with self._lock:
            counts = np.bincount(
                self._pdq_bank[self._pdq.live_ids()], minlength=len(self._by_number)
            )
            return {
                b.name: int(counts[b.number]) + self._exact_count.get(b.number, 0)
                for b in self._by_number
                if b.kind is not None
            }

    def nbytes(self) -> int:
        """Approximate memory of the PDQ part (the part that grows to millions)."""
        return self._pdq.nbytes() + self._pdq_bank.nbytes


def _quality_pdq(value: str, quality: int | None) -> npt.NDArray[np.uint8] | None:
    if quality is not None and quality < MIN_PDQ_QUALITY:
        return None
    return parse_pdq(value)


#: What a media item says of itself: sha256, md5, pdq, pdq quality, pdq dihedral variants.
MediaHashes = tuple[str | None, str | None, str | None, int | None, tuple[str, ...]]


def _parse(
    sha256: str | None,
    md5: str | None,
    pdq: str | None,
    quality: int | None,
    variants: tuple[str, ...] = (),
) -> _Query:
    query = _Query()
    for algorithm, value in ((HashAlgorithm.SHA256, sha256), (HashAlgorithm.MD5, md5)):
        if value is None:
            continue
        digest = normalise_hash(algorithm, value)
        if digest is None:
            query.notes.append(f"malformed {algorithm.value} hash ignored")
        else:
            query.exact.append((algorithm, digest))
    if pdq is not None:
        if quality is not None and quality < MIN_PDQ_QUALITY:
            query.notes.append(f"pdq hash of quality {quality} < {MIN_PDQ_QUALITY} ignored")
        elif (parsed := parse_pdq(pdq)) is None:
            query.notes.append("malformed pdq hash ignored")
        else:
            query.pdq = parsed
            query.variants = [v for v in map(parse_pdq, variants) if v is not None]
            if len(query.variants) < len(variants):
                query.notes.append("malformed pdq_dihedral hash ignored")
    return query
