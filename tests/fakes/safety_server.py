"""A local stand-in for a safety model behind an OpenAI-compatible chat-completions endpoint.

It answers as gpt-oss-safeguard or Llama Guard do when vLLM serves them (a ``chat.completion``
object with one choice and token usage), and can be told to answer malformed, slowly, or
with a server error. Its "judgement" is a stand-in too: a text violates a policy when it
shares a word of five letters or more with the policy's VIOLATES paragraph and none with its
DOES NOT VIOLATE paragraph. It shows the plumbing (prompts, parsing, batching, timeouts,
circuit), never a model's quality.

Run alone for an eval: ``python -m tests.fakes.safety_server --port 8642 [--dialect ...]``.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_WORD = re.compile(r"[a-z]{5,}")


def _words(text: str) -> set[str]:
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return set(_WORD.findall(plain))


def judge(policy: str, content: str) -> bool:
    """The stand-in judgement (see the module docstring)."""
    upper = policy.upper()
    start = max(upper.find("VIOLATES:"), upper.find("VIOLE :"))
    stop = max(upper.find("DOES NOT VIOLATE"), upper.find("NE VIOLE PAS"))
    if start < 0 or stop < 0:
        return False
    bad, fine = _words(policy[start:stop]), _words(policy[stop:])
    said = _words(content)
    return bool(said & (bad - fine)) and not said & (fine - bad)


def completion(content: str, *, model: str = "stand-in-safeguard", finish: str = "stop") -> bytes:
    """A chat.completion body as vLLM writes it."""
    body = {
        "id": "chatcmpl-local",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "reasoning_content": None},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 300, "completion_tokens": 20, "total_tokens": 320},
    }
    return json.dumps(body).encode()


def answer(dialect: str, request: Any) -> tuple[int, bytes, float]:
    """A well-formed answer of the dialect, judged by :func:`judge`."""
    chat = request["messages"]
    if dialect == "llama_guard":
        prompt = chat[-1]["content"]
        policy = prompt.split("<BEGIN UNSAFE CONTENT CATEGORIES>")[1].split("<END UNSAFE")[0]
        content = prompt.split("User: ", 1)[1].split("<END CONVERSATION>")[0]
        text = "unsafe\nS1" if judge(policy, content) else "safe"
        return 200, completion(text, model="stand-in-llama-guard"), 0.0
    violation = judge(chat[0]["content"], chat[-1]["content"])
    verdict = {
        "violation": int(violation),
        "policy_category": "stand-in" if violation else None,
        "confidence": "medium",
        "rationale": "shares words with the policy",
    }
    return 200, completion(json.dumps(verdict)), 0.0


@dataclass
class Behaviour:
    """What the server answers; tests swap ``reply``, and read what it received."""

    reply: Callable[[Any], tuple[int, bytes, float]]
    seen: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    most_in_flight: int = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SafetyServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        behaviour = self.server.behaviour
        with behaviour.lock:
            behaviour.seen.append({"headers": dict(self.headers.items()), "body": body})
            behaviour.in_flight += 1
            behaviour.most_in_flight = max(behaviour.most_in_flight, behaviour.in_flight)
        try:
            status, payload, delay = behaviour.reply(body)
            time.sleep(delay)
        finally:
            with behaviour.lock:
                behaviour.in_flight -= 1
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up (the timeout tests)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class SafetyServer(ThreadingHTTPServer):
    """The stand-in endpoint on 127.0.0.1; ``start`` serves it in a thread."""

    daemon_threads = True

    def __init__(self, dialect: str = "safeguard", port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.behaviour = Behaviour(reply=lambda request: answer(dialect, request))
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02})

    @property
    def url(self) -> str:
        """The chat-completions URL."""
        return f"http://127.0.0.1:{self.server_address[1]}/v1/chat/completions"

    def start(self) -> SafetyServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
        self._thread.join()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a connection the client dropped is expected in these tests


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8642)
    parser.add_argument("--dialect", choices=["safeguard", "llama_guard"], default="safeguard")
    args = parser.parse_args()
    server = SafetyServer(args.dialect, args.port)
    print(server.url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


if __name__ == "__main__":
    main()
