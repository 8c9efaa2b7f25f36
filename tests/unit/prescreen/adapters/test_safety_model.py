"""The policy-prompted safety model, against a local server answering as vLLM does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from services.prescreen.adapters.safety_model import (
    PolicyFilesError,
    SafetyModelConfig,
    SafetyModelScreener,
    load_policies,
)
from services.prescreen.config import DEPLOY
from services.prescreen.core.circuit import CircuitState
from services.prescreen.core.model import CaseInput, TextItem, Usability
from services.prescreen.core.safety_prompts import Dialect
from shared.events import Category
from tests.fakes.safety_server import SafetyServer, completion

POLICIES = DEPLOY / "policies"
THREAT_FR = "je vais te tuer et publier ton adresse, tu vas payer"
BANTER_EN = "we'll destroy you on saturday, friends trash talk before sporting games"


@pytest.fixture
def server() -> Iterator[SafetyServer]:
    srv = SafetyServer().start()
    yield srv
    srv.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def screener(
    server: SafetyServer, clock: Clock | None = None, **options: Any
) -> SafetyModelScreener:
    config = SafetyModelConfig(
        url=server.url, model="gpt-oss-safeguard-20b", policies=POLICIES, api_key="sk-local",
        **options,
    )  # fmt: skip
    return SafetyModelScreener(config, clock=clock or Clock())


def case(text: str, language: str | None, category: Category = Category.HARASSMENT) -> CaseInput:
    return CaseInput(
        "c", 1, category, texts=(TextItem("excerpt", text, language),), language=language
    )


def state(model: SafetyModelScreener) -> CircuitState:
    return model.breaker.state


def reply(status: int, body: bytes, delay: float = 0.0) -> Any:
    return lambda request: (status, body, delay)


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_each_case_is_asked_with_its_categorys_policy_in_its_language(
    server: SafetyServer,
) -> None:
    model = screener(server)
    try:
        threat, banter = model.screen([case(THREAT_FR, "fr"), case(BANTER_EN, "en")])
    finally:
        model.close()
    assert threat.usability is Usability.USED
    assert threat.scores == {Category.HARASSMENT: 0.8}  # "medium" confidence
    assert [f.ref for f in threat.findings] == ["safety_model:fr/harassment_threats"]
    assert banter.usability is Usability.USED
    assert banter.scores == {Category.HARASSMENT: 0.0}
    assert banter.findings == ()
    asked = {r["body"]["messages"][-1]["content"]: r for r in server.behaviour.seen}
    french = asked[THREAT_FR]
    assert french["body"]["model"] == "gpt-oss-safeguard-20b"
    assert french["body"]["temperature"] == 0
    assert french["body"]["messages"][0]["content"].startswith("Harcèlement et menaces")
    assert french["headers"]["Authorization"] == "Bearer sk-local"
    assert asked[BANTER_EN]["body"]["messages"][0]["content"].startswith("Harassment and threats")
    assert "sk-local" not in repr(model._config)


def test_llama_guard_is_asked_with_the_policy_as_its_one_category() -> None:
    server = SafetyServer("llama_guard").start()
    try:
        model = screener(server, dialect=Dialect.LLAMA_GUARD)
        threat, banter = model.screen([case(THREAT_FR, "fr"), case(BANTER_EN, "en")])
        model.close()
    finally:
        server.stop()
    assert threat.scores == {Category.HARASSMENT: 0.95}
    assert banter.scores == {Category.HARASSMENT: 0.0}
    prompt = server.behaviour.seen[0]["body"]["messages"][0]["content"]
    assert "S1: " in prompt
    assert "<BEGIN CONVERSATION>" in prompt


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(completion("I think this is probably a violation."), id="prose"),
        pytest.param(completion('{"violation": 1', finish="length"), id="truncated"),
        pytest.param(completion('{"violation": "yes"}'), id="violation-text"),
        pytest.param(completion('{"violation": 2}'), id="violation-2"),
        pytest.param(completion('{"violation": 1, "confidence": "certain"}'), id="confidence"),
        pytest.param(completion('{"violation": 0, "verdict": "ok"}'), id="unknown-key"),
        pytest.param(completion('[{"violation": 1}]'), id="list"),
        pytest.param(b"<html>gateway</html>", id="not-json"),
        pytest.param(b'{"choices": []}', id="no-choice"),
        pytest.param(b'{"choices": [{"message": {"content": 5}}]}', id="content-number"),
    ],
)
def test_a_malformed_answer_is_unusable_never_a_verdict(server: SafetyServer, body: bytes) -> None:
    server.behaviour.reply = reply(200, body)
    model = screener(server)
    before = sample("crible_prescreen_safety_model_requests_total", {"outcome": "unusable"})
    [result] = model.screen([case(THREAT_FR, "fr")])
    model.close()
    assert result.usability is Usability.UNUSABLE
    assert result.scores == {}
    assert result.findings == ()
    assert result.notes[0].startswith("unusable answer: ")
    after = sample("crible_prescreen_safety_model_requests_total", {"outcome": "unusable"})
    assert after == before + 1


def test_llama_guard_naming_a_category_it_was_not_given_is_unusable() -> None:
    server = SafetyServer("llama_guard").start()
    server.behaviour.reply = reply(200, completion("unsafe\nS10"))
    try:
        model = screener(server, dialect=Dialect.LLAMA_GUARD)
        [result] = model.screen([case(THREAT_FR, "fr")])
        model.close()
    finally:
        server.stop()
    assert result.usability is Usability.UNUSABLE


def test_a_slow_model_times_out_and_the_case_is_screened_without_it(server: SafetyServer) -> None:
    server.behaviour.reply = reply(200, completion('{"violation": 1}'), delay=1.0)
    model = screener(server, timeout_seconds=0.2)
    [result] = model.screen([case(THREAT_FR, "fr")])
    model.close()
    assert result.usability is Usability.UNAVAILABLE
    assert result.notes == ("model unavailable: timeout",)


def test_the_batch_deadline_bounds_a_batch_of_slow_answers(server: SafetyServer) -> None:
    server.behaviour.reply = reply(200, completion('{"violation": 0}'), delay=0.4)
    model = screener(server, timeout_seconds=2.0, batch_timeout_seconds=0.6, concurrency=2)
    results = model.screen([case(f"{THREAT_FR} {i}", "fr") for i in range(6)])
    model.close()
    usabilities = [r.usability for r in results]
    assert usabilities.count(Usability.USED) == 2  # the first two answered in time
    assert usabilities.count(Usability.UNAVAILABLE) == 4


def test_requests_go_out_together_within_the_concurrency_limit(server: SafetyServer) -> None:
    server.behaviour.reply = reply(200, completion('{"violation": 0}'), delay=0.15)
    model = screener(server, concurrency=3)
    results = model.screen([case(f"{BANTER_EN} {i}", "en") for i in range(9)])
    model.close()
    assert all(r.usability is Usability.USED for r in results)
    assert server.behaviour.most_in_flight == 3


def test_failing_batches_open_the_circuit_and_a_trial_closes_it(server: SafetyServer) -> None:
    clock = Clock()
    model = screener(server, clock, failure_threshold=2, cooldown_seconds=30)
    server.behaviour.reply = reply(500, b"{}")
    for _ in range(2):
        [result] = model.screen([case(THREAT_FR, "fr")])
        assert result.notes == ("model unavailable: http 500",)
    assert state(model) is CircuitState.OPEN
    sent = len(server.behaviour.seen)
    [result] = model.screen([case(THREAT_FR, "fr")])
    assert result.notes == ("model unavailable: circuit open",)
    assert len(server.behaviour.seen) == sent  # nothing sent while open
    clock.now += 31
    server.behaviour.reply = reply(200, completion('{"violation": 1, "confidence": "high"}'))
    [result] = model.screen([case(THREAT_FR, "fr")])
    model.close()
    assert result.scores == {Category.HARASSMENT: 0.95}
    assert state(model) is CircuitState.CLOSED


def test_only_the_models_languages_and_categories_with_a_policy_are_asked(
    server: SafetyServer,
) -> None:
    model = screener(server)
    german, unknown, other, empty = model.screen(
        [
            case("Ich werde dich finden", "de"),
            case("???", None),
            case(THREAT_FR, "fr", Category.OTHER),
            CaseInput("c", 1, Category.SPAM),
        ]
    )
    model.close()
    assert [r.usability for r in (german, unknown, other, empty)] == [Usability.NO_INPUT] * 4
    assert german.notes == ("language de not screened by this model",)
    assert other.notes == ("no fr policy for other",)
    assert server.behaviour.seen == []


def test_tokens_and_latency_are_counted(server: SafetyServer) -> None:
    prompt = sample("crible_prescreen_safety_model_tokens_total", {"kind": "prompt"})
    calls = sample("crible_prescreen_safety_model_seconds_count")
    model = screener(server)
    model.screen([case(THREAT_FR, "fr"), case(BANTER_EN, "en")])
    model.close()
    assert sample("crible_prescreen_safety_model_tokens_total", {"kind": "prompt"}) == prompt + 600
    assert sample("crible_prescreen_safety_model_seconds_count") == calls + 2


def test_policy_files_are_checked(tmp_path: Path) -> None:
    policies, digest = load_policies(POLICIES, ["en", "fr"])
    assert len(policies) == 20
    assert len(digest) == 64
    with pytest.raises(PolicyFilesError, match="no policies for the language 'de'"):
        load_policies(POLICIES, ["de"])
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "gossip.md").write_text("Gossip\nVIOLATES: gossip")
    with pytest.raises(PolicyFilesError, match="'gossip' is not a category"):
        load_policies(tmp_path, ["en"])


def test_every_request_body_is_json_the_server_accepts(server: SafetyServer) -> None:
    model = screener(server)
    model.screen([case(THREAT_FR + " \u202e", "fr")])
    model.close()
    [seen] = server.behaviour.seen
    assert json.loads(json.dumps(seen["body"]))["max_tokens"] == 256
