"""The notebook's start-up preparation (prepare_notebook.sh) in a sandbox shaped like the instance.

A fake /home/ec2-user tree, a stub `conda` that blocks until the test releases it (so the test can see
that the first start returns while the environment is still being built), and a stub Python that
records the pip installs it is asked for instead of downloading torch.
"""

import json
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from infra.lifecycle import PREPARE_SCRIPT as SCRIPT

STUB_PYTHON = """#!/bin/bash
if [ "$1" = --version ]; then echo "Python 3.11.9"; exit 0; fi
echo "$*" >>"$(dirname "$0")/../calls.log"
"""
STUB_CONDA = f"""#!/bin/bash
# conda create --yes --quiet --prefix PREFIX python=3.11 pip: waits for the test's go-ahead first.
while [ ! -f "$RELEASE" ]; do sleep 0.05; done
echo "create $*" >>"$CONDA_LOG"
mkdir -p "$5/bin" && cat >"$5/bin/python" <<'STUB'
{STUB_PYTHON}STUB
chmod +x "$5/bin/python"
"""


def _executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture()
def sandbox(tmp_path: Path) -> dict:
    """A fake notebook home, a project asset to place, and the stubs' environment."""
    home = tmp_path / "home" / "ec2-user"
    (home / "SageMaker").mkdir(parents=True)
    asset = tmp_path / "asset"
    (asset / "training").mkdir(parents=True)
    (asset / "training" / "train.py").write_text("print('v1')\n")
    (asset / "pyproject.toml").write_text("[dependency-groups]\ntraining = []\n")
    env = {
        **os.environ,
        "NB_HOME": str(home),
        "CONDA": str(_executable(tmp_path / "conda", STUB_CONDA)),
        "CONDA_LOG": str(tmp_path / "conda.log"),
        "RELEASE": str(tmp_path / "release"),
        "FALLBACK_PYTHON": "/usr/bin/false",
    }
    return {"home": home, "asset": asset, "env": env, "tmp": tmp_path}


def _start(sandbox: dict) -> None:
    """One notebook start: the script must return while the stub conda may still be blocked."""
    subprocess.run(["bash", str(SCRIPT), str(sandbox["asset"])], env=sandbox["env"], check=True, timeout=60)


def _wait_ready(env_dir: Path, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not (env_dir / ".ready").exists():
        assert time.monotonic() < deadline, "the background build never finished"
        time.sleep(0.05)


def test_first_start_returns_at_once_and_builds_the_environment_in_the_background(sandbox: dict) -> None:
    work = sandbox["home"] / "SageMaker" / ".ray-on-sagemaker"
    _start(sandbox)
    assert not (work / "env" / ".ready").exists()  # conda is still blocked: the start did not wait for it
    kernel = json.loads((sandbox["home"] / ".local/share/jupyter/kernels/ray-on-sagemaker/kernel.json").read_text())
    assert kernel["display_name"] == "Ray on SageMaker (Python 3.11)"
    assert kernel["argv"] == [str(work / "kernel.sh"), "-f", "{connection_file}"]
    preparing = subprocess.run([kernel["argv"][0]], env={**sandbox["env"], "PATH": os.environ["PATH"]}, check=False)
    assert preparing.returncode != 0  # until ready it runs the fallback Python (here /usr/bin/false)

    (sandbox["tmp"] / "release").touch()
    _wait_ready(work / "env")
    calls = (work / "env" / "calls.log").read_text()
    pyproject = sandbox["asset"] / "pyproject.toml"
    assert f"--group {pyproject}:training --group {pyproject}:launcher --group {pyproject}:notebook" in calls
    assert "kernel environment ready" in (work / "setup.log").read_text()
    assert (sandbox["home"] / "SageMaker" / "ray-on-sagemaker" / "training" / "train.py").read_text() == "print('v1')\n"


def test_second_start_reuses_the_environment(sandbox: dict) -> None:
    (sandbox["tmp"] / "release").touch()
    work = sandbox["home"] / "SageMaker" / ".ray-on-sagemaker"
    _start(sandbox)
    _wait_ready(work / "env")
    shutil.rmtree(sandbox["home"] / ".local")  # the home folder outside SageMaker/ is not kept across stop/start
    _start(sandbox)
    assert len(Path(sandbox["env"]["CONDA_LOG"]).read_text().splitlines()) == 1
    assert (work / "env" / ".ready").exists()
    assert (sandbox["home"] / ".local/share/jupyter/kernels/ray-on-sagemaker/kernel.json").exists()
    assert "reused from an earlier start" in (work / "setup.log").read_text()


def test_an_unedited_copy_is_updated_and_an_edited_one_is_kept(sandbox: dict) -> None:
    (sandbox["tmp"] / "release").touch()
    project = sandbox["home"] / "SageMaker" / "ray-on-sagemaker"
    train = sandbox["asset"] / "training" / "train.py"
    _start(sandbox)
    _wait_ready(project.parent / ".ray-on-sagemaker" / "env")
    train.write_text("print('v2')\n")
    _start(sandbox)
    assert (project / "training" / "train.py").read_text() == "print('v2')\n"

    (project / "training" / "train.py").write_text("print('my edit')\n")
    train.write_text("print('v3')\n")
    _start(sandbox)
    assert (project / "training" / "train.py").read_text() == "print('my edit')\n"
    (beside,) = project.parent.glob("ray-on-sagemaker-*")
    assert (beside / "training" / "train.py").read_text() == "print('v3')\n"
    assert "has your edits and is kept" in (project.parent / ".ray-on-sagemaker" / "setup.log").read_text()
