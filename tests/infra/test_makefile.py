"""The Makefile: its defaults are the Python constants, its verbs are grouped by layer, `make lint` runs every linter.

Make reads nothing from Python (that would need .venv before `make help`), so these tests hold the copies equal.
"""

import re
import subprocess

import pytest

from container.image_file import IMAGE_FILE
from infra.stack_names import OUTPUTS_FILE
from tests.infra.helpers import ROOT

FRAGMENTS = sorted((ROOT / "mk").glob("*.mk"))


def make(*args: str) -> str:
    """What make prints for these arguments, run in the repository without executing a recipe's effects."""
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def variable(name: str) -> str:
    """The value make gives a variable, after every fragment is read."""
    return make("-s", "--eval", "print-%: ; @echo $($*)", f"print-{name}").strip()


def test_the_file_names_are_the_python_constants() -> None:
    assert variable("CDK_OUTPUTS") == str(OUTPUTS_FILE)
    assert variable("STACK_OUTPUTS") == str(OUTPUTS_FILE)
    assert variable("IMAGE_URI_FILE") == str(IMAGE_FILE)


@pytest.mark.parametrize("verb", ["push-image", "train", "tune", "run", "anyscale-submit"])
def test_every_verb_names_the_image_file_with_one_option(verb: str) -> None:
    assert f"--image-file '{IMAGE_FILE}'" in make("-n", verb)


def documented_verbs() -> list[str]:
    """Every `verb: ... ## text` of the Makefile and its fragments, the lines `make help` shows."""
    text = "".join(path.read_text() for path in [ROOT / "Makefile", *FRAGMENTS])
    return re.findall(r"^([a-z-]+):.*## ", text, re.MULTILINE)


def test_help_lists_each_verb_once_under_its_layer() -> None:
    shown = make("help")
    headings = [line for line in shown.splitlines() if line and not line.startswith(" ")]
    assert len(headings) == len(FRAGMENTS) + 1, headings  # the Makefile's own verbs, then one group per fragment
    listed = re.findall(r"^  make (\S+)", shown, re.MULTILINE)
    assert sorted(listed) == sorted(documented_verbs()) and len(set(listed)) == len(listed)
    assert shown.index("make synth") < shown.index("make push-image") < shown.index("make train")


def test_lint_runs_every_documented_linter_and_each_is_named_lint_noun() -> None:
    linters = variable("LINTERS").split()
    assert {"lint-infra", "lint-image"} <= set(linters)
    assert sorted(linters) == sorted(verb for verb in documented_verbs() if verb.startswith("lint-"))
    assert not [verb for verb in documented_verbs() if verb.endswith("-lint")]
    planned = make("-n", "lint")
    assert "cfn-lint" in planned and "hadolint container/Dockerfile" in planned
