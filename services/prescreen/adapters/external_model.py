"""An adapter for an external text classifier speaking the OpenAI moderation API.

Disabled by default: it runs only where a deployment configures an endpoint URL, and its
scores are one more opinion, never a required one. Each batch is ONE ``POST {url}`` with
``{"model": ..., "input": [one text per case]}``; the answer's ``results`` come back in the
same order. A batch that fails (timeout, connection error, 5xx, 429, a malformed answer) is
retried with a short backoff; if it still fails, or while the circuit breaker is open, every
case gets :attr:`Usability.UNAVAILABLE` and pre-screening goes on with the other screeners.

Nothing here logs or labels a text, a case id or the API key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

import httpx
from prometheus_client import Counter, Gauge, Histogram

from services.prescreen.core.circuit import CircuitBreaker, CircuitState
from services.prescreen.core.model import CaseInput, Finding, ScreenerResult, Usability
from shared.events import Category

log = logging.getLogger(__name__)

#: The endpoint's labels (OpenAI's names) and the Crible category each one feeds. Labels not
#: listed are ignored, so a provider adding labels changes nothing until this map does.
DEFAULT_CATEGORY_MAP: Final[Mapping[str, Category]] = MappingProxyType(
    {
        "harassment": Category.HARASSMENT,
        "harassment/threatening": Category.HARASSMENT,
        "hate": Category.HATE_SPEECH,
        "hate/threatening": Category.HATE_SPEECH,
        "self-harm": Category.SELF_HARM,
        "self-harm/intent": Category.SELF_HARM,
        "self-harm/instructions": Category.SELF_HARM,
        # Only minors: adult sexual content is not illegal, and text cannot tell whether
        # imagery was shared without consent, so plain "sexual" feeds nothing.
        "sexual/minors": Category.CHILD_SEXUAL_ABUSE,
        # Violence in a reported message is mostly a threat against someone. The label says
        # nothing of an ideology, so it never feeds terrorism_violent_extremism, where a false
        # hit is costly. "violence/graphic" (describing gore) is no threat: left out.
        "violence": Category.HARASSMENT,
        # "illicit" is advice on wrongdoing; illegal goods and drugs is the nearest category.
        "illicit": Category.ILLEGAL_GOODS,
        "illicit/violent": Category.ILLEGAL_GOODS,
    }
)

_CIRCUIT_STATE = Gauge(
    "crible_prescreen_external_circuit_state",
    "Circuit breaker of the external moderation endpoint: 0 closed, 1 half-open, 2 open.",
)
_REQUESTS = Counter(
    "crible_prescreen_external_requests_total",
    "Calls to the external moderation endpoint, by outcome: ok, timeout, error (connection, "
    "5xx, malformed answer), rejected (4xx, 429 included), circuit_open (batch not sent).",
    ["outcome"],
)
_SECONDS = Histogram(
    "crible_prescreen_external_seconds",
    "Duration of one HTTP call to the external moderation endpoint, failed ones included.",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
)


@dataclass(frozen=True, slots=True)
class ExternalModelConfig:
    """Where the endpoint is and how patiently to call it."""

    url: str
    model: str = "omni-moderation-latest"
    #: Sent as ``Authorization: Bearer``; kept out of ``repr`` so it never reaches a log.
    api_key: str | None = field(default=None, repr=False)
    #: Per phase of a call (connect, write, read), as httpx counts it.
    timeout_seconds: float = 2.0
    #: Extra attempts after a retryable failure; the n-th waits ``backoff * 2**(n-1)``.
    retries: int = 1
    backoff_seconds: float = 0.1
    #: Consecutive failed batches that open the circuit, and how long it stays open.
    failure_threshold: int = 5
    cooldown_seconds: float = 30.0
    category_map: Mapping[str, Category] = field(default_factory=lambda: DEFAULT_CATEGORY_MAP)
    #: Longer texts are cut (with a note), to bound the request and the provider's bill.
    max_input_chars: int = 4000
    #: A label scoring this much or more becomes a finding.
    finding_threshold: float = 0.5

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("the external model url must be http:// or https://")
        if self.timeout_seconds <= 0 or self.backoff_seconds < 0 or self.cooldown_seconds < 0:
            raise ValueError("timeout must be positive, backoff and cool-down not negative")
        if self.retries < 0 or self.failure_threshold < 1 or self.max_input_chars < 1:
            raise ValueError("retries >= 0, failure_threshold >= 1, max_input_chars >= 1")


_GAUGE_VALUE: Final = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}


class _FailureError(Exception):
    """A call that gave no usable scores; ``reason`` is safe to log and to put in notes."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable


class _BadResponseError(ValueError):
    """The endpoint's answer is not the moderation shape."""


@dataclass(frozen=True, slots=True)
class _Scored:
    """A validated answer: the model that scored, and each text's scores by label."""

    model: str | None
    scores: list[dict[str, float]]


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What is sent for one case (None: nothing to send), and why it was changed."""

    text: str | None
    notes: tuple[str, ...] = ()


class ExternalModelScreener:
    """Scores case texts with an external moderation endpoint; see the module docstring."""

    name = "external"

    def __init__(
        self, config: ExternalModelConfig, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._config = config
        #: The configured model until the endpoint names the one that answered.
        self.version = config.model
        self._breaker = CircuitBreaker(
            failure_threshold=config.failure_threshold,
            cooldown_seconds=config.cooldown_seconds,
            clock=clock,
        )
        headers = {"Accept": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        # One client for the screener's life: its pool keeps connections alive between batches.
        self._client = httpx.Client(
            headers=headers, timeout=config.timeout_seconds, follow_redirects=False
        )
        _CIRCUIT_STATE.set(_GAUGE_VALUE[CircuitState.CLOSED])

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker guarding the endpoint."""
        return self._breaker

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        """Score the batch in one call; never raises (an outage makes cases UNAVAILABLE)."""
        prepared = [self._prepare(case) for case in cases]
        texts = [item.text for item in prepared if item.text is not None]
        if not texts:
            return [self._no_input() for _ in prepared]
        outcome = self._score_batch(texts)
        _CIRCUIT_STATE.set(_GAUGE_VALUE[self._breaker.state])
        if isinstance(outcome, str):
            return [self._unavailable(item, outcome) for item in prepared]
        version = outcome.model or self._config.model
        self.version = version
        scores = iter(outcome.scores)
        return [
            self._no_input() if item.text is None else self._used(next(scores), item, version)
            for item in prepared
        ]

    def _prepare(self, case: CaseInput) -> _Prepared:
        text = "\n".join(item.text for item in case.texts if item.text.strip())
        if not text:
            return _Prepared(None)
        limit = self._config.max_input_chars
        if len(text) <= limit:
            return _Prepared(text)
        return _Prepared(text[:limit], (f"text truncated to {limit} characters",))

    def _score_batch(self, texts: list[str]) -> _Scored | str:
        """The batch's scores, or why there are none."""
        if not self._breaker.allow():
            _REQUESTS.labels(outcome="circuit_open").inc()
            return "circuit open"
        try:
            scored = self._call(texts)
        except _FailureError as failure:
            self._breaker.record_failure()
            log.warning(
                "external moderation endpoint unavailable",
                extra={"reason": failure.reason, "texts": len(texts)},
            )
            return failure.reason
        except Exception:
            # A bug here must not stop pre-screening: the fallback is the other screeners.
            self._breaker.record_failure()
            log.exception("external moderation screener failed unexpectedly")
            return "internal error"
        self._breaker.record_success()
        return scored

    def _call(self, texts: list[str]) -> _Scored:
        """One attempt, then up to ``retries`` more after retryable failures."""
        failed = 0
        while True:
            try:
                return self._attempt(texts)
            except _FailureError as failure:
                failed += 1
                if not failure.retryable or failed > self._config.retries:
                    raise
            time.sleep(self._config.backoff_seconds * 2 ** (failed - 1))

    def _attempt(self, texts: list[str]) -> _Scored:
        """One HTTP call, its answer validated; counts and times it."""
        payload = {"model": self._config.model, "input": texts}
        started = time.perf_counter()
        try:
            response = self._client.post(self._config.url, json=payload)
        except httpx.TimeoutException as exc:
            raise _failed("timeout", outcome="timeout", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise _failed("connection error", outcome="error", retryable=True) from exc
        finally:
            _SECONDS.observe(time.perf_counter() - started)
        _check_status(response.status_code)
        try:
            scored = _parse(response.json(), expected=len(texts))
        except ValueError as exc:  # not JSON, or _BadResponseError
            raise _failed("bad response", outcome="error", retryable=True) from exc
        _REQUESTS.labels(outcome="ok").inc()
        return scored

    def _used(self, scores: Mapping[str, float], item: _Prepared, version: str) -> ScreenerResult:
        by_category: dict[Category, float] = {}
        findings: list[Finding] = []
        for label in sorted(scores):
            category = self._config.category_map.get(label)
            if category is None:
                continue
            score = scores[label]
            by_category[category] = max(score, by_category.get(category, 0.0))
            if score >= self._config.finding_threshold:
                findings.append(Finding(kind="model", category=category, ref=f"external:{label}"))
        return ScreenerResult(
            screener=self.name,
            version=version,
            usability=Usability.USED,
            scores=by_category,
            findings=tuple(findings),
            notes=item.notes,
        )

    def _no_input(self) -> ScreenerResult:
        return ScreenerResult(self.name, self.version, Usability.NO_INPUT)

    def _unavailable(self, item: _Prepared, reason: str) -> ScreenerResult:
        if item.text is None:
            return self._no_input()
        notes = (f"endpoint unavailable: {reason}", *item.notes)
        return ScreenerResult(self.name, self.version, Usability.UNAVAILABLE, notes=notes)


def _failed(reason: str, *, outcome: str, retryable: bool) -> _FailureError:
    """Count a failed call under ``outcome`` and build its error."""
    _REQUESTS.labels(outcome=outcome).inc()
    return _FailureError(reason, retryable=retryable)


def _check_status(status: int) -> None:
    """Raise for an answer that is not a success; only 429 and 5xx are worth retrying."""
    if 200 <= status < 300:
        return
    if status == 429:
        raise _failed("http 429", outcome="rejected", retryable=True)
    if status >= 500:
        raise _failed(f"http {status}", outcome="error", retryable=True)
    if 400 <= status < 500:
        raise _failed(f"http {status}", outcome="rejected", retryable=False)
    # A redirect or an informational status: a misconfigured URL, retrying will not help.
    raise _failed(f"http {status}", outcome="error", retryable=False)


def _parse(body: object, *, expected: int) -> _Scored:
    """Validate ``{"model": str, "results": [{"category_scores": {...}}, ...]}`` strictly."""
    if not isinstance(body, dict):
        raise _BadResponseError("the answer is not a JSON object")
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise _BadResponseError("model is not a string")
    results = body.get("results")
    if not isinstance(results, list) or len(results) != expected:
        raise _BadResponseError("results is not a list of one result per text")
    return _Scored(model or None, [_parse_result(result) for result in results])


def _parse_result(result: object) -> dict[str, float]:
    if not isinstance(result, dict):
        raise _BadResponseError("a result is not an object")
    if not isinstance(result.get("flagged", False), bool):
        raise _BadResponseError("flagged is not a boolean")
    if not isinstance(result.get("categories", {}), dict):
        raise _BadResponseError("categories is not an object")
    scores = result.get("category_scores")
    if not isinstance(scores, dict):
        raise _BadResponseError("category_scores is not an object")
    return {str(label): _score(value) for label, value in scores.items()}


def _score(value: object) -> float:
    # bool is an int to Python, but true is no score; NaN fails the range check.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadResponseError("a score is not a number")
    score = float(value)
    if not 0.0 <= score <= 1.0:
        raise _BadResponseError("a score is outside 0..1")
    return score
