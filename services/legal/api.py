"""The authority portal's OpenAPI document (exported to ``deploy/schemas/legal.openapi.json``)."""

from __future__ import annotations

from typing import Any

from services.legal.adapters.http.portal import build_portal
from shared.runtime import ServiceContext


def openapi() -> dict[str, Any]:
    """The portal's routes and shapes, built over a context whose database is never touched."""
    unused: Any = object()
    ctx = ServiceContext(service="legal", settings=unused, pool=unused, outbox=unused, stop=unused)
    document: dict[str, Any] = build_portal(ctx).openapi()
    return document
