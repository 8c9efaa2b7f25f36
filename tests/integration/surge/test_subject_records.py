"""The subjects table on RocksDB: a subject is a head record and a record per bucket.

What a commit writes, what a restart reads back, what a sweep's delete leaves, and what a
restore from the changelog rebuilds, on the real store (no broker: the store alone).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import orjson
from faust.types import TP

from services.surge.adapters.stores import RocksStore, on_disk
from services.surge.adapters.tables import part_key, subject_codec, subject_published
from services.surge.adapters.topology import Topology
from services.surge.config import SurgeSettings
from services.surge.core.windows import WHOLE_VERSION, Emitted, SubjectState
from shared.config import Settings
from tests.unit.surge.helpers import T0, annotated

KEY = b"channel:ch1"
PARTITION = 3


def _store(path: Path) -> RocksStore:
    """The subjects' store, nothing kept decoded: every read assembles from disk."""
    return on_disk(Topology(Settings(), SurgeSettings(data_dir=path, subjects_hot_mib=0)).subjects)


def _add(store: RocksStore, *reports: tuple[int, int]) -> SubjectState:
    """Reports (number, second after T0) added to the subject, as the subject stage does."""
    state = store.get_in(PARTITION, KEY) or SubjectState()
    for n, second in reports:
        state.add(annotated(n, reporter=f"u{n}", at=T0 + second, others=(7, 9)), bucket_seconds=60)
    store.put_in(PARTITION, KEY, state)
    return state


def _commit(store: RocksStore) -> list[tuple[bytes, bytes | None]]:
    records = store.write_out(PARTITION, [KEY])
    store.persist()
    return records


async def test_a_commit_writes_the_buckets_changed_and_the_head_last(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store, *((n, 60 * (n % 10)) for n in range(50)))  # ten buckets
    first = _commit(store)
    _add(store, (100, 545), (101, 550))  # the newest bucket only
    second = _commit(store)

    assert sorted(k for k, _v in first[:-1]) == [part_key(KEY, T0 + 60 * n) for n in range(10)]
    assert first[-1][0] == KEY
    assert [k for k, _v in second] == [part_key(KEY, T0 + 540), KEY]
    read = store.get_in(PARTITION, KEY)  # assembled from disk: nothing kept decoded
    assert read is not None
    assert read.count(T0, T0 + 600) == 52
    assert read.figures(T0, T0 + 600).reporters == 52


async def test_a_deleted_subject_leaves_a_tombstone_for_each_record(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store, *((n, 60 * n) for n in range(6)))
    _commit(store)
    state = _add(store, (10, 400))
    state.prune(T0 + 120)  # two buckets gone since the last write
    store.put_in(PARTITION, KEY, state)

    store.delete_in(PARTITION, KEY)
    records = _commit(store)

    expected = {KEY, *(part_key(KEY, T0 + 60 * n) for n in range(6)), part_key(KEY, T0 + 360)}
    assert {k for k, _v in records} == expected
    assert all(v is None for _k, v in records)
    entries, _last = store.scan_in(PARTITION, after=None, limit=100)
    assert entries == []
    assert store.get_in(PARTITION, KEY) is None


async def test_a_restore_from_the_changelog_rebuilds_the_subject(tmp_path: Path) -> None:
    """The changelog's records, last of each key (compacted), copied into a new store."""
    writer = _store(tmp_path / "writer")
    truth = SubjectState()  # the same reports and prunes, never written
    log: dict[bytes, bytes | None] = {}
    for second in range(0, 900, 45):
        for n in (second, second + 1):
            truth.add(annotated(n, reporter=f"u{n}", at=T0 + n, others=(7, 9)), bucket_seconds=60)
        state = _add(writer, (second, second), (second + 1, second + 1))
        if second % 180 == 0:
            for pruned in (state, truth):
                pruned.prune(T0 + second - 300)
            writer.put_in(PARTITION, KEY, state)
        log.update(_commit(writer))
    reader = _store(tmp_path / "reader")

    # faust decodes each record it restores (with the table's codec) before the store
    # copies it: a head or a bucket's record goes through as it is.
    assert all(subject_codec().loads(v) == v for v in log.values() if v is not None)
    reader.apply_changelog_batch(_events(reader, log), to_key=None, to_value=None)

    read = reader.get_in(PARTITION, KEY)
    assert read is not None
    assert sorted(read.starts()) == sorted(truth.starts())
    assert read.count(T0, T0 + 900) == truth.count(T0, T0 + 900) > 0
    assert read.figures(T0 + 300, T0 + 900) == truth.figures(T0 + 300, T0 + 900)
    assert read.figures(T0, T0 + 900) == truth.figures(T0, T0 + 900)


async def test_a_sweep_reads_heads_and_their_buckets_never_a_bucket_alone(tmp_path: Path) -> None:
    store = _store(tmp_path)
    other = b"channel:ch2"
    _add(store, *((n, 60 * n) for n in range(5)))
    published = SubjectState()
    published.add(annotated(9, subject="ch2", at=T0), bucket_seconds=60)
    published.emitted["600:0"] = Emitted("viral", 1, 1)
    store.put_in(PARTITION, other, published)
    store.write_out(PARTITION, [KEY, other])
    store.persist()

    entries, last = store.scan_in(PARTITION, after=None, limit=100)
    wanted, _ = store.scan_in(PARTITION, after=None, limit=100, wanted=subject_published)

    assert [k for k, _v in entries] == [KEY, other]
    assert entries[0][1].count(T0, T0 + 300) == 5
    assert last is None
    assert [k for k, _v in wanted] == [other]  # the other is not decoded
    assert wanted[0][1].count(T0, T0 + 60) == 1


def _events(store: RocksStore, records: dict[bytes, bytes | None]) -> list[SimpleNamespace]:
    """Changelog events of ``records`` (key: value), as faust's restore hands them over."""
    tp = TP(store.table.changelog_topic.get_topic_name(), PARTITION)
    return [
        SimpleNamespace(
            message=SimpleNamespace(key=k, value=v, tp=tp, partition=PARTITION, offset=n)
        )
        for n, (k, v) in enumerate(records.items())
    ]


async def test_a_subject_written_whole_by_an_earlier_version_is_read_and_rewritten_as_parts(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    old = SubjectState()
    old.add(annotated(1, at=T0), bucket_seconds=60)
    old.add(annotated(2, at=T0 + 60), bucket_seconds=60)
    whole = {
        "v": WHOLE_VERSION,
        "b": [[start, *bucket.to_wire()] for start, bucket in old.buckets.items()],
        "e": [],
        "p": ["channel", "ch1", None],
    }
    store.apply_changelog_batch(_events(store, {KEY: orjson.dumps(whole)}), None, None)

    state = _add(store, (3, 65))
    records = _commit(store)

    assert state.count(T0, T0 + 120) == 3
    assert sorted(k for k, _v in records[:-1]) == [part_key(KEY, T0), part_key(KEY, T0 + 60)]
    assert records[-1][0] == KEY
    read = store.get_in(PARTITION, KEY)
    assert read is not None
    assert read.count(T0, T0 + 120) == 3


async def test_a_subject_kept_decoded_weighs_what_its_records_hold(tmp_path: Path) -> None:
    """The hot part's bound counts a subject's records as written (links counted once), and
    as read back after a restore."""
    log: dict[bytes, bytes | None] = {}
    store = _hot(tmp_path / "writer")
    for second in range(0, 600, 20):  # every reporter links the same subjects
        _add(store, *((second * 10 + n, second) for n in range(10)))
        log.update(_commit(store))

        assert store.hot_weight() == sum(len(v) for v in log.values() if v is not None)
    restored = _hot(tmp_path / "reader")
    restored.apply_changelog_batch(_events(restored, log), to_key=None, to_value=None)

    assert restored.get_in(PARTITION, KEY) is not None
    assert restored.hot_weight() == store.hot_weight()


def _hot(path: Path) -> RocksStore:
    """The subjects' store keeping 1 MiB of them decoded."""
    return on_disk(Topology(Settings(), SurgeSettings(data_dir=path, subjects_hot_mib=1)).subjects)
