"""The reviewer API's token cache: valid tokens for a few seconds, kept by hash only."""

from __future__ import annotations

import pytest

from services.dispatch.adapters.http.api import TokenCache
from services.dispatch.core.reviewers import GENERAL_CLEARANCES, Reviewer


def test_a_cached_token_expires_and_only_its_hash_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("services.dispatch.adapters.http.api.time.monotonic", lambda: clock[0])
    cache = TokenCache()
    alice = Reviewer("alice", "Alice", frozenset({"fr"}), GENERAL_CLEARANCES)
    cache.put("crv_secret", alice)
    assert cache.get("crv_secret") is alice
    assert cache.get("crv_other") is None
    assert all(b"crv_secret" not in key for key in cache._known)
    clock[0] += TokenCache.ttl + 0.1
    assert cache.get("crv_secret") is None
