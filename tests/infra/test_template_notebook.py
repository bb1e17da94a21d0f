"""The notebook as synthesized, and its lifecycle script as it will run on the instance."""

import re
import subprocess
import sys

import pytest

from infra.lifecycle import LONGEST_ASSET_URL, MAX_CONTENT_CHARS, SCRIPTS, encoded, on_start_script
from tests.infra.helpers import Synthesized, logical_id, of_type, only

STACK_TAG = {"Key": "ray-on-sagemaker:stack", "Value": "ray-on-sagemaker"}


@pytest.fixture(scope="module")
def notebook(resources: dict) -> dict:
    return only(resources, "AWS::SageMaker::NotebookInstance")["Properties"]


@pytest.fixture(scope="module")
def script_parts(resources: dict) -> list:
    """The on-start hook's Content as the template carries it: Fn::Base64 of the script joined around the asset URL."""
    (hook,) = only(resources, "AWS::SageMaker::NotebookInstanceLifecycleConfig")["Properties"]["OnStart"]
    (separator, parts) = hook["Content"]["Fn::Base64"]["Fn::Join"]
    assert separator == ""
    return parts


@pytest.fixture(scope="module")
def deployed_script(script_parts: list) -> str:
    """The on-start script as the notebook will run it, with the longest asset URL a deploy can put in."""
    return "".join(part if isinstance(part, str) else LONGEST_ASSET_URL for part in script_parts)


@pytest.fixture(scope="module")
def content(deployed_script: str) -> str:
    return encoded(deployed_script)


def test_notebook_defaults(notebook: dict) -> None:
    assert notebook["InstanceType"] == "ml.m5.4xlarge"
    assert notebook["PlatformIdentifier"] == "notebook-al2023-v1"
    assert notebook["VolumeSizeInGB"] == 50


def test_notebook_and_lifecycle_have_no_name_of_ours_so_they_can_be_replaced(resources: dict, notebook: dict) -> None:
    assert "NotebookInstanceName" not in notebook
    lifecycle = only(resources, "AWS::SageMaker::NotebookInstanceLifecycleConfig")["Properties"]
    assert "NotebookInstanceLifecycleConfigName" not in lifecycle


def test_notebook_waits_for_its_role_policy_and_its_subnets_route_to_the_nat(resources: dict) -> None:
    depends_on = only(resources, "AWS::SageMaker::NotebookInstance")["DependsOn"]
    route = logical_id(resources, "AWS::EC2::Route", "/NotebookSubnet1/")
    nat = resources[route]["Properties"]["NatGatewayId"]
    assert route in depends_on and nat == {"Ref": logical_id(resources, "AWS::EC2::NatGateway", "/Vpc/")}
    assert logical_id(resources, "AWS::IAM::Policy", "/NotebookRole/") in depends_on


def test_notebook_and_retained_resources_carry_the_stack_tag(resources: dict) -> None:
    for resource_type in ("AWS::SageMaker::NotebookInstance", "AWS::S3::Bucket", "AWS::ECR::Repository"):
        for resource in of_type(resources, resource_type).values():
            assert STACK_TAG in resource["Properties"]["Tags"], resource_type


def test_notebook_is_locked_down(resources: dict, notebook: dict) -> None:
    assert notebook["RootAccess"] == "Disabled"
    assert notebook["DirectInternetAccess"] == "Disabled"
    assert notebook["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
    assert notebook["KmsKeyId"] == {"Ref": logical_id(resources, "AWS::KMS::Key", "/Encryption/")}


def test_notebook_runs_in_the_private_subnet_with_its_role_and_lifecycle(resources: dict, notebook: dict) -> None:
    assert notebook["SubnetId"] == {"Ref": logical_id(resources, "AWS::EC2::Subnet", "/NotebookSubnet1/")}
    group = logical_id(resources, "AWS::EC2::SecurityGroup", "/NotebookSecurityGroup/")
    assert notebook["SecurityGroupIds"] == [{"Fn::GetAtt": [group, "GroupId"]}]
    assert notebook["RoleArn"] == {"Fn::GetAtt": [logical_id(resources, "AWS::IAM::Role", "/NotebookRole/"), "Arn"]}
    lifecycle = logical_id(resources, "AWS::SageMaker::NotebookInstanceLifecycleConfig", "/Lifecycle")
    assert notebook["LifecycleConfigName"] == {"Fn::GetAtt": [lifecycle, "NotebookInstanceLifecycleConfigName"]}


def test_script_fetches_the_project_asset_that_only_the_notebook_role_may_read(
    resources: dict, script_parts: list, deployed_script: str
) -> None:
    (url,) = [part for part in script_parts if not isinstance(part, str)]
    bucket = "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"
    assert url["Fn::Sub"].startswith(f"s3://{bucket}/") and url["Fn::Sub"].endswith(".zip")
    assert f"PROJECT_ASSET='{LONGEST_ASSET_URL}'" in deployed_script
    assert "bash '$WORK/project/notebooks/prepare_notebook.sh' '$WORK/project'" in deployed_script
    assert '|| echo "preparing the project and its kernel failed' in deployed_script  # never fails the start
    policy = resources[logical_id(resources, "AWS::IAM::Policy", "/NotebookRole/")]["Properties"]["PolicyDocument"]
    (read,) = [statement for statement in policy["Statement"] if statement["Action"] == "s3:GetObject"]
    *_, bucket_part, key_part = read["Resource"]["Fn::Join"][1]
    assert bucket_part == {"Fn::Sub": bucket} and key_part == "/" + url["Fn::Sub"].rsplit("/", 1)[-1]


def test_the_asset_holds_the_code_the_notebook_runs_and_nothing_else(synthesized: Synthesized) -> None:
    (asset,) = [folder for folder in synthesized.outdir.glob("asset.*") if (folder / "pyproject.toml").exists()]
    files = {str(path.relative_to(asset)) for path in asset.rglob("*") if path.is_file()}
    for wanted in (
        "pyproject.toml",
        "training/entrypoint.py",
        "launcher/api.py",
        "container/stack_outputs.py",
        "container/tag.py",  # the launcher finds the image by its tag's shape
        "container/image_file.py",
        "container/requirements.py",  # python -m launcher's ray-submit reads the pins with it
        "docs/launcher.md",  # the README's links
        "notebooks/prepare_notebook.sh",
        "notebooks/ray_on_sagemaker.ipynb",
    ):
        assert wanted in files
    tops = {name.split("/")[0] for name in files}
    folders = {"training", "launcher", "container", "infra", "notebooks", "examples", "docs"}
    assert tops == {"pyproject.toml", "README.md", *folders}
    infra = {"infra/__init__.py", "infra/instance_types.py", "infra/stack_names.py"}  # what the launcher imports
    assert {name for name in files if name.startswith("infra/")} == infra
    assert not [name for name in files if "__pycache__" in name or name.startswith("container/Dockerfile")]


def test_script_enables_the_idle_auto_stop_timer(deployed_script: str) -> None:
    assert "IDLE_STOP_MINUTES='60'" in deployed_script
    assert "systemctl enable --now notebook-autostop.timer" in deployed_script
    assert "def is_idle(" in deployed_script


def test_script_has_no_placeholders_left_uses_lf_and_its_base64_fits_the_limit(deployed_script: str, content) -> None:
    assert re.search(r"@[A-Z_]+@", deployed_script) is None
    assert "\r" not in deployed_script
    assert len(content) <= MAX_CONTENT_CHARS == 16384


def test_the_limit_is_measured_on_the_base64_content_not_the_script() -> None:
    script = "#!/bin/bash\n" + "#" * 13000 + "\n"
    assert len(script) < MAX_CONTENT_CHARS
    with pytest.raises(ValueError, match=r"is 17352 characters in base64; SageMaker allows 16384\."):
        encoded(script)


@pytest.mark.parametrize("script", ["source", "deployed"])
def test_script_is_valid_bash(script: str, deployed_script: str, require_tool) -> None:
    bash = require_tool("bash")
    text = (SCRIPTS / "on_start.sh").read_text(encoding="utf-8") if script == "source" else deployed_script
    result = subprocess.run([bash, "-n"], input=text, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_script_files_use_lf_line_endings() -> None:
    for path in SCRIPTS.iterdir():
        assert b"\r" not in path.read_bytes(), path


def test_idle_auto_stop_can_be_switched_off(deployed_script: str) -> None:
    assert "IDLE_STOP_MINUTES='0'" in on_start_script(0)
    assert 'if [ "$IDLE_STOP_MINUTES" -gt 0 ]; then' in deployed_script


def test_the_launchers_command_line_imports_from_the_asset_alone(synthesized: Synthesized, tmp_path) -> None:
    """`python -m launcher` in the notebook's terminal: every verb's module and what it imports is in the asset."""
    (asset,) = [folder for folder in synthesized.outdir.glob("asset.*") if (folder / "pyproject.toml").exists()]
    probe = "import launcher.api, launcher.cli; print('imported')"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(asset)}
    done = subprocess.run([sys.executable, "-P", "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.stdout == "imported\n", done.stderr[-2000:]
