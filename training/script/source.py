"""Where a script comes from: our `entry-script` in the code channel, or the SageMaker SDK's estimator convention.

A framework estimator (`PyTorch(entry_point="train.py", source_dir=...)` in SDK v2) writes the
hyperparameters `sagemaker_program` (the script) and `sagemaker_submit_directory` (its code: an
`s3://.../sourcedir.tar.gz`, or a local folder or tarball), each value JSON-encoded. The SageMaker
training toolkit unpacks that code into `/opt/ml/code` unless the folder already holds files, and runs
the script there (sagemaker_training/files.py `download_and_extract`, entry_point.py); so does this
module. S3 is read through pyarrow, Ray's own storage layer, which honours AWS_ENDPOINT_URL and the
container's credentials as Ray's storage path does (training/programs/storage.py).
"""

from __future__ import annotations

import dataclasses
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.fs

from training.contract.environment import JobEnvironment
from training.contract.hyperparameters import ESTIMATOR_CODE, ESTIMATOR_PROGRAM
from training.errors import JobError
from training.script.environment import decoded

CODE_CHANNEL = "code"


@dataclasses.dataclass(frozen=True)
class ScriptSource:
    """A script and its folder (its working folder, where its requirements.txt is)."""

    folder: Path
    name: str
    module_dir: str  # SM_MODULE_DIR: where the code came from, as the toolkit reports it

    @property
    def script(self) -> Path:
        return self.folder / self.name


def script_source(env: JobEnvironment) -> ScriptSource:
    """The job's script: sagemaker_program's when given, else entry-script's in the code channel."""
    given = env.given_hyperparameters
    if ESTIMATOR_PROGRAM in given:
        return _estimator_source(env, given)
    name = env.hyperparameters.entry_script
    if not name:
        raise JobError("program=script needs the hyperparameter 'entry-script': a Python file in the code channel")
    code = env.channel(CODE_CHANNEL).resolve()
    return _checked(ScriptSource(code, name, str(code)), "hyperparameter 'entry-script'", "the code channel")


def _estimator_source(env: JobEnvironment, given: Mapping[str, Any]) -> ScriptSource:
    name, what = str(decoded(given[ESTIMATOR_PROGRAM])), f"hyperparameter '{ESTIMATOR_PROGRAM}'"
    folder = (env.paths.base_dir / "code").resolve()
    submitted = given.get(ESTIMATOR_CODE)
    if submitted is None:  # the toolkit's default: the code is already in /opt/ml/code
        return _checked(ScriptSource(folder, name, str(folder)), what, str(folder))
    uri = str(decoded(submitted))
    download_and_extract(uri, folder)
    return _checked(ScriptSource(folder, name, uri), what, uri)


def _checked(source: ScriptSource, what: str, where: str) -> ScriptSource:
    """The source, once its script is known to be a file inside its folder."""
    script = source.script.resolve()
    if not script.is_relative_to(source.folder):
        raise JobError(f"{what} must name a file inside {where}, got '{source.name}'")
    if not script.is_file():
        raise JobError(f"{what} names no file in {where}, got '{source.name}'")
    return source


def download_and_extract(uri: str, folder: Path) -> None:
    """The code at uri (s3:// tarball, local folder or tarball) into folder, unless folder already has files."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        print(f"{folder} is not empty: running the code already there instead of {uri}", flush=True)
        return
    if Path(uri).is_dir():
        shutil.copytree(uri, folder, dirs_exist_ok=True)
        return
    with tempfile.TemporaryDirectory(prefix="sourcedir-") as scratch:
        archive = _local_copy(uri, Path(scratch)) if uri.startswith("s3://") else Path(uri)
        if not (archive.is_file() and tarfile.is_tarfile(archive)):
            kinds = "an s3:// tarball, a folder or a tarball"
            raise JobError(f"hyperparameter '{ESTIMATOR_CODE}' must be {kinds}, got '{uri}'")
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(folder, filter="data")


def _local_copy(uri: str, scratch: Path) -> Path:
    """The S3 object at uri in scratch, or one sentence saying why it could not be read."""
    target = scratch / "sourcedir.tar.gz"
    try:
        filesystem, path = pyarrow.fs.FileSystem.from_uri(uri)
        with filesystem.open_input_stream(path, compression=None) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
    except (OSError, pyarrow.ArrowException) as error:
        raise JobError(f"could not download the script's code from {uri}: {error}") from None
    return target
