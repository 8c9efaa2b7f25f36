"""Submitting statements of reasons to the DSA Transparency Database, in batches.

The batch endpoint stores all of a batch or none of it (DSA-SOR.md §1): when some items are
refused, the rest is sent again without them. A PUID the platform already used comes back as
a duplicate, which here means "stored earlier", so retrying after a timeout is safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

import httpx
import orjson

from services.dispatch.config import DispatchSettings
from services.dispatch.core.statements import validate_statement
from services.dispatch.ports import SubmitResult, SubmitStatus
from shared.runtime.errors import ConfigurationError

log = logging.getLogger(__name__)

#: The multiple-statements endpoint; "API v2" still lives under /api/v1.
BATCH_PATH = "/api/v1/statements"
#: The server takes between 1 and 100 statements per call.
MAX_BATCH = 100
_REASON_LIMIT = 500


class _GiveUpError(Exception):
    """Stop sending: every statement not in ``settled`` fails with this reason."""

    def __init__(self, reason: str, settled: dict[int, SubmitResult]) -> None:
        super().__init__(reason)
        self.settled = settled


class SorSubmitter:
    """Posts statements to the batch endpoint with the platform's bearer token.

    The token goes into the request headers only: it is never logged nor part of a reason.
    """

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout: float = 30.0,
        max_attempts: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        validate_locally: bool = True,
        batch_size: int = MAX_BATCH,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be from 1 to {MAX_BATCH}")
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
        )
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_retry_after = max_retry_after
        self._validate_locally = validate_locally
        self._batch_size = batch_size

    def __repr__(self) -> str:
        return f"SorSubmitter(base_url={str(self._client.base_url)!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def submit(self, statements: Sequence[Mapping[str, Any]]) -> list[SubmitResult]:
        """Send ``statements``; one result per statement, in the same order."""
        results: dict[int, SubmitResult] = {}
        to_send: list[int] = []
        first: dict[str, int] = {}  # PUID -> the index sent for it
        repeats: dict[int, int] = {}  # a repeated PUID's index -> that first index
        for i, statement in enumerate(statements):
            puid = _puid(statement)
            if self._validate_locally and (errors := validate_statement(statement)):
                results[i] = _rejected(puid, "; ".join(errors))
            elif puid in first:
                # A PUID twice in one call fails the whole batch: send it once.
                repeats[i] = first[puid]
            else:
                first[puid] = i
                to_send.append(i)
        stop: str | None = None
        for start in range(0, len(to_send), self._batch_size):
            chunk = to_send[start : start + self._batch_size]
            if stop is None:
                try:
                    results.update(await self._send_batch(statements, chunk))
                    continue
                except _GiveUpError as exc:
                    stop = str(exc)
                    results.update(exc.settled)
            results.update({i: _failed(statements[i], stop) for i in chunk if i not in results})
        for i, original in repeats.items():
            # A copy shares its original's fate; once the original is stored it is a duplicate.
            done = results[original].status in (SubmitStatus.SUBMITTED, SubmitStatus.DUPLICATE)
            results[i] = (
                SubmitResult(_puid(statements[i]), SubmitStatus.DUPLICATE, "repeated in this call")
                if done
                else results[original]
            )
        return [results[i] for i in range(len(statements))]

    async def _send_batch(
        self, statements: Sequence[Mapping[str, Any]], chunk: list[int]
    ) -> dict[int, SubmitResult]:
        """Post one batch until each item is settled; refused items leave, the rest go again."""
        results: dict[int, SubmitResult] = {}
        pending = list(chunk)
        attempt = 0
        while pending:
            body = orjson.dumps({"statements": [statements[i] for i in pending]})
            try:
                response = await self._client.post(BATCH_PATH, content=body)
            except httpx.HTTPError as exc:
                attempt += 1
                why = f"transient: {type(exc).__name__} talking to the Transparency Database"
                if attempt >= self._max_attempts:
                    return results | {i: _failed(statements[i], why) for i in pending}
                await asyncio.sleep(self._delay(attempt))
                continue
            status = response.status_code
            if status == 201:
                log.info("Transparency Database stored %d statements", len(pending))
                return results | {
                    i: SubmitResult(_puid(statements[i]), SubmitStatus.SUBMITTED) for i in pending
                }
            if status == 422:
                settled = _settle_refusal(statements, pending, response)
                results.update(settled)
                pending = [i for i in pending if i not in settled]
                continue  # what is left was valid: the batch failed only because of the others
            if status == 429 or status >= 500:
                attempt += 1
                wait = self._wait_after(response, attempt)
                why = f"transient: HTTP {status} {_excerpt(response)}"
                if wait is None or attempt >= self._max_attempts:
                    return results | {i: _failed(statements[i], why) for i in pending}
                log.warning("Transparency Database answered %d; retrying in %.1f s", status, wait)
                await asyncio.sleep(wait)
                continue
            if status in (401, 403):
                # The token or the account is wrong: no later batch can pass either.
                raise _GiveUpError(_auth_reason(response), results)
            return results | {
                i: _failed(statements[i], f"HTTP {status} {_excerpt(response)}") for i in pending
            }
        return results

    def _delay(self, attempt: int) -> float:
        return float(min(self._max_backoff, self._backoff * 2 ** (attempt - 1)))

    def _wait_after(self, response: httpx.Response, attempt: int) -> float | None:
        """How long to wait before the next try; None when the server asks for too long."""
        asked = _retry_after(response.headers.get("Retry-After"))
        if asked is None:
            return self._delay(attempt)
        return asked if asked <= self._max_retry_after else None


def _settle_refusal(
    statements: Sequence[Mapping[str, Any]], pending: list[int], response: httpx.Response
) -> dict[int, SubmitResult]:
    """The items a 422 answer names: duplicates and refused ones; all pending if it names none."""
    body = _json(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    errors = errors if isinstance(errors, dict) else {}
    settled: dict[int, SubmitResult] = {}
    existing = errors.get("existing_puids")
    if isinstance(existing, list):
        taken = {str(p) for p in existing}
        for i in pending:
            if _puid(statements[i]) in taken:
                settled[i] = SubmitResult(_puid(statements[i]), SubmitStatus.DUPLICATE)
    for position, i in enumerate(pending):
        item_errors = errors.get(f"statement_{position}")
        if item_errors is not None and i not in settled:
            settled[i] = _rejected(_puid(statements[i]), _flatten(item_errors))
    if not settled:
        # A refusal we cannot pin on an item (e.g. the batch size): nothing in it can pass.
        why = body.get("message") if isinstance(body, dict) else None
        reason = str(why) if why else f"HTTP 422 {_excerpt(response)}"
        settled = {i: _rejected(_puid(statements[i]), reason) for i in pending}
    log.warning(
        "Transparency Database refused a batch: %d of %d items settled", len(settled), len(pending)
    )
    return settled


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _auth_reason(response: httpx.Response) -> str:
    if response.status_code == 401:
        return f"HTTP 401: the token was refused (missing, wrong or revoked): {_excerpt(response)}"
    return (
        "HTTP 403: the account may not create statements or is linked to no platform: "
        f"{_excerpt(response)}"
    )


def _flatten(item_errors: object) -> str:
    """``{"field": ["msg", ...]}`` as ``field: msg; field: msg``."""
    if not isinstance(item_errors, dict):
        return str(item_errors)[:_REASON_LIMIT]
    parts = []
    for field, messages in item_errors.items():
        texts = messages if isinstance(messages, list) else [messages]
        parts += [f"{field}: {text}" for text in texts]
    return "; ".join(parts)[:_REASON_LIMIT]


def _json(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def _excerpt(response: httpx.Response) -> str:
    """The answer's message, or the start of its text (429 answers are plain text)."""
    body = _json(response)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:_REASON_LIMIT]
    return response.text.strip()[:_REASON_LIMIT]


def _puid(statement: Mapping[str, Any]) -> str:
    return str(statement.get("puid", ""))


def _rejected(puid: str, reason: str) -> SubmitResult:
    return SubmitResult(puid, SubmitStatus.REJECTED, reason)


def _failed(statement: Mapping[str, Any], reason: str) -> SubmitResult:
    return SubmitResult(_puid(statement), SubmitStatus.FAILED, reason)


def submitter_from(settings: DispatchSettings, **options: Any) -> SorSubmitter:
    """A submitter as configured; ``ConfigurationError`` when the URL or the token is unset.

    ``options`` tune its retries (``SorSubmitter``'s keyword arguments).
    """
    if not settings.sor_url or settings.sor_token is None:
        raise ConfigurationError(
            "CRIBLE_DISPATCH_SOR_URL and CRIBLE_DISPATCH_SOR_TOKEN must both be set to "
            "submit statements of reasons"
        )
    return SorSubmitter(
        base_url=settings.sor_url,
        token=settings.sor_token.get_secret_value(),
        timeout=settings.sor_timeout_seconds,
        **options,
    )
