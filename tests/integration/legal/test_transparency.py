"""``crible transparency`` on the real stack: every figure exact for a known history.

The history (``transparency_history.py``) is written as the services write it: requests
sealed, their steps on the real audit chain, moderation rows in ingest's and dispatch's
tables. The report must count what falls in the period and nothing else, say which chain
it was read from, and never show a phone number, username, user id or address.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from selenium.webdriver.common.by import By

from services.legal.config import LegalSettings
from tests.e2e.browser import new_driver, save_screenshot
from tests.integration.legal.transparency_history import (
    PERIOD,
    SEEDED,
    legal_history,
    moderation_history,
)

pytestmark = pytest.mark.integration


async def transparency(*args: str) -> tuple[int, str, str]:
    """Run ``crible transparency`` as an operator does: exit status, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services", "transparency", *args,
        env=dict(os.environ), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def figures(
    received: int = 0,
    *,
    accounts: int | None = None,
    emergency: int = 0,
    non_disclosure: int = 0,
    data: int = 0,
    no_data: int = 0,
    refused: int = 0,
    preserved: int = 0,
    pending: int = 0,
    share: float | None = None,
    codes: dict[str, int] | None = None,
    grounds: dict[str, int] | None = None,
    subscriber: int = 0,
    identification: int = 0,
    phones: int = 0,
    sessions: int = 0,
    ack: float | None = None,
    comply: float | None = None,
) -> dict[str, Any]:
    """One group's figures as the report writes them; zeros unless said."""
    return {
        "requests_received": received,
        "accounts_specified": received if accounts is None else accounts,
        "emergency_requests": emergency,
        "non_disclosure_orders": non_disclosure,
        "outcomes": {
            "data_disclosed": data,
            "no_data": no_data,
            "refused": refused,
            "preserved": preserved,
            "pending": pending,
        },
        "share_with_data_disclosed": share,
        "refusals_by_code": codes or {},
        "refusals_by_ground": {
            "no_legal_basis": 0,
            "over_broad": 0,
            "unverified_authority": 0,
            "wrong_jurisdiction": 0,
        }
        | (grounds or {}),
        "data_types_disclosed": {
            "subscriber": subscriber,
            "identification": identification,
            "traffic": 0,
        },
        "records_disclosed": {"phone_numbers": phones, "sessions": sessions},
        "median_seconds_to_acknowledge": ack,
        "median_seconds_to_comply": comply,
    }


# R1 (1 h to check, 1 day to answer), R2 (2 h, 2 days), R3 (30 min, refused), R4 (10 min,
# no data after 2 h); R5 is preservation (5 min, preserved after 15 min).
FR_60_1 = figures(2, accounts=1, non_disclosure=1, data=2, share=1.0, subscriber=2,
                  identification=1, phones=2, sessions=3, ack=5400.0, comply=129600.0)  # fmt: skip
FR_77_1_1 = figures(1, refused=1, share=0.0, codes={"authorisation_missing": 1},
                    grounds={"no_legal_basis": 1}, ack=1800.0)  # fmt: skip
FR_EMERGENCY = figures(1, emergency=1, no_data=1, share=0.0, ack=600.0, comply=7200.0)
FR_REQUESTS = figures(4, accounts=3, emergency=1, non_disclosure=1, data=2, no_data=1,
                      refused=1, share=0.5, codes={"authorisation_missing": 1},
                      grounds={"no_legal_basis": 1}, subscriber=2, identification=1, phones=2,
                      sessions=3, ack=2700.0, comply=86400.0)  # fmt: skip
FR_PRESERVATION = figures(1, preserved=1, share=0.0, ack=300.0, comply=900.0)
# R6 (4 h, identification after 3 days), R7 (1 h, refused on two grounds), R9 (unchecked);
# R8 is preservation (20 min, refused as over-broad).
DE_REQUESTS = figures(3, emergency=1, non_disclosure=1, data=1, refused=1, pending=1,
                      share=0.3333, codes={"category_not_allowed_for_issuer": 1,
                                           "wrong_jurisdiction": 1},
                      grounds={"no_legal_basis": 1, "wrong_jurisdiction": 1},
                      identification=1, sessions=2, ack=9000.0, comply=259200.0)  # fmt: skip
DE_PRESERVATION = figures(1, refused=1, share=0.0, codes={"date_range_not_held": 1},
                          grounds={"over_broad": 1}, ack=1200.0)  # fmt: skip
LEGAL = {
    "total": {
        "requests": figures(
            7,
            accounts=6,
            emergency=2,
            non_disclosure=2,
            data=3,
            no_data=1,
            refused=2,
            pending=1,
            share=0.4286,
            codes={
                "authorisation_missing": 1,
                "category_not_allowed_for_issuer": 1,
                "wrong_jurisdiction": 1,
            },
            grounds={"no_legal_basis": 2, "wrong_jurisdiction": 1},
            subscriber=2,
            identification=2,
            phones=2,
            sessions=5,
            ack=3600.0,
            comply=129600.0,
        ),
        "preservation": figures(
            2,
            preserved=1,
            refused=1,
            share=0.0,
            codes={"date_range_not_held": 1},
            grounds={"over_broad": 1},
            ack=750.0,
            comply=900.0,
        ),
    },
    "by_country": {
        "DE": {
            "requests": DE_REQUESTS,
            "preservation": DE_PRESERVATION,
            "by_instrument": {"eu_epoc": DE_REQUESTS, "eu_epoc_pr": DE_PRESERVATION},
        },
        "FR": {
            "requests": FR_REQUESTS,
            "preservation": FR_PRESERVATION,
            "by_instrument": {
                "emergency_disclosure": FR_EMERGENCY,
                "fr_cpp_60_1": FR_60_1,
                "fr_cpp_60_2": FR_PRESERVATION,
                "fr_cpp_77_1_1": FR_77_1_1,
            },
        },
    },
    "by_instrument": {
        "emergency_disclosure": FR_EMERGENCY,
        "eu_epoc": DE_REQUESTS,
        "eu_epoc_pr": DE_PRESERVATION,
        "fr_cpp_60_1": FR_60_1,
        "fr_cpp_60_2": FR_PRESERVATION,
        "fr_cpp_77_1_1": FR_77_1_1,
    },
}
#: What the history adds to the submissions refused at the portal in the period.
PORTAL = {
    "by_code": {"authority_unknown": 1, "invalid_request": 1, "signature_invalid": 1},
    "by_ground": {"malformed_request": 1, "unverified_authority": 2},
    "by_country": {"DE": 1, "FR": 1, "unknown": 1},
}
OUTCOMES = ("no_violation", "remove_content", "restrict_user", "suspend_user", "ban_user",
            "ban_group_or_channel", "report_to_authorities")  # fmt: skip
CATEGORIES = ("child_sexual_abuse", "terrorism_violent_extremism", "illegal_goods_drugs",
              "ip_infringement", "fraud_scam", "non_consensual_intimate_imagery", "hate_speech",
              "harassment_threats", "self_harm", "spam", "other")  # fmt: skip


def decided(automated: int, human: int) -> dict[str, int]:
    return {"automated": automated, "human": human, "total": automated + human}


MODERATION = {
    "reports_received": {
        "total": 8,
        "by_category": dict.fromkeys(CATEGORIES, 0)
        | {
            "spam": 4,
            "hate_speech": 1,
            "harassment_threats": 1,
            "child_sexual_abuse": 1,
            "fraud_scam": 1,
        },
    },
    "decisions": {
        "total": 11,
        "automated": 3,
        "human": 8,
        "by_outcome": {o: decided(0, 0) for o in OUTCOMES}
        | {
            "no_violation": decided(1, 2),
            "remove_content": decided(2, 3),
            "restrict_user": decided(0, 1),
            "suspend_user": decided(0, 1),
            "ban_user": decided(0, 1),
        },
        # From the first report (or the verdict, when the reports are gone): 2 h, 4 h, 6 h,
        # 1 h, 3 h after the dual review's first round, 30 min.
        "median_seconds_to_decision": 9000.0,
    },
    "appeals": {
        "filed": 3,
        "decided": 2,
        "upheld": 1,
        "overturned": 1,
        "pending": 1,
        "median_seconds_to_decide": 64800.0,
    },
    "reversals": {"total": 2, "of_automatic_actions": 1, "of_decisions": 1, "on_appeal": 1},
    "statements_of_reasons": {
        "total": 6,
        "by_automated_decision": {
            "AUTOMATED_DECISION_FULLY": 2,
            "AUTOMATED_DECISION_PARTIALLY": 0,
            "AUTOMATED_DECISION_NOT_AUTOMATED": 4,
        },
    },
}


@pytest.fixture
async def history(db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The known history; yields what the portal had refused in the period before it.

    The audit chain is append-only and shared by every test (``conftest``): submissions
    refused at the portal by earlier runs stay on it, so they are counted first.
    """
    code, out, err = await transparency("--period", PERIOD)
    assert code == 0, err
    before: dict[str, Any] = json.loads(out)["legal_requests"]["refused_at_portal"]
    await legal_history(db, LegalSettings().cipher(), monkeypatch)
    await moderation_history(db)
    return before


def plus(before: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """The portal's figures: what was there before the history, and what it added."""
    total: dict[str, Any] = {"total": before["total"] + sum(added["by_code"].values())}
    for key in ("by_code", "by_ground", "by_country"):
        keys = sorted(set(before[key]) | set(added[key]))
        total[key] = {k: before[key].get(k, 0) + added[key].get(k, 0) for k in keys}
    return total


def read(*paths: Path) -> str:
    return "".join(path.read_text() for path in paths)


def leaks(text: str) -> list[str]:
    return [value for value in SEEDED if value.lower() in text.lower()]


async def test_every_figure_of_a_known_history_is_exact(
    db: asyncpg.Connection, history: dict[str, Any], tmp_path: Path
) -> None:
    code, out, err = await transparency("--period", PERIOD)
    assert code == 0, err
    report = json.loads(out)
    assert report["period"] == {
        "label": "2025-H2",
        "start": "2025-07-01T00:00:00+00:00",
        "end": "2026-01-01T00:00:00+00:00",
    }
    # Two requests just outside the half-open period are not among those read.
    assert report["source"]["requests_read"] == 9
    legal = report["legal_requests"]
    assert {k: v for k, v in legal.items() if k != "refused_at_portal"} == LEGAL
    assert legal["refused_at_portal"] == plus(history, PORTAL)
    assert report["moderation"] == MODERATION

    # Which chain the figures come from: verified, and its last entry named.
    head = await db.fetchrow(
        "SELECT sequence, entry_hash FROM legal.audit ORDER BY sequence DESC LIMIT 1"
    )
    chain = report["source"]["audit_chain"]
    assert head is not None
    assert chain["intact"] is True
    assert chain["broken_at"] is None
    assert chain["entries_checked"] == await db.fetchval("SELECT count(*) FROM legal.audit")
    assert chain["last_sequence"] == head["sequence"]
    assert chain["last_hash"] == bytes(head["entry_hash"]).hex()
    # The rows and the chain agree on every request.
    assert report["source"]["reconciliation"] == []
    assert leaks(out + err) == []

    # The same figures again (the data is the same): the report can be reproduced.
    again = json.loads((await transparency("--period", PERIOD))[1])
    assert {k: v for k, v in again.items() if k != "generated_at"} == {
        k: v for k, v in report.items() if k != "generated_at"
    }

    # The quarter before holds only the request received in its last second.
    code, out, _ = await transparency("--period", "2025-Q2")
    before = json.loads(out)
    assert before["source"]["requests_read"] == 1
    assert before["legal_requests"]["total"]["requests"]["outcomes"]["data_disclosed"] == 1
    assert before["moderation"]["reports_received"]["total"] == 0


async def test_the_html_and_csv_forms_hold_the_same_figures_and_no_personal_data(
    db: asyncpg.Connection, history: dict[str, Any], tmp_path: Path
) -> None:
    code, out, err = await transparency(
        "--period", PERIOD, "--format", "html", "--out", str(tmp_path)
    )
    assert code == 0, err
    page_path = tmp_path / "transparency-2025-H2.html"
    assert out.strip() == str(page_path)
    page = read(page_path)
    assert page.count("<svg") == 6  # every chart is inside the file
    assert "<script" not in page
    # Nothing loaded from anywhere (namespace names are names, never fetched).
    assert not re.search(r"""(src|href)=["']?(https?:)?//|url\(\s*['"]?https?:|<link""", page)
    assert "Audit chain intact" in page
    assert leaks(page + out + err) == []

    code, out, err = await transparency(
        "--period", PERIOD, "--format", "csv", "--out", str(tmp_path)
    )
    assert code == 0, err
    names = sorted(Path(line).name for line in out.split())
    assert names == sorted(
        f"transparency-2025-H2-{t}.csv"
        for t in ("legal_requests", "legal_refusals", "legal_portal_refusals",
                  "moderation_reports", "moderation_decisions", "moderation_summary", "source")
    )  # fmt: skip
    table = read(tmp_path / "transparency-2025-H2-legal_requests.csv")
    rows = {
        (r["country"], r["instrument"], r["kind"]): r for r in csv.DictReader(table.splitlines())
    }
    france = rows["FR", "all", "requests"]
    assert (
        france["requests_received"],
        france["data_disclosed"],
        france["share_with_data_disclosed"],
    ) == ("4", "2", "0.5")
    assert rows["DE", "eu_epoc_pr", "preservation"]["refused"] == "1"
    assert rows["all", "all", "requests"]["median_seconds_to_comply"] == "129600.0"
    written = read(*(tmp_path / name for name in names))
    assert leaks(written + err) == []

    code, out, err = await transparency("--period", PERIOD, "--format", "csv")
    assert code == 0, err
    long_rows = list(csv.DictReader(out.splitlines()))
    assert {"table": "moderation_reports", "country": "", "instrument": "", "kind": "",
            "item": "spam", "figure": "reports", "value": "4"} in long_rows  # fmt: skip
    assert leaks(out + err) == []

    # HTML is a file: without a folder for it the command says so.
    code, _, err = await transparency("--period", PERIOD, "--format", "html")
    assert code == 2
    assert "--out" in err


@pytest.mark.browser
async def test_screenshots_of_the_transparency_report(
    db: asyncpg.Connection, history: dict[str, Any], tmp_path: Path
) -> None:
    """The HTML report as a reader opens it (``make screenshots`` keeps the picture)."""
    code, _, err = await transparency(
        "--period", PERIOD, "--format", "html", "--out", str(tmp_path)
    )
    assert code == 0, err
    page = tmp_path / "transparency-2025-H2.html"
    folder = os.environ.get("CRIBLE_SCREENSHOTS")
    picture = (Path(folder) if folder else tmp_path) / "transparency.png"

    def shoot() -> tuple[str, int]:
        driver = new_driver(width=1280, height=1400)
        try:
            driver.get(page.as_uri())
            charts = driver.find_elements(By.CSS_SELECTOR, "figure svg")
            # Drawn, not just present: each chart has a size on the page.
            assert all(c.size["width"] > 300 and c.size["height"] > 100 for c in charts)
            save_screenshot(driver, picture)
            return driver.title, len(charts)
        finally:
            driver.quit()

    assert await asyncio.to_thread(shoot) == ("Transparency report 2025-H2", 6)
    assert picture.stat().st_size > 20_000
