"""Code and docs cite only what the repository holds.

A citation a newcomer cannot follow is worse than none: every `docs/<name>.md` (and its
`#section`) and every project path named in code, templates or docs must exist, and nothing
cites a design document kept outside the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".md", ".html", ".txt", ".yml", ".toml", ".cfg"}
PROJECT_DIRS = sorted(
    path.name for path in ROOT.iterdir() if path.is_dir() and not path.name.startswith(".")
)
PATH_MENTION = re.compile(
    rf"(?<![\w/.])((?:{'|'.join(map(re.escape, PROJECT_DIRS))})(?:/[\w.-]+)+\.(?:py|md|toml|yml))"
    r"(#[\w-]+)?"
)
# Documents that live beside the project, not in it: citing them sends a reader nowhere.
OUTSIDE = re.compile(r"DESIGN ?§|DESIGN\.md|PERFORMANCE\.md|STYLE\.md|STYLE \"|\.\./shared")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [
        ROOT / name
        for name in names
        if Path(name).suffix in TEXT_SUFFIXES and (ROOT / name).is_file()
    ]


def anchors(markdown: Path) -> set[str]:
    """GitHub's anchors for a Markdown file's headings."""
    slugs = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", markdown.read_text(), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        slugs.add(slug)
    return slugs


def test_the_project_has_its_own_architecture_notes():
    assert (ROOT / "docs" / "architecture.md").is_file()


def test_nothing_cites_a_document_outside_the_repository():
    this = Path(__file__).resolve()
    offending = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in tracked_text_files()
        if path != this
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offending == [], "cite the project's own docs/ instead:\n" + "\n".join(offending)


def test_every_cited_project_path_and_section_exists():
    missing = []
    for path in tracked_text_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            for target, anchor in PATH_MENTION.findall(line):
                cited = ROOT / target
                where = f"{path.relative_to(ROOT)}:{number}"
                if "*" in target or "{" in target:
                    continue
                if not cited.exists():
                    missing.append(f"{where}: {target}")
                elif anchor and cited.suffix == ".md" and anchor[1:] not in anchors(cited):
                    missing.append(f"{where}: {target}{anchor}")
    assert missing == [], "these citations lead nowhere:\n" + "\n".join(missing)
