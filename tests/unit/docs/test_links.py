"""Every relative link and anchor in the repository's markdown files resolves.

Anchors are matched against the target's headings, slugged as GitHub slugs them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown_files(root: Path) -> list[Path]:
    """The repository's markdown files, outside hidden folders (.venv, .cache, .git).

    Hidden folders are not entered at all: the local broker's data under .cache changes
    while the tests run (a topic's folder deleted mid-walk failed the walk).
    """
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found += [Path(folder, name) for name in files if name.endswith(".md")]
    return sorted(path for path in found if not path.name.startswith("."))


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code spans blanked."""
    lines, fence = [], ""
    for line in text.splitlines():
        marker = re.match(r"^\s{0,3}(`{3,}|~{3,})", line)
        if marker and (not fence or marker.group(1).startswith(fence)):
            fence = "" if fence else marker.group(1)[:3]
            continue
        if not fence:
            lines.append(re.sub(r"(`+)(?:(?!\1).)+?\1", "``", line))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its rendered text, lower case, punctuation dropped."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "")
    text = re.sub(r"<[^>]+>", "", text).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a markdown file offers: its headings' slugs (numbered when repeated)."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    fence = ""
    for line in path.read_text().splitlines():
        marker = re.match(r"^\s{0,3}(`{3,}|~{3,})", line)
        if marker and (not fence or marker.group(1).startswith(fence)):
            fence = "" if fence else marker.group(1)[:3]
            continue
        if fence:
            continue
        found.update(HTML_ANCHOR.findall(line))
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(root: Path) -> list[str]:
    """Each relative link of each markdown file under root that leads nowhere, with why."""
    broken = []
    for source in markdown_files(root):
        for line in prose_lines(source.read_text()):
            targets = LINK.findall(line) + REFERENCE.findall(line)
            for target in targets:
                if SCHEME.match(target):
                    continue
                where = f"{source.relative_to(root)}: {target}"
                file_part, _, anchor = target.partition("#")
                path = (source.parent / file_part).resolve() if file_part else source
                if not path.exists():
                    broken.append(f"{where}: no such file")
                elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                    broken.append(f"{where}: no heading with this anchor")
    return broken


def test_every_relative_link_and_anchor_in_the_repository_resolves() -> None:
    assert markdown_files(ROOT), "no markdown file found"
    broken = broken_links(ROOT)
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_a_missing_file_or_anchor_is_reported(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "GUIDE.md").write_text("# The guide\n\n## Scaling a deployment\n")
    (tmp_path / "README.md").write_text(
        "# Top\n\n## Setup\n\n"
        "[ok](deploy/GUIDE.md#scaling-a-deployment), [here](#setup), [web](https://example.org)\n"
        "[gone](deploy/GONE.md) and [renamed](deploy/GUIDE.md#scaling)\n"
        "![shot](deploy/shot.png) and [self](#nowhere)\n"
        "`[code](not/a/link.md)`\n\n```\n[fenced](not/a/link.md)\n```\n"
    )
    assert broken_links(tmp_path) == [
        "README.md: deploy/GONE.md: no such file",
        "README.md: deploy/GUIDE.md#scaling: no heading with this anchor",
        "README.md: deploy/shot.png: no such file",
        "README.md: #nowhere: no heading with this anchor",
    ]


def test_anchors_follow_githubs_slugs(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Crible\n"
        "### On three brokers (`crible bench ingest --workers 1,2,4`, "
        "`make bench-ingest-cluster`)\n"
        "## Configuration (`CRIBLE_SURGE_`)\n"
        "## Dead letters: look, fix, replay\n"
        "## Configuration (`CRIBLE_SURGE_`)\n"
        "```sh\n# not a heading\n```\n"
    )
    assert anchors(page) == {
        "crible",
        "on-three-brokers-crible-bench-ingest---workers-124-make-bench-ingest-cluster",
        "configuration-crible_surge_",
        "dead-letters-look-fix-replay",
        "configuration-crible_surge_-1",
    }
