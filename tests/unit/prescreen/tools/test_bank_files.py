"""Bank files are refused whole, naming the file's line, when a hash cannot be held."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.prescreen.tools.bankfiles import BankFileError, read_bank_file, updates
from shared.events.screening import BankUpdate, HashAdded, HashRemoved

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
MD5 = "098f6bcd4621d373cade4e832627b4f6"


@pytest.mark.parametrize(
    ("algorithm", "value"),
    [("md5", SHA256), ("sha256", MD5), ("pdq", MD5), ("pdq", SHA256[:63] + "g")],
)
def test_the_contract_refuses_a_hash_of_another_length_or_format(
    algorithm: str, value: str
) -> None:
    for model, kind in ((HashAdded, "hash.added"), (HashRemoved, "hash.removed")):
        raw = {"schema_version": 1, "type": kind, "bank": "b", "algorithm": algorithm}
        with pytest.raises(ValidationError):
            model.model_validate({**raw, "hash": value}, strict=False)
        with pytest.raises(ValidationError):
            BankUpdate.model_validate_json(json.dumps({**raw, "hash": value}))


def test_a_json_file_with_one_bad_hash_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bank.json"
    path.write_text(
        "{\n"
        '  "bank": {"name": "b", "kind": "block", "category": "spam"},\n'
        '  "hashes": [\n'
        f'    {{"algorithm": "sha256", "hash": "{SHA256}"}},\n'
        f'    {{"algorithm": "md5", "hash": "{MD5}"}},\n'
        "    {\n"
        f'      "algorithm": "md5", "hash": "{SHA256}"\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )
    with pytest.raises(BankFileError, match=r"^line 6: a md5 hash has 32 hex digits, not 64$"):
        updates(None, "b", read_bank_file(path))


def test_a_csv_file_names_its_own_line_numbers_past_comments(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text(f"# a comment\nalgorithm,hash\n\n# another\nsha256,{SHA256}\npdq,{MD5}\n")
    with pytest.raises(BankFileError, match=r"^line 6: a pdq hash has 64 hex digits, not 32$"):
        updates(None, "b", read_bank_file(path))


def test_a_good_file_gives_every_hash(tmp_path: Path) -> None:
    path = tmp_path / "bank.json"
    hashes = [{"algorithm": "sha256", "hash": SHA256}, {"algorithm": "md5", "hash": MD5.upper()}]
    path.write_text(json.dumps({"hashes": hashes}, indent=2))
    file = read_bank_file(path)
    assert file.lines == [3, 7]  # where each entry's { is
    assert [u.hash for u in updates(None, "b", file)] == [SHA256, MD5]
