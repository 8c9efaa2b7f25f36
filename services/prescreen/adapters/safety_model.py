"""The policy-prompted safety-model screener: written policies, an OpenAI-compatible endpoint.

For each case it asks the model whether the case's texts violate the written policy of the
category the case was reported under, in the case's language
(``deploy/prescreen/policies/<language>/<category>.md``): one ``POST {url}`` per case to a
chat-completions endpoint (gpt-oss-safeguard or Llama Guard served by vLLM or llama.cpp's
server; prompts and answers in :mod:`services.prescreen.core.safety_prompts`). A batch's
requests go out together, at most ``concurrency`` at a time, each with its own timeout and
the batch under one deadline. An answer that is not the expected shape makes the case
``unusable``; a call that fails (connection, timeout, 4xx, 5xx), a request still waiting at
the deadline, or the circuit breaker being open (after ``failure_threshold`` failed batches
in a row) makes it ``unavailable``: screening goes on without the model.

The model runs in shadow mode first: the live policy lists ``safety_model`` among its
``shadow_screeners``. Nothing here logs or labels a text, a case id or the API key.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client import Counter, Gauge, Histogram

from services.prescreen.core.circuit import CircuitBreaker, CircuitState
from services.prescreen.core.model import CaseInput, Finding, ScreenerResult, Usability
from services.prescreen.core.safety_prompts import (
    Dialect,
    SafetyAnswer,
    UnusableAnswerError,
    Usage,
    messages,
    read_completion,
)
from shared.events import Category

log = logging.getLogger(__name__)
# httpx logs every request at INFO: one line per case screened would drown the service's logs
logging.getLogger("httpx").setLevel(logging.WARNING)

NAME = "safety_model"

_REQUESTS = Counter(
    "crible_prescreen_safety_model_requests_total",
    "Calls to the policy-prompted safety model, by outcome: ok, unusable (an answer not of "
    "the expected shape), timeout, error (connection, 5xx), rejected (4xx, 429 included), "
    "late (still waiting at the batch deadline), circuit_open (not sent).",
    ["outcome"],
)
_SECONDS = Histogram(
    "crible_prescreen_safety_model_seconds",
    "Duration of one call to the safety model, failed ones included.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0),
)
_TOKENS = Counter(
    "crible_prescreen_safety_model_tokens_total",
    "Tokens the safety model's endpoint reported using, by kind (prompt, completion).",
    ["kind"],
)
_CIRCUIT = Gauge(
    "crible_prescreen_safety_model_circuit_state",
    "Circuit breaker of the safety model's endpoint: 0 closed, 1 half-open, 2 open.",
)
_GAUGE = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}


class PolicyFilesError(ValueError):
    """The policies directory cannot be used; the message says which file and why."""


@dataclass(frozen=True, slots=True)
class SafetyModelConfig:
    """Where the model is, how it is prompted, and how patiently it is called."""

    url: str
    model: str
    policies: Path
    dialect: Dialect = Dialect.SAFEGUARD
    #: Sent as ``Authorization: Bearer``; kept out of ``repr`` so it never reaches a log.
    api_key: str | None = field(default=None, repr=False)
    #: The languages the model is asked about (a policy must exist in each).
    languages: tuple[str, ...] = ("en", "fr")
    timeout_seconds: float = 5.0
    #: The whole batch's deadline: a request still waiting then counts as unavailable.
    batch_timeout_seconds: float = 15.0
    concurrency: int = 4
    failure_threshold: int = 5
    cooldown_seconds: float = 30.0
    max_input_chars: int = 4000
    max_tokens: int = 256

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("the safety model url must be http:// or https://")
        if self.timeout_seconds <= 0 or self.batch_timeout_seconds <= 0:
            raise ValueError("timeouts must be positive")
        if self.concurrency < 1 or self.failure_threshold < 1 or self.max_input_chars < 1:
            raise ValueError("concurrency, failure_threshold and max_input_chars are >= 1")


def load_policies(
    directory: Path, languages: Sequence[str]
) -> tuple[dict[tuple[str, Category], str], str]:
    """Every ``<language>/<category>.md`` policy, and a digest of them all (the version)."""
    policies: dict[tuple[str, Category], str] = {}
    digest = hashlib.sha256()
    for language in languages:
        folder = directory / language
        if not folder.is_dir():
            raise PolicyFilesError(f"{folder}: no policies for the language {language!r}")
        for path in sorted(folder.glob("*.md")):
            try:
                category = Category(path.stem)
            except ValueError:
                raise PolicyFilesError(f"{path}: {path.stem!r} is not a category") from None
            text = path.read_text(encoding="utf-8").strip()
            if "\n" not in text:
                raise PolicyFilesError(f"{path}: a title line, then the policy")
            policies[(language, category)] = text
            digest.update(f"{language}/{category.value}\n{text}\n".encode())
    if not policies:
        raise PolicyFilesError(f"{directory}: no policy files")
    return policies, digest.hexdigest()


class _CallFailedError(Exception):
    """A call that gave no answer; ``reason`` is safe to log and to put in notes."""

    def __init__(self, reason: str, outcome: str) -> None:
        super().__init__(reason)
        self.reason, self.outcome = reason, outcome


@dataclass(frozen=True, slots=True)
class _Job:
    """One case's question: its policy's category and language, and the text asked about."""

    category: Category
    language: str
    text: str
    notes: tuple[str, ...]


class SafetyModelScreener:
    """Asks a safety model, policy by policy; see the module docstring."""

    name = NAME
    #: It scores only the languages it knows: it runs once the texts' languages are known.
    reads_languages = True

    def __init__(
        self, config: SafetyModelConfig, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._config = config
        self._policies, digest = load_policies(config.policies, config.languages)
        self.version = f"{config.model}+policies.{digest[:12]}"[:128]
        self._breaker = CircuitBreaker(
            failure_threshold=config.failure_threshold,
            cooldown_seconds=config.cooldown_seconds,
            clock=clock,
        )
        headers = {"Accept": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        limits = httpx.Limits(max_connections=config.concurrency)
        self._client = httpx.Client(
            headers=headers,
            timeout=config.timeout_seconds,
            limits=limits,
            follow_redirects=False,
        )
        self._pool = ThreadPoolExecutor(config.concurrency, thread_name_prefix="safety-model")
        self._lock = threading.Lock()
        _CIRCUIT.set(_GAUGE[CircuitState.CLOSED])

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker guarding the endpoint."""
        return self._breaker

    def close(self) -> None:
        """Stop the request threads and close the connection pool."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        """Ask about every case that has a policy; never raises."""
        jobs = [self._job(case) for case in cases]
        asked = [i for i, job in enumerate(jobs) if isinstance(job, _Job)]
        results: list[ScreenerResult | None] = [
            job if isinstance(job, ScreenerResult) else None for job in jobs
        ]
        if asked and not self._breaker.allow():
            _REQUESTS.labels(outcome="circuit_open").inc(len(asked))
            for i in asked:
                results[i] = self._unavailable("circuit open", jobs[i])
            asked = []
        if asked:
            answers = self._ask([jobs[i] for i in asked])  # type: ignore[misc]
            if any(isinstance(a, tuple) for a in answers):
                self._breaker.record_success()
            else:
                self._breaker.record_failure()
            for i, answer in zip(asked, answers, strict=True):
                results[i] = self._result(jobs[i], answer)  # type: ignore[arg-type]
        _CIRCUIT.set(_GAUGE[self._breaker.state])
        return [r for r in results if r is not None]

    def _job(self, case: CaseInput) -> _Job | ScreenerResult:
        """What to ask about a case, or why nothing is asked."""
        texts = [t.text for t in case.texts if t.text.strip()]
        if not texts:
            return ScreenerResult(NAME, self.version, Usability.NO_INPUT)
        language = case.language
        if language not in self._config.languages:
            note = f"language {language or 'unknown'} not screened by this model"
            return ScreenerResult(NAME, self.version, Usability.NO_INPUT, notes=(note,))
        if (language, case.category) not in self._policies:
            note = f"no {language} policy for {case.category.value}"
            return ScreenerResult(NAME, self.version, Usability.NO_INPUT, notes=(note,))
        text = "\n\n".join(texts)
        limit = self._config.max_input_chars
        notes = (f"text truncated to {limit} characters",) if len(text) > limit else ()
        return _Job(case.category, language, text[:limit], notes)

    def _ask(self, jobs: list[_Job]) -> list[tuple[SafetyAnswer, Usage] | _CallFailedError | str]:
        """Each job's answer, failure, or ``"unusable: why"``; all under the batch deadline."""
        futures = [self._pool.submit(self._call, job) for job in jobs]
        done, _ = wait(futures, timeout=self._config.batch_timeout_seconds)
        return [self._outcome(future, done=future in done) for future in futures]

    @staticmethod
    def _outcome(
        future: Future[tuple[SafetyAnswer, Usage]], *, done: bool
    ) -> tuple[SafetyAnswer, Usage] | _CallFailedError | str:
        if not done:
            future.cancel()
            _REQUESTS.labels(outcome="late").inc()
            return _CallFailedError("no answer by the batch deadline", "late")
        error = future.exception()
        if error is None:
            return future.result()
        if isinstance(error, UnusableAnswerError):
            return f"unusable answer: {error}"
        if isinstance(error, _CallFailedError):
            return error
        log.error("safety model call failed unexpectedly", exc_info=error)
        return _CallFailedError("internal error", "error")

    def _call(self, job: _Job) -> tuple[SafetyAnswer, Usage]:
        """One request, its answer read strictly; counted and timed."""
        payload = {
            "model": self._config.model,
            "messages": messages(
                self._config.dialect, self._policies[(job.language, job.category)], job.text
            ),
            "temperature": 0,
            "max_tokens": self._config.max_tokens,
        }
        started = time.perf_counter()
        try:
            response = self._client.post(self._config.url, json=payload)
        except httpx.TimeoutException:
            raise _failed("timeout", "timeout") from None
        except httpx.HTTPError:
            raise _failed("connection error", "error") from None
        finally:
            _SECONDS.observe(time.perf_counter() - started)
        status = response.status_code
        if status >= 500:
            raise _failed(f"http {status}", "error")
        if status >= 400:
            raise _failed(f"http {status}", "rejected")
        if status != 200:
            raise _failed(f"http {status}", "error")
        try:
            answer, usage = read_completion(self._config.dialect, response.json())
        except UnusableAnswerError:
            _REQUESTS.labels(outcome="unusable").inc()
            raise
        except ValueError:
            _REQUESTS.labels(outcome="unusable").inc()
            raise UnusableAnswerError("the response is not JSON") from None
        _REQUESTS.labels(outcome="ok").inc()
        _TOKENS.labels(kind="prompt").inc(usage.prompt_tokens)
        _TOKENS.labels(kind="completion").inc(usage.completion_tokens)
        return answer, usage

    def _result(
        self, job: _Job, answer: tuple[SafetyAnswer, Usage] | _CallFailedError | str
    ) -> ScreenerResult:
        if isinstance(answer, _CallFailedError):
            return self._unavailable(answer.reason, job)
        if isinstance(answer, str):
            return ScreenerResult(
                NAME, self.version, Usability.UNUSABLE, notes=(answer, *job.notes)
            )
        verdict, _ = answer
        findings = (
            (Finding("model", job.category, f"{NAME}:{job.language}/{job.category.value}"),)
            if verdict.violation
            else ()
        )
        return ScreenerResult(
            NAME,
            self.version,
            Usability.USED,
            {job.category: verdict.score},
            findings,
            job.notes,
        )

    def _unavailable(self, reason: str, job: _Job | ScreenerResult) -> ScreenerResult:
        notes = job.notes if isinstance(job, _Job) else ()
        return ScreenerResult(
            NAME,
            self.version,
            Usability.UNAVAILABLE,
            notes=(f"model unavailable: {reason}", *notes),
        )


def _failed(reason: str, outcome: str) -> _CallFailedError:
    _REQUESTS.labels(outcome=outcome).inc()
    return _CallFailedError(reason, outcome)
