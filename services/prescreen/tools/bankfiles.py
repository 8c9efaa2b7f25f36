"""Bank files: the CSV and JSON formats ``crible banks import`` reads.

CSV: a header naming the columns ``algorithm`` and ``hash`` (and optionally ``quality``),
then one hash a line; lines starting with ``#`` are comments. The bank is named on the
command line::

    algorithm,hash,quality
    pdq,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100
    sha256,9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,

JSON: an object with an optional ``bank`` (the definition: ``name``, ``kind`` ``block`` or
``allow``, ``category``, ``pdq_threshold``, ``description``) and ``hashes``, a list of
objects with ``algorithm``, ``hash`` and optionally ``quality``.

Every line is checked before anything is published, each hash against its algorithm's
length and format: a file with one bad line is refused whole, with the file's line named
(never half imported).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.events.screening import BankDefined, HashAdded


class BankFileError(ValueError):
    """A bank file that cannot be imported, with where and why."""


@dataclass(frozen=True, slots=True)
class BankFile:
    """What a bank file holds, and the line of the file where each hash starts."""

    definition: dict[str, Any] | None
    hashes: list[dict[str, Any]]
    lines: list[int]


def read_bank_file(path: Path) -> BankFile:
    """Read a ``.csv`` or ``.json`` bank file (by its suffix)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return _json(text, path)
    if path.suffix.lower() == ".csv":
        return _csv(text, path)
    raise BankFileError(f"{path}: a bank file is .csv or .json")


def updates(bank: BankDefined | None, name: str, file: BankFile) -> list[HashAdded]:
    """The ``hash.added`` updates of a file's hashes, every one validated."""
    added = []
    for line, row in zip(file.lines, file.hashes, strict=True):
        try:
            added.append(
                HashAdded.model_validate(
                    {
                        "schema_version": 1,
                        "type": "hash.added",
                        "bank": bank.bank if bank is not None else name,
                        "algorithm": row.get("algorithm", ""),
                        "hash": str(row.get("hash", "")).strip().lower(),
                        "quality": row.get("quality"),
                    },
                    strict=False,
                )
            )
        except ValidationError as error:
            reasons = "; ".join(_reason(e) for e in error.errors())
            raise BankFileError(f"line {line}: {reasons}") from None
    return added


def _reason(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _json(text: str, path: Path) -> BankFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BankFileError(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("hashes"), list):
        raise BankFileError(f"{path}: expected an object with a list `hashes`")
    hashes = data["hashes"]
    if not all(isinstance(h, dict) for h in hashes):
        raise BankFileError(f"{path}: every entry of `hashes` is an object")
    definition = data.get("bank")
    if definition is not None and not isinstance(definition, dict):
        raise BankFileError(f"{path}: `bank` is an object")
    return BankFile(definition, hashes, _hash_lines(text))


def _hash_lines(text: str) -> list[int]:
    """The line on which each entry of the top-level ``hashes`` list starts.

    ``json`` keeps no positions, so the top-level object is walked again with
    ``raw_decode``, value by value (the text is known to be valid JSON by now).
    """
    decoder = json.JSONDecoder()
    lines: list[int] = []
    seen, line = 0, 1

    def line_of(position: int) -> int:
        nonlocal seen, line
        line += text.count("\n", seen, position)
        seen = position
        return line

    position = _skip(text, _skip(text, 0) + 1)  # past "{"
    while text[position] != "}":
        key, position = decoder.raw_decode(text, position)
        position = _skip(text, _skip(text, position) + 1)  # past ":"
        if key == "hashes":
            found: list[int] = []
            position = _skip(text, position + 1)  # past "["
            while text[position] != "]":
                found.append(line_of(position))
                _, position = decoder.raw_decode(text, position)
                position = _skip(text, position)
                if text[position] == ",":
                    position = _skip(text, position + 1)
            lines = found  # as json.loads, the last "hashes" key wins
            position += 1
        else:
            _, position = decoder.raw_decode(text, position)
        position = _skip(text, position)
        if text[position] == ",":
            position = _skip(text, position + 1)
    return lines


def _skip(text: str, position: int) -> int:
    while text[position] in " \t\r\n":
        position += 1
    return position


def _csv(text: str, path: Path) -> BankFile:
    kept = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.startswith("#")
    ]
    reader = csv.DictReader(io.StringIO("\n".join(line for _, line in kept)))
    if reader.fieldnames is None or not {"algorithm", "hash"} <= set(reader.fieldnames):
        raise BankFileError(f"{path}: the header must name the columns algorithm and hash")
    hashes: list[dict[str, Any]] = []
    numbers = [number for number, _ in kept[1:]]
    for number, row in zip(numbers, reader, strict=False):
        quality = (row.get("quality") or "").strip()
        if quality and not quality.isdigit():
            raise BankFileError(f"{path}: line {number}: quality is a number from 0 to 100")
        hashes.append(
            {
                "algorithm": (row.get("algorithm") or "").strip().lower(),
                "hash": row.get("hash") or "",
                "quality": int(quality) if quality else None,
            }
        )
    return BankFile(None, hashes, numbers[: len(hashes)])
