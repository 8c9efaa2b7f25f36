"""The external moderation adapter against a real local HTTP server the tests steer."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from prometheus_client import REGISTRY

from services.prescreen.adapters.external_model import ExternalModelConfig, ExternalModelScreener
from services.prescreen.core.circuit import CircuitBreaker, CircuitState
from services.prescreen.core.model import CaseInput, Finding, Screener, TextItem, Usability
from shared.events import Category

API_KEY = "sk-test-secret-1234"

#: What the server answers to one request: (status, body bytes, delay in seconds).
Reply = tuple[int, bytes, float]


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: Any
    client_port: int


@dataclass
class Behaviour:
    """What the server does: the tests swap ``reply`` between calls."""

    reply: Callable[[Any], Reply]
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.seen)


def moderation(body: Any, scores: list[dict[str, float]] | None = None) -> Reply:
    """A well-formed answer: the given scores, or a low score per input."""
    per_text = scores or [{"harassment": 0.01} for _ in body["input"]]
    results = [
        {"flagged": False, "categories": {k: v >= 0.5 for k, v in s.items()}, "category_scores": s}
        for s in per_text
    ]
    answer = {"id": "modr-1", "model": "omni-moderation-2024-09-26", "results": results}
    return 200, json.dumps(answer).encode(), 0.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real endpoints do
    server: Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        behaviour = self.server.behaviour
        with behaviour.lock:
            behaviour.seen.append(
                Seen(self.path, dict(self.headers.items()), body, self.client_address[1])
            )
        status, payload, delay = behaviour.reply(body)
        time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up waiting (the timeout tests)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.behaviour = behaviour

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/moderations"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a connection the client dropped is expected here, not a test failure


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server(Behaviour(reply=moderation))
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


class Clock:
    """A monotonic clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(url: str, clock: Clock | None = None, **options: Any) -> Iterator[ExternalModelScreener]:
    settings: dict[str, Any] = {
        "api_key": API_KEY,
        "model": "omni-moderation-latest",
        "timeout_seconds": 0.2,
        "retries": 0,
        "backoff_seconds": 0.01,
        "failure_threshold": 3,
        "cooldown_seconds": 30.0,
    } | options
    screener = ExternalModelScreener(ExternalModelConfig(url, **settings), clock=clock or Clock())
    yield screener
    screener.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def screener(server: Server, clock: Clock) -> Iterator[ExternalModelScreener]:
    yield from make(server.url, clock)


def case(*texts: str, case_id: str = "c1") -> CaseInput:
    return CaseInput(
        case_id=case_id,
        revision=1,
        category=Category.HARASSMENT,
        texts=tuple(TextItem(source="report", text=text) for text in texts),
    )


def requests_total(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "crible_prescreen_external_requests_total", {"outcome": outcome}
    )
    return value or 0.0


def state(of: ExternalModelScreener | CircuitBreaker) -> CircuitState:
    """Read afresh each time (a bare property access would be narrowed by mypy)."""
    return (of.breaker if isinstance(of, ExternalModelScreener) else of).state


def circuit_gauge() -> float | None:
    return REGISTRY.get_sample_value("crible_prescreen_external_circuit_state")


def fail_with(
    status: int, body: bytes = b'{"error": "down"}', delay: float = 0.0
) -> Callable[[Any], Reply]:
    return lambda _body: (status, body, delay)


# --- normal answers ---------------------------------------------------------------------------


def test_one_post_per_batch_with_the_model_texts_and_bearer_key(
    server: Server, screener: ExternalModelScreener
) -> None:
    cases = [case("you are", "an idiot", case_id="a"), case(case_id="b"), case("hi", case_id="c")]

    as_protocol: Screener = screener  # mypy checks it fits the protocol
    results = as_protocol.screen(cases)

    assert server.behaviour.count == 1
    seen = server.behaviour.seen[0]
    assert seen.path == "/v1/moderations"
    assert seen.headers["Authorization"] == f"Bearer {API_KEY}"
    assert seen.body == {"model": "omni-moderation-latest", "input": ["you are\nan idiot", "hi"]}
    assert [r.usability for r in results] == [Usability.USED, Usability.NO_INPUT, Usability.USED]
    assert all(r.screener == "external" for r in results)
    assert results[0].version == "omni-moderation-2024-09-26"
    assert screener.version == "omni-moderation-2024-09-26"


def test_scores_are_the_max_over_mapped_labels_and_findings_from_half(
    server: Server, screener: ExternalModelScreener
) -> None:
    scores = {
        "harassment": 0.2,
        "harassment/threatening": 0.7,
        "violence": 0.4,
        "violence/graphic": 0.99,  # left out of the map: describing gore is no threat
        "hate": 0.5,
        "sexual": 0.9,  # unmapped: adult content feeds nothing
        "sexual/minors": 0.1,
        "illicit/violent": 0.3,
        "some-new-label": 1.0,  # unknown labels are ignored
    }
    server.behaviour.reply = lambda body: moderation(body, [scores])

    [result] = screener.screen([case("text")])

    assert result.scores == {
        Category.HARASSMENT: 0.7,
        Category.HATE_SPEECH: 0.5,
        Category.CHILD_SEXUAL_ABUSE: 0.1,
        Category.ILLEGAL_GOODS: 0.3,
    }
    assert set(result.findings) == {
        Finding(kind="model", category=Category.HARASSMENT, ref="external:harassment/threatening"),
        Finding(kind="model", category=Category.HATE_SPEECH, ref="external:hate"),
    }
    assert Category.TERRORISM not in result.scores


def test_long_texts_are_truncated_with_a_note(server: Server, clock: Clock) -> None:
    for screener in make(server.url, clock, max_input_chars=10):
        [long, short] = screener.screen([case("x" * 25), case("y" * 10)])

    assert server.behaviour.seen[0].body["input"] == ["x" * 10, "y" * 10]
    assert long.notes == ("text truncated to 10 characters",)
    assert short.notes == ()


def test_a_batch_without_text_sends_nothing(
    server: Server, screener: ExternalModelScreener
) -> None:
    results = screener.screen([case(), case("   ")])

    assert [r.usability for r in results] == [Usability.NO_INPUT, Usability.NO_INPUT]
    assert server.behaviour.count == 0


def test_connections_are_kept_alive_between_batches(
    server: Server, screener: ExternalModelScreener
) -> None:
    screener.screen([case("one")])
    screener.screen([case("two")])

    ports = {seen.client_port for seen in server.behaviour.seen}
    assert len(ports) == 1


def test_no_key_no_authorization_header(server: Server, clock: Clock) -> None:
    for screener in make(server.url, clock, api_key=None):
        screener.screen([case("text")])

    assert "Authorization" not in server.behaviour.seen[0].headers


def test_the_key_stays_out_of_repr_and_logs(
    server: Server, screener: ExternalModelScreener, caplog: pytest.LogCaptureFixture
) -> None:
    server.behaviour.reply = fail_with(500)
    caplog.set_level(logging.DEBUG)

    screener.screen([case("private words")])

    assert API_KEY not in repr(ExternalModelConfig("http://x", api_key=API_KEY))
    assert caplog.records  # the failure was logged...
    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert API_KEY not in logged  # ...without the key
    assert "private words" not in logged  # ...or the text


# --- failures ---------------------------------------------------------------------------------


def assert_unavailable(results: list[Any], note: str) -> None:
    assert [r.usability for r in results] == [Usability.UNAVAILABLE] * len(results)
    assert all(r.notes[0] == f"endpoint unavailable: {note}" for r in results)
    assert all(not r.scores and not r.findings for r in results)


def test_a_slow_answer_times_out(server: Server, screener: ExternalModelScreener) -> None:
    server.behaviour.reply = lambda body: (*moderation(body)[:2], 0.6)
    before = requests_total("timeout")
    started = time.monotonic()

    results = screener.screen([case("a"), case("b")])

    assert time.monotonic() - started < 0.5
    assert_unavailable(results, "timeout")
    assert requests_total("timeout") == before + 1


def test_a_5xx_is_retried_then_given_up(server: Server, clock: Clock) -> None:
    server.behaviour.reply = fail_with(503)
    for screener in make(server.url, clock, retries=2):
        results = screener.screen([case("a")])

    assert server.behaviour.count == 3
    assert_unavailable(results, "http 503")


def test_a_retry_can_succeed(server: Server, clock: Clock) -> None:
    replies = iter([fail_with(500)(None), fail_with(429)(None)])
    server.behaviour.reply = lambda body: next(replies, None) or moderation(body)
    for screener in make(server.url, clock, retries=2):
        [result] = screener.screen([case("a")])

    assert server.behaviour.count == 3
    assert result.usability is Usability.USED


def test_a_4xx_other_than_429_is_not_retried(server: Server, clock: Clock) -> None:
    server.behaviour.reply = fail_with(401)
    before = requests_total("rejected")
    for screener in make(server.url, clock, retries=2):
        results = screener.screen([case("a")])

    assert server.behaviour.count == 1
    assert_unavailable(results, "http 401")
    assert requests_total("rejected") == before + 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<html>oops</html>", id="not-json"),
        pytest.param(b"[]", id="not-an-object"),
        pytest.param(b'{"results": {}}', id="results-not-a-list"),
        pytest.param(b'{"results": [{"category_scores": {"hate": "high"}}]}', id="text-score"),
        pytest.param(b'{"results": [{"category_scores": {"hate": true}}]}', id="bool-score"),
        pytest.param(b'{"results": [{"category_scores": {"hate": 1.5}}]}', id="out-of-range"),
        pytest.param(b'{"results": [{"category_scores": {"hate": NaN}}]}', id="nan"),
        pytest.param(b'{"results": [{"flagged": "no", "category_scores": {}}]}', id="flagged"),
        pytest.param(b'{"results": [{"flagged": false}]}', id="no-scores"),
        pytest.param(b'{"model": 7, "results": [{"category_scores": {}}]}', id="model"),
    ],
)
def test_a_malformed_answer_is_a_failure(
    server: Server, screener: ExternalModelScreener, body: bytes
) -> None:
    server.behaviour.reply = fail_with(200, body)

    results = screener.screen([case("a")])

    assert_unavailable(results, "bad response")


def test_the_wrong_number_of_results_is_a_failure(
    server: Server, screener: ExternalModelScreener
) -> None:
    server.behaviour.reply = lambda body: moderation(body, [{"hate": 0.9}])

    results = screener.screen([case("a"), case("b")])

    assert_unavailable(results, "bad response")


def test_a_server_gone_gives_unavailable_without_raising(server: Server, clock: Clock) -> None:
    url = server.url
    server.shutdown()
    server.server_close()  # the port now refuses connections
    before = requests_total("error")
    for screener in make(url, clock, retries=1):
        results = screener.screen([case("a"), case()])

    assert [r.usability for r in results] == [Usability.UNAVAILABLE, Usability.NO_INPUT]
    assert results[0].notes == ("endpoint unavailable: connection error",)
    assert requests_total("error") == before + 2


# --- the circuit breaker ----------------------------------------------------------------------


def test_the_circuit_opens_after_n_failures_and_stops_calling(
    server: Server, screener: ExternalModelScreener
) -> None:
    server.behaviour.reply = fail_with(500)
    for _ in range(3):
        screener.screen([case("a")])
    assert state(screener) is CircuitState.OPEN
    assert circuit_gauge() == 2
    before = requests_total("circuit_open")

    for _ in range(5):
        results = screener.screen([case("a"), case("b")])

    assert server.behaviour.count == 3  # nothing reached the server while open
    assert_unavailable(results, "circuit open")
    assert requests_total("circuit_open") == before + 5


def test_after_the_cooldown_one_trial_closes_the_circuit(
    server: Server, screener: ExternalModelScreener, clock: Clock
) -> None:
    server.behaviour.reply = fail_with(500)
    for _ in range(3):
        screener.screen([case("a")])
    clock.now += 29.9
    assert state(screener) is CircuitState.OPEN
    clock.now += 0.1
    assert state(screener) is CircuitState.HALF_OPEN

    server.behaviour.reply = moderation
    [result] = screener.screen([case("a")])

    assert result.usability is Usability.USED
    assert server.behaviour.count == 4
    assert state(screener) is CircuitState.CLOSED
    assert circuit_gauge() == 0


def test_a_failed_trial_opens_the_circuit_for_another_cooldown(
    server: Server, screener: ExternalModelScreener, clock: Clock
) -> None:
    server.behaviour.reply = fail_with(500)
    for _ in range(3):
        screener.screen([case("a")])
    clock.now += 30

    [trial] = screener.screen([case("a")])
    [skipped] = screener.screen([case("a")])

    assert trial.notes == ("endpoint unavailable: http 500",)
    assert skipped.notes == ("endpoint unavailable: circuit open",)
    assert server.behaviour.count == 4
    assert state(screener) is CircuitState.OPEN


def test_a_success_resets_the_count_of_failures(
    server: Server, screener: ExternalModelScreener
) -> None:
    for reply in [fail_with(500), fail_with(500), moderation, fail_with(500), fail_with(500)]:
        server.behaviour.reply = reply
        screener.screen([case("a")])

    assert state(screener) is CircuitState.CLOSED


def test_half_open_lets_a_single_caller_through(clock: Clock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_seconds=5, clock=clock)
    breaker.record_failure()
    assert not breaker.allow()
    clock.now += 5

    assert breaker.allow()
    assert state(breaker) is CircuitState.HALF_OPEN
    assert not breaker.allow()  # the trial is still running
    breaker.record_success()
    assert breaker.allow()
    assert state(breaker) is CircuitState.CLOSED


@pytest.mark.parametrize(
    "options",
    [
        {"timeout_seconds": 0},
        {"retries": -1},
        {"failure_threshold": 0},
        {"max_input_chars": 0},
    ],
)
def test_the_config_refuses_nonsense(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"."):
        ExternalModelConfig("https://moderation.example/v1/moderations", **options)


def test_the_config_refuses_a_non_http_url() -> None:
    with pytest.raises(ValueError, match="http"):
        ExternalModelConfig("ftp://moderation.example")
