"""The pinned CDK toolchain: Node 22 from package.json, and every feature flag the pinned CLI recommends."""

import json
import subprocess

from tests.infra.helpers import ROOT

RECOMMENDED = ROOT / "node_modules" / "aws-cdk" / "lib" / "init-templates" / ".recommended-feature-flags.json"
# Flags deliberately left off, each with its reason (docs/stack.md repeats them).
LEFT_OFF: dict[str, str] = {}


def test_package_json_pins_node_22_next_to_the_cdk_cli() -> None:
    dev = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    assert set(dev) == {"aws-cdk", "node"}
    assert dev["node"].startswith("22.") and dev["node"].replace(".", "").isdigit()


def test_the_pinned_node_is_the_one_make_runs(require_tool) -> None:
    node = require_tool(str(ROOT / "node_modules" / ".bin" / "node"))
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v22.")
    assert 'PATH="$(CURDIR)/node_modules/.bin:$$PATH"' in (ROOT / "mk" / "infra.mk").read_text(encoding="utf-8")


def test_cdk_json_sets_every_flag_the_pinned_cli_recommends(require_tool) -> None:
    require_tool(str(ROOT / "node_modules" / ".bin" / "cdk"))
    recommended = json.loads(RECOMMENDED.read_text(encoding="utf-8"))
    context = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    assert "@aws-cdk/aws-s3:createDefaultLoggingPolicy" in recommended
    for flag, value in recommended.items():
        if flag in LEFT_OFF:
            assert context.get(flag) != value and len(LEFT_OFF[flag]) > 30, flag
            assert flag in (ROOT / "docs" / "stack.md").read_text(encoding="utf-8"), flag
        else:
            assert context.get(flag) == value, flag
