"""The prescreen service as the runtime runs it: ``crible run prescreen``.

Two consumers: ``main`` screens case events (the screening runs in the stage, a thread off
the event loop), ``banks`` writes bank updates to the tables. Beside them each worker follows
``hashbanks.updates`` outside any group (a runtime follower), so that every worker's banks
change while it runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from uuid import uuid4

from services.prescreen.adapters.external_model import ExternalModelConfig, ExternalModelScreener
from services.prescreen.adapters.lingua_languages import LinguaIdentifier
from services.prescreen.adapters.offloaded_screener import OffloadedScreener
from services.prescreen.adapters.onnx_classifier import ClassifierFilesError, OnnxClassifier
from services.prescreen.adapters.postgres.banks import PostgresBankStore, load_banks
from services.prescreen.adapters.postgres.screening import PostgresScreeningStore
from services.prescreen.adapters.profanity_model import profanity_model
from services.prescreen.adapters.safety_model import SafetyModelConfig, SafetyModelScreener
from services.prescreen.adapters.stemmers import snowball
from services.prescreen.adapters.yaml_files import (
    load_domain_lists,
    load_framing,
    load_policy,
    load_rules,
)
from services.prescreen.config import PrescreenSettings
from services.prescreen.core.banks import BankSet
from services.prescreen.core.framing import NO_FRAMING
from services.prescreen.core.hash_screener import HashScreener
from services.prescreen.core.inbound import CaseToScreen
from services.prescreen.core.model import CaseInput, Screener, TextItem
from services.prescreen.core.text_screener import TextScreener
from services.prescreen.core.url_screener import UrlScreener
from services.prescreen.core.verdicts import Screened
from services.prescreen.handlers.bank_feed import apply_updates, record_sizes
from services.prescreen.handlers.bank_updates import store_updates
from services.prescreen.handlers.cases import publish_verdicts
from services.prescreen.handlers.screening import ScreeningEngine
from shared.events import Category
from shared.events.screening import BankUpdate
from shared.runtime import ConsumerSpec, Handled, Inbound, Resource, Service, ServiceContext, Stage
from shared.runtime.follower import Follower
from shared.topics import CASES, HASHBANKS_UPDATES, SCREENING_VERDICTS


def build_engine(config: PrescreenSettings, banks: BankSet) -> ScreeningEngine:
    """Every configured screener and the live and shadow policies."""
    factory = partial(
        text_screener,
        config.rules,
        config.max_text_chars,
        config.reporter_words_weight,
        _codes(config.languages),
        config.framing,
    )
    text: Screener
    if config.text_in_process:
        # the child builds the screener and loads the language models; here only its version
        here = text_screener(
            config.rules, config.max_text_chars, config.reporter_words_weight, (), config.framing
        )
        text = OffloadedScreener(
            factory, name=here.name, version=here.version, processes=config.text_processes
        )
    else:
        text = factory()
    urls = UrlScreener(load_domain_lists(config.domains))
    screeners: list[Screener] = [HashScreener(banks), urls, text]
    if config.external_url:
        key = config.external_api_key
        screeners.append(
            ExternalModelScreener(
                ExternalModelConfig(
                    url=config.external_url,
                    model=config.external_model,
                    api_key=None if key is None else key.get_secret_value(),
                    timeout_seconds=config.external_timeout_seconds,
                )
            )
        )
    if config.safety_url:
        screeners.append(SafetyModelScreener(safety_config(config)))
    if config.classifier_model is not None:
        if config.classifier_tokenizer is None or config.classifier_labels is None:
            raise ClassifierFilesError(
                "CRIBLE_PRESCREEN_CLASSIFIER_MODEL needs ..._TOKENIZER and ..._LABELS too"
            )
        screeners.append(
            OnnxClassifier(
                model=config.classifier_model,
                tokenizer=config.classifier_tokenizer,
                labels=config.classifier_labels,
            )
        )
    shadow = None if config.shadow_policy is None else load_policy(config.shadow_policy)
    return ScreeningEngine(screeners, load_policy(config.policy), shadow)


def _codes(languages: str) -> tuple[str, ...]:
    return tuple(code.strip() for code in languages.split(",") if code.strip())


def safety_config(config: PrescreenSettings) -> SafetyModelConfig:
    """The policy-prompted safety model's settings."""
    assert config.safety_url is not None  # noqa: S101 - only called when it is set
    key = config.safety_api_key
    return SafetyModelConfig(
        url=config.safety_url,
        model=config.safety_model,
        policies=config.safety_policies,
        dialect=config.safety_dialect,
        api_key=None if key is None else key.get_secret_value(),
        languages=_codes(config.safety_languages),
        timeout_seconds=config.safety_timeout_seconds,
        batch_timeout_seconds=config.safety_batch_timeout_seconds,
        concurrency=config.safety_concurrency,
    )


def text_screener(
    rules: Path,
    max_chars: int,
    reporter_weight: float,
    languages: tuple[str, ...],
    framing: Path | None = None,
) -> TextScreener:
    """The text screener (a picklable factory: offloaded, it is built in the child)."""
    return TextScreener(
        load_rules(rules, stemmers=snowball()),
        max_chars=max_chars,
        model=profanity_model,
        reporter_weight=reporter_weight,
        languages=LinguaIdentifier(languages) if languages else None,
        framing=load_framing(framing) if framing is not None else (NO_FRAMING, ""),
    )


BANKS: Resource[BankSet] = Resource("banks")
BANK_OFFSETS: Resource[dict[int, int]] = Resource("bank_offsets")
ENGINE: Resource[ScreeningEngine] = Resource("engine")
STAGE_WORKERS: Resource[int] = Resource("stage_workers")


async def _start(ctx: ServiceContext) -> None:
    """Load the banks, rules, lists, policies and the text model before consuming."""
    config = PrescreenSettings()
    banks = BankSet()
    assert ctx.pool is not None  # noqa: S101 - prescreen uses the database
    offsets = await load_banks(ctx.pool, banks)
    record_sizes(banks)
    ctx.resources.put(BANK_OFFSETS, offsets)
    engine = await asyncio.to_thread(build_engine, config, banks)
    # One screening at start-up loads the text model now, not on the first batch.
    warm = CaseInput(str(uuid4()), 1, Category.OTHER, texts=(TextItem("report", "hello"),))
    await asyncio.to_thread(engine.screen, [warm])
    ctx.resources.put(BANKS, banks)
    ctx.resources.put(ENGINE, engine)
    ctx.resources.put(STAGE_WORKERS, config.stage_workers)


async def _stop(ctx: ServiceContext) -> None:
    engine = ctx.resources.find(ENGINE)
    if engine is not None:
        for screener in engine.screeners:
            if isinstance(
                screener, ExternalModelScreener | OffloadedScreener | SafetyModelScreener
            ):
                screener.close()


def _bank_offsets(ctx: ServiceContext) -> dict[int, int]:
    return ctx.resources.get(BANK_OFFSETS)


async def _apply_bank_updates(ctx: ServiceContext, updates: list[BankUpdate]) -> None:
    await apply_updates(updates, banks=ctx.resources.get(BANKS))


def _stage(ctx: ServiceContext) -> Stage[Screened]:
    engine, workers = ctx.resources.get(ENGINE), ctx.resources.get(STAGE_WORKERS)
    return Stage(compute=engine.screen_events, executor="thread", workers=workers)


async def handle_cases(
    batch: Sequence[Inbound[CaseToScreen, Screened]], store: PostgresScreeningStore
) -> Handled:
    """Publish the verdicts the stage's screenings make due, in the runtime's transaction."""
    screened = [(m.event, m.staged) for m in batch]
    return await publish_verdicts(screened, store=store, now=datetime.now(UTC))


async def handle_updates(batch: Sequence[Inbound[BankUpdate]], store: PostgresBankStore) -> Handled:
    """Write bank updates to the tables, in the runtime's transaction."""
    return await store_updates(batch, store=store)


CASE_EVENTS: ConsumerSpec[CaseToScreen, PostgresScreeningStore, Screened] = ConsumerSpec(
    models={CASES: CaseToScreen},
    handler=handle_cases,
    ports=PostgresScreeningStore,
    produces=(SCREENING_VERDICTS,),
    stage=_stage,
)
BANK_UPDATES: ConsumerSpec[BankUpdate, PostgresBankStore, None] = ConsumerSpec(
    models={HASHBANKS_UPDATES: BankUpdate},
    handler=handle_updates,
    ports=PostgresBankStore,
    name="banks",
)

SPEC = Service(
    name="prescreen",
    consumers=(CASE_EVENTS, BANK_UPDATES),
    on_start=(_start,),
    on_stop=(_stop,),
    #: Every worker follows the bank updates from the snapshot it loaded, so that its banks
    #: change while it runs.
    followers=(
        Follower(
            "bank-feed",
            HASHBANKS_UPDATES,
            BankUpdate,
            start=_bank_offsets,
            apply=_apply_bank_updates,
        ),
    ),
)
