"""A local stand-in for the Transparency Database batch endpoint, as DSA-SOR.md describes it."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.dispatch.core.statements import validate_statement

DUPLICATE = "The platform identifier(s) are not all unique within this call."


@dataclass
class State:
    """What the server knows and how the tests steer it."""

    token: str
    #: PUIDs stored so far (the platform's PUID table).
    puids: set[str] = field(default_factory=set)
    #: Number of statements in each batch request that got past the token check.
    batches: list[int] = field(default_factory=list)
    #: Answer this many requests with 429 before serving again.
    throttle: int = 0
    retry_after: str | None = None
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Server(ThreadingHTTPServer):
    state: State


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep the test output clean

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with state.lock:
            state.requests += 1
            if self.path != "/api/v1/statements":
                self._reply(404, {"message": "Not Found"})
            elif self.headers.get("Authorization") != f"Bearer {state.token}":
                self._reply(401, {"message": "Unauthenticated."})
            elif state.throttle > 0:
                state.throttle -= 1
                self._throttled(state.retry_after)
            else:
                self._store(state, json.loads(body))

    def _store(self, state: State, payload: Any) -> None:
        statements = payload.get("statements") if isinstance(payload, dict) else None
        if not isinstance(statements, list) or not 1 <= len(statements) <= 100:
            msg = "The statements field must have between 1 and 100 items."
            self._reply(422, {"message": msg, "errors": {"statements": [msg]}})
            return
        state.batches.append(len(statements))
        errors: dict[str, dict[str, list[str]]] = {}
        for n, statement in enumerate(statements):
            if problems := validate_statement(statement):
                per_field: dict[str, list[str]] = {}
                for problem in problems:
                    name, _, text = problem.partition(": ")
                    per_field.setdefault(name, []).append(text)
                errors[f"statement_{n}"] = per_field
        if errors:
            self._reply(422, {"errors": errors})
            return
        puids = [s["puid"] for s in statements]
        taken = sorted({p for p in puids if p in state.puids or puids.count(p) > 1})
        if taken:
            errors_body = {"puid": [DUPLICATE], "existing_puids": taken}
            self._reply(422, {"message": DUPLICATE, "errors": errors_body})
            return
        state.puids.update(puids)
        stored = [
            {**s, "uuid": str(uuid.uuid4()), "created_at": "2026-01-01 00:00:00"}
            for s in statements
        ]
        self._reply(201, {"statements": stored})

    def _throttled(self, retry_after: str | None) -> None:
        text = b"Limit Reached. Please do not overload the API"
        self.send_response(429)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(text)

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def running(token: str) -> Iterator[tuple[str, State]]:
    """A server on 127.0.0.1 and an ephemeral port: (base URL, its state)."""
    server = _Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(token=token)
    # A short poll interval keeps shutdown (and so each test) fast.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
