"""Tells a campaign from a viral burst: fresh accounts, or reporters who acted together before."""

from __future__ import annotations

from dataclasses import dataclass

from services.surge.core.look import Figures
from shared.events.surge import SurgeKind


@dataclass(frozen=True, slots=True)
class Verdict:
    """The kind of a burst and the shares that decided it."""

    kind: SurgeKind
    new_share: float
    linked_share: float


def classify(
    figures: Figures,
    *,
    new_share: float,
    coreport_share: float,
    coreport_min: int,
) -> Verdict:
    """The kind of the burst ``figures`` describe.

    ``coordinated`` when at least ``new_share`` of its reporters are new, or at least
    ``coreport_share`` of the reporters of its buckets that keep links (and ``coreport_min``
    or more) reported one same other subject before; ``viral`` otherwise.
    """
    reporters = max(figures.reporters, 1)
    new = figures.new_reporters / reporters
    linked_reporters = max(figures.linked_reporters, 1)
    linked = figures.linked / linked_reporters if figures.linked >= coreport_min else 0.0
    coordinated = new >= new_share or linked >= coreport_share
    return Verdict(
        kind=SurgeKind.COORDINATED if coordinated else SurgeKind.VIRAL,
        new_share=new,
        linked_share=linked,
    )
