"""README.md and docs/: short enough to read, every link lands, every command they name exists.

Cheap on purpose (no Ray, no AWS, no make run): the pages are parsed as text, the Makefile's targets
are read from `Makefile` and `mk/*.mk`, and each `python -m MODULE` is looked up with importlib.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
README_MAX_LINES = 220  # "a README a newcomer reads in five minutes" (issue 20): about 200 lines

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCED = re.compile(r"^```.*?^```", re.M | re.S)
CODE_SPAN = re.compile(r"`([^`]+)`")
MAKE_VERBS = re.compile(r"\bmake ((?:[a-z][a-z0-9-]*)(?:\|[a-z][a-z0-9-]*)*)")
PYTHON_MODULE = re.compile(r"\bpython3? -m ([A-Za-z_][\w.]*)")
TARGET = re.compile(r"^([A-Za-z0-9_.-][A-Za-z0-9_. -]*?)\s*::?(?!=)", re.M)


def _documents() -> list[Path]:
    return [README, *PAGES]


def _commands(text: str) -> str:
    """The parts of a page that hold commands: fenced blocks, and code spans (which may wrap a line)."""
    blocks = FENCED.findall(text)
    prose = FENCED.sub("", text).replace("\n", " ")
    return "\n".join([*blocks, *CODE_SPAN.findall(prose)])


def _named(pattern: re.Pattern[str]) -> dict[str, set[str]]:
    """Each name the pattern finds in the pages' commands, with the pages that name it."""
    found: dict[str, set[str]] = {}
    for document in _documents():
        for match in pattern.findall(_commands(document.read_text())):
            for name in match.split("|"):
                found.setdefault(name, set()).add(document.relative_to(ROOT).as_posix())
    return found


def _make_targets() -> set[str]:
    """The targets the Makefile and its fragments define (`name:` at the start of a line)."""
    targets: set[str] = set()
    for makefile in [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]:
        for names in TARGET.findall(makefile.read_text()):
            targets.update(names.split())
    return targets


def test_the_readme_is_read_in_five_minutes() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move the detail to a docs/ page"


def test_the_readme_links_every_docs_page() -> None:
    linked = {(README.parent / target.split("#")[0]).resolve() for target in LINK.findall(README.read_text())}
    assert PAGES, "docs/ holds no page"
    assert [page.name for page in PAGES if page.resolve() not in linked] == []


@pytest.mark.parametrize("document", _documents(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_relative_link_lands_on_a_file(document: Path) -> None:
    targets = [target.split("#")[0] for target in LINK.findall(document.read_text())]
    relative = [target for target in targets if target and not re.match(r"[a-z]+:", target)]
    assert [target for target in relative if not (document.parent / target).exists()] == []


def test_every_make_verb_named_is_a_target() -> None:
    missing = {verb: pages for verb, pages in _named(MAKE_VERBS).items() if verb not in _make_targets()}
    assert missing == {}


def test_every_python_module_named_can_be_imported() -> None:
    missing = {module: pages for module, pages in _named(PYTHON_MODULE).items() if not _importable(module)}
    assert missing == {}


def _importable(module: str) -> bool:
    """Whether `python -m module` would find it; importing a parent package is all find_spec runs."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False
