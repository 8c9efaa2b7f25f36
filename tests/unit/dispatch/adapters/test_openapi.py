"""The reviewer API's exported OpenAPI document stays in step with the code."""

from __future__ import annotations

from services import SERVICES
from shared import schemas
from shared.cli.registry import Registry


def test_the_exported_openapi_document_is_current() -> None:
    documents = Registry(SERVICES).openapi()
    assert "dispatch" in documents
    paths = documents["dispatch"]["paths"]
    assert {"/v1/cases/next", "/v1/cases/{case_id}/{revision}/decision"} <= set(paths)
    assert schemas.stale(openapi=documents) == [], "run `crible schemas export` and commit"
