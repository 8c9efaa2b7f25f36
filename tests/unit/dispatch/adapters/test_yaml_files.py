"""Dispatch's YAML files: a file missing, not YAML or invalid is refused naming the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from services.dispatch.adapters.yaml_files import (
    DEFAULT_CATALOGUE_FILE,
    DEFAULT_SLA_FILE,
    load_catalogue,
    load_sla,
)
from services.dispatch.core.sla import SlaConfigError
from shared.events.reports import Category


def test_the_shipped_files_are_read_and_valid() -> None:
    assert load_sla(DEFAULT_SLA_FILE).default_hours > 0
    assert set(load_catalogue(DEFAULT_CATALOGUE_FILE).violations) == set(Category)


#: Each file's reader, the error it raises, and a text of it not YAML and one invalid.
BAD_FILES = [
    (load_sla, SlaConfigError, "default_hours: [\n", "expected"),
    (load_sla, SlaConfigError, "default_hours: 72\nsurprise: 1\n", "surprise"),
    (load_catalogue, ValueError, "categories: [\n", "expected"),
    (load_catalogue, ValueError, "categories: {}\n", "jurisdictions"),
]


@pytest.mark.parametrize(("load", "error", "text", "why"), BAD_FILES)
def test_a_file_not_yaml_or_invalid_is_refused_naming_it(
    tmp_path: Path, load: Callable[[Path], object], error: type[ValueError], text: str, why: str
) -> None:
    path = tmp_path / "dispatch.yaml"
    path.write_text(text)
    with pytest.raises(error, match=why) as refused:
        load(path)
    assert str(refused.value).startswith(f"{path}: ")


def test_a_missing_sla_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SlaConfigError, match="absent"):
        load_sla(tmp_path / "absent.yaml")
