"""Prompts for a policy-prompted safety model, and the strict reading of its answers.

Two dialects, as open-weight safety models are served behind OpenAI-compatible
chat-completions endpoints (vLLM, llama.cpp's server):

* ``safeguard`` (gpt-oss-safeguard and models prompted the same way): the written policy is
  the system message, the content the user message, and the model answers one JSON object
  ``{"violation": 0|1, "policy_category": ..., "confidence": "low"|"medium"|"high",
  "rationale": ...}``;
* ``llama_guard`` (Llama Guard 3 and 4): the policy is the one custom unsafe-content category
  ``S1`` of Llama Guard's task prompt, and the model answers ``safe``, or ``unsafe`` and on
  the next line the violated categories (``S1``).

An answer is read strictly: anything but those shapes (prose, a truncated answer, an unknown
key, a category the prompt never named) raises :class:`UnusableAnswerError`, and the case
is reported ``unusable``, never given a verdict the model did not clearly state.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Dialect(StrEnum):
    """How the model is prompted and answers."""

    SAFEGUARD = "safeguard"
    LLAMA_GUARD = "llama_guard"


class UnusableAnswerError(ValueError):
    """An answer that is not the dialect's shape; the message says why (never the text)."""


#: The score of a violation by the model's stated confidence (no confidence: "medium").
CONFIDENCE_SCORES = {"low": 0.6, "medium": 0.8, "high": 0.95}

_SAFEGUARD_FORMAT = (
    "\n\nClassify the user's message against this policy only. Answer with one JSON object "
    'and nothing else: {"violation": 1 or 0, "policy_category": a short label or null, '
    '"confidence": "low", "medium" or "high", "rationale": one short sentence}.'
)
_SAFEGUARD_KEYS = frozenset({"violation", "policy_category", "confidence", "rationale"})
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class SafetyAnswer:
    """What the model said of one text: a violation of the policy or not, and how surely."""

    violation: bool
    score: float


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens the call cost, as the endpoint reported them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


def messages(dialect: Dialect, policy: str, content: str) -> list[dict[str, str]]:
    """The chat messages asking whether ``content`` violates ``policy``."""
    if dialect is Dialect.SAFEGUARD:
        return [
            {"role": "system", "content": policy.strip() + _SAFEGUARD_FORMAT},
            {"role": "user", "content": content},
        ]
    title, _, body = policy.strip().partition("\n")
    prompt = (
        "Task: Check if there is unsafe content in 'User' messages in conversations "
        "according to our safety policy with the below categories.\n\n"
        "<BEGIN UNSAFE CONTENT CATEGORIES>\n"
        f"S1: {title.strip()}.\n{body.strip()}\n"
        "<END UNSAFE CONTENT CATEGORIES>\n\n"
        f"<BEGIN CONVERSATION>\n\nUser: {content}\n\n<END CONVERSATION>\n\n"
        "Provide your safety assessment for ONLY THE LAST User message in the above "
        "conversation:\n- First line must read 'safe' or 'unsafe'.\n"
        "- If unsafe, a second line must include a comma-separated list of violated "
        "categories."
    )
    return [{"role": "user", "content": prompt}]


def read_completion(dialect: Dialect, body: object) -> tuple[SafetyAnswer, Usage]:
    """The answer of a chat-completions response body, read strictly."""
    if not isinstance(body, dict):
        raise UnusableAnswerError("the response is not a JSON object")
    choices = body.get("choices")
    if not isinstance(choices, list) or len(choices) != 1 or not isinstance(choices[0], dict):
        raise UnusableAnswerError("the response has not exactly one choice")
    choice = choices[0]
    if choice.get("finish_reason") not in ("stop", None):
        raise UnusableAnswerError(f"the answer stopped early ({choice.get('finish_reason')})")
    message = choice.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("content"), str):
        raise UnusableAnswerError("the choice has no message content")
    content: str = message["content"]
    answer = _safeguard(content) if dialect is Dialect.SAFEGUARD else _llama_guard(content)
    return answer, _usage(body.get("usage"))


def _safeguard(content: str) -> SafetyAnswer:
    text = content.strip()
    fenced = _FENCE.match(text)
    try:
        parsed: Any = json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        raise UnusableAnswerError("the answer is not one JSON object") from None
    if not isinstance(parsed, dict) or not set(parsed) <= _SAFEGUARD_KEYS:
        raise UnusableAnswerError("the answer is not the policy's JSON object")
    violation = parsed.get("violation")
    if isinstance(violation, bool):
        violation = int(violation)
    if violation not in (0, 1) or not isinstance(violation, int):
        raise UnusableAnswerError("violation is not 0 or 1")
    confidence = parsed.get("confidence", "medium")
    if confidence not in CONFIDENCE_SCORES:
        raise UnusableAnswerError("confidence is not low, medium or high")
    for key in ("policy_category", "rationale"):
        if parsed.get(key) is not None and not isinstance(parsed[key], str):
            raise UnusableAnswerError(f"{key} is not a string")
    if not violation:
        return SafetyAnswer(violation=False, score=0.0)
    return SafetyAnswer(violation=True, score=CONFIDENCE_SCORES[confidence])


def _llama_guard(content: str) -> SafetyAnswer:
    lines = [line.strip() for line in content.strip().splitlines()]
    if lines == ["safe"]:
        return SafetyAnswer(violation=False, score=0.0)
    if len(lines) == 2 and lines[0] == "unsafe":
        codes = {code.strip() for code in lines[1].split(",")}
        if codes == {"S1"}:
            return SafetyAnswer(violation=True, score=CONFIDENCE_SCORES["high"])
        raise UnusableAnswerError("the answer names categories the prompt did not define")
    raise UnusableAnswerError("the answer is not 'safe' or 'unsafe' and its categories")


def _usage(usage: object) -> Usage:
    if not isinstance(usage, dict):
        return Usage()
    prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    if not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (prompt, completion)
    ):
        raise UnusableAnswerError("usage is not token counts")
    return Usage(prompt, completion)
