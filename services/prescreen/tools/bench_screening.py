"""``crible bench screening``: CPU time per case of each screener, in one process, no stack.

The throughput benchmark (``crible bench prescreen``) times a worker from outside, so it
moves with everything else running on the machine; process CPU time moves far less. This
builds the screeners as a worker does (the text screener in process), screens fresh cases
of the throughput benchmark in batches and prints, per screener, the CPU microseconds per
case (``time.process_time``, best and median of the rounds). ``--profile N`` prints the N
costliest functions of the text screener (cProfile); ``--digest`` prints a digest of every
text screener result and of every text's languages and rule matches on the labelled sets
and on generated texts, so that a change meant to be faster can show it changed nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from services.prescreen.adapters.yaml_files import load_domain_lists
from services.prescreen.config import PrescreenSettings
from services.prescreen.core.banks import BankSet
from services.prescreen.core.hash_screener import HashScreener
from services.prescreen.core.inbound import CaseToScreen
from services.prescreen.core.model import CaseInput, Screener, ScreenerResult, TextItem
from services.prescreen.core.preparation import prepare
from services.prescreen.core.text_screener import TextScreener
from services.prescreen.core.url_screener import UrlScreener
from services.prescreen.service import text_screener
from services.prescreen.tools.bench import _case_event
from services.prescreen.tools.evaluate import read_labelled
from shared.config import Settings
from shared.events import Category
from shared.events.screening import BankDefined, BankKind

LABELLED = (Path("tests/eval/prescreen.jsonl"), Path("tests/eval/prescreen_heldout.jsonl"))
_VIEWS = (("fr", "report"), ("en", "report"), (None, "report"), ("fr", "excerpt"),
          ("en", "excerpt"), (None, "excerpt"))  # fmt: skip


def run(settings: Settings, options: Sequence[str]) -> int:  # noqa: ARG001 - no stack used
    """Parse the options and measure."""
    parser = argparse.ArgumentParser(prog="crible bench screening", description=__doc__)
    parser.add_argument("--cases", type=int, default=3000, help="fresh cases per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=256, help="cases per batch, as a stage")
    parser.add_argument("--bank-size", type=int, default=100_000, help="PDQ hashes banked")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest calls")
    parser.add_argument("--digest", action="store_true", help="digest of every result instead")
    parser.add_argument("--generated", type=int, default=12_000, help="generated texts digested")
    parser.add_argument("--labelled", type=Path, nargs="*", default=list(LABELLED))
    parser.add_argument(
        "--corpus",
        choices=["bench", "labelled"],
        default="bench",
        help="time or profile the throughput benchmark's cases or the labelled sets' cases",
    )
    args = parser.parse_args(options)
    config = PrescreenSettings()
    text = text_screener(
        config.rules,
        config.max_text_chars,
        config.reporter_words_weight,
        tuple(c.strip() for c in config.languages.split(",") if c.strip()),
    )
    if args.digest:
        for name, digest in digests(text, args.labelled, args.generated):
            print(f"{name}: {digest}")
        return 0
    bank = np.random.default_rng(7).integers(0, 256, (args.bank_size, 32), dtype=np.uint8)
    screeners: list[Screener] = [
        HashScreener(_banks(bank)), UrlScreener(load_domain_lists(config.domains)), text
    ]  # fmt: skip
    labelled = [item.case for path in args.labelled for item in read_labelled(path)]

    def corpus(seed: int) -> list[CaseInput]:
        return _cases(bank, args.cases, seed=seed) if args.corpus == "bench" else labelled

    _round(screeners, corpus(1000), args.batch)  # warm up: a model, compiled regexes, caches
    if args.profile:
        _profile(text, corpus(0), args.batch, args.profile)
        return 0
    timings: dict[str, list[float]] = {"prepare": [], **{s.name: [] for s in screeners}}
    for round_ in range(args.rounds):
        raw = corpus(round_)
        for name, spent in _round(screeners, raw, args.batch).items():
            timings[name].append(spent / len(raw))
    for name, per_case in timings.items():
        best, median = min(per_case) * 1e6, statistics.median(per_case) * 1e6
        print(
            f"{name}: {best:.1f} us/case best, {median:.1f} median, {args.rounds} rounds of "
            f"{len(raw)} {args.corpus} cases in batches of {args.batch}"
        )
    return 0


def _round(screeners: Sequence[Screener], cases: list[CaseInput], size: int) -> dict[str, float]:
    """CPU seconds of preparing the cases, then of each screener, batch by batch."""
    batches = [cases[i : i + size] for i in range(0, len(cases), size)]
    started = time.process_time()
    prepared = [prepare(batch) for batch in batches]
    spent = {"prepare": time.process_time() - started}
    for screener in screeners:
        started = time.process_time()
        for batch in prepared:
            screener.screen(batch)
        spent[screener.name] = time.process_time() - started
    return spent


def _banks(bank: np.ndarray) -> BankSet:
    banks = BankSet()
    banks.apply([
        BankDefined(schema_version=1, type="bank.defined", bank="bench", kind=BankKind.BLOCK,
                    category=Category.CHILD_SEXUAL_ABUSE)
    ])  # fmt: skip
    banks.load_pdq("bench", bank)
    return banks


def _cases(bank: np.ndarray, count: int, *, seed: int) -> list[CaseInput]:
    """Cases of the throughput benchmark, as a worker reads them off the topic."""
    rng = random.Random(seed)  # noqa: S311 - test data
    return [
        CaseToScreen.model_validate_json(json.dumps(_case_event(rng, bank))).to_input()
        for _ in range(count)
    ]


def _profile(text: TextScreener, cases: list[CaseInput], batch: int, top: int) -> None:
    prepared = [prepare(cases[i : i + batch]) for i in range(0, len(cases), batch)]
    profiler = cProfile.Profile()
    profiler.enable()
    for one in prepared:
        text.screen(one)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def digests(
    text: TextScreener, labelled: Sequence[Path], generated: int
) -> Iterator[tuple[str, str]]:
    """(corpus, digest) of the text screener's results and of each text's views."""
    total = hashlib.sha256()
    corpora: list[tuple[str, list[CaseInput]]] = [
        (str(path), [item.case for item in read_labelled(path)]) for path in labelled
    ]
    bank = np.zeros((1, 32), dtype=np.uint8)
    corpora.append(("bench cases", _cases(bank, 4000, seed=99)))
    texts = [t.text for _, cases in corpora for case in cases for t in case.texts]
    corpora.append(("generated texts", _generated(texts, generated)))
    for name, cases in corpora:
        digest = hashlib.sha256()
        prepared = prepare(cases)
        for start in range(0, len(prepared), 256):
            for result in text.screen(prepared[start : start + 256]):
                digest.update(_canonical(result))
        for item in {t.text: t for case in prepared for t in case.texts}.values():
            digest.update(_views(text, item))
        total.update(digest.digest())
        yield f"{name} ({len(cases)} cases)", digest.hexdigest()[:16]
    yield "all", total.hexdigest()[:16]


def _generated(texts: Sequence[str], count: int) -> list[CaseInput]:
    """Untagged texts cut and mixed from others: windows, halves of two, words shuffled."""
    rng = random.Random(1)  # noqa: S311 - test data
    out = []
    for number in range(count):
        first, second = rng.choice(texts), rng.choice(texts)
        kind = number % 4
        if kind == 0:
            start = rng.randrange(len(first))
            made = first[start : start + rng.randrange(5, 160)]
        elif kind == 1:
            made = first[: len(first) // 2] + " " + second[len(second) // 2 :]
        elif kind == 2:
            words = (first + " " + second).split()
            rng.shuffle(words)
            made = " ".join(words[: rng.randrange(1, 30)])
        else:
            made = first.upper() if number % 8 == 3 else first.lower()
        source = "report" if number % 3 == 0 else "excerpt"
        out.append(
            CaseInput(f"g{number}", 1, Category.OTHER, texts=(TextItem(source, made, None),))
        )
    return out


def _canonical(result: ScreenerResult) -> bytes:
    scores = sorted((c.value, round(s, 12)) for c, s in result.scores.items())
    findings = [(f.kind, f.category.value, f.ref, f.distance, f.detail) for f in result.findings]
    return json.dumps(
        [
            result.screener,
            result.version,
            result.usability.value,
            scores,
            findings,
            list(result.notes),
            list(result.languages),
        ]
    ).encode()


def _views(text: TextScreener, item: TextItem) -> bytes:
    """Every rule view's matches of one text, and the language it is identified as."""
    found = [
        [hit.rule_id for hit in text.rules.match(item.text, language, source)]
        for language, source in _VIEWS
    ]
    language = text.languages.identify([item.text])[0] if text.languages else None
    return json.dumps([item.text, language, found]).encode()
