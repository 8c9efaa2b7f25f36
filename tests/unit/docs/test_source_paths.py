"""Every ``services/...`` path the READMEs and deploy's YAML comments name exists.

Modules move (issue 21 moved prescreen's into ``core/`` and ``adapters/``); a path left behind
sends the reader of a rule file or a README to a module that is no longer there.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
#: Where paths are named: the READMEs and operators' guides, and deploy's YAML files.
DOCUMENTS = ("README.md", "services/*/README.md", "shared/**/README.md", "deploy/**/*.md")
CONFIGURATION = ("deploy/**/*.yaml", "deploy/**/*.yml")
#: A path into services/ (not the tail of a longer one), without the punctuation after it:
#: ``services/__init__.py:SERVICES`` names ``services/__init__.py``; ``services/<name>/`` none.
PATH = re.compile(r"(?<![\w./-])services/[\w./-]*[\w/]")
#: A YAML comment: ``#`` starting the line or after a blank, to the end of the line.
COMMENT = re.compile(r"(?:^|\s)#(.*)$")


def named_paths(path: Path) -> list[tuple[int, str]]:
    """Each ``services/...`` path ``path`` names (in a YAML file, in its comments), by line."""
    found: list[tuple[int, str]] = []
    in_comments = path.suffix in {".yaml", ".yml"}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        comment = COMMENT.search(line) if in_comments else None
        text = (comment.group(1) if comment else "") if in_comments else line
        found.extend((number, named) for named in PATH.findall(text))
    return found


def stale_paths(root: Path) -> list[str]:
    """Every path named under ``root`` that does not exist there, as ``file:line: path``."""
    sources = sorted({p for pattern in DOCUMENTS + CONFIGURATION for p in root.glob(pattern)})
    return [
        f"{source.relative_to(root)}:{number}: {named}"
        for source in sources
        for number, named in named_paths(source)
        if not (root / named).exists()
    ]


def test_every_services_path_the_documentation_names_exists() -> None:
    named = [p for pattern in DOCUMENTS + CONFIGURATION for p in ROOT.glob(pattern)]
    assert sum(len(named_paths(p)) for p in named) > 10, "the check found no path to check"
    assert stale_paths(ROOT) == []


def test_a_path_that_moved_is_reported_in_a_readme_or_a_yaml_comment(tmp_path: Path) -> None:
    (tmp_path / "services" / "prescreen" / "core").mkdir(parents=True)
    (tmp_path / "services" / "__init__.py").write_text("")
    (tmp_path / "services" / "prescreen" / "core" / "text_rules.py").write_text("")
    (tmp_path / "deploy" / "prescreen").mkdir(parents=True)
    (tmp_path / "deploy" / "prescreen" / "rules.yaml").write_text(
        "# Text rules (format: services/prescreen/text_rules.py).\n"
        "rules:  # services/prescreen/core/text_rules.py reads them\n"
        "  - phrase: services/not/a/comment.py\n"
    )
    (tmp_path / "README.md").write_text(
        "Registered in services/__init__.py:SERVICES; each `services/<name>/` package.\n"
        "The rules (services/prescreen/core/text_rules.py), the lists (services/prescreen/\n"
        "and tests/unit/services/elsewhere.py) moved from services/prescreen/domains.py.\n"
    )

    assert stale_paths(tmp_path) == [
        "README.md:3: services/prescreen/domains.py",
        "deploy/prescreen/rules.yaml:1: services/prescreen/text_rules.py",
    ]
