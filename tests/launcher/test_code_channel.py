"""`make run`'s packing of a script's folder, no AWS: the ignore rules, the size limit, the content digest,
and the script's own arguments as hyperparameters."""

from pathlib import Path

import pytest

from launcher.errors import LauncherError
from launcher.sagemaker_jobs.request import JobSpec, script_hyperparameters
from launcher.stack.code_channel import pack_code


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_the_folders_ignore_files_and_the_always_skipped_clutter_stay_behind(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "job.py": "print('hi')",
            "lib/util.py": "",
            "lib/.rayignore": "big.bin\n",
            "lib/big.bin": "x",
            "lib/keep.log": "",
            ".gitignore": "data/\n*.log\n!keep.log\nresults\n",
            "data/train.csv": "1,2",
            "results/out.txt": "",
            "run.log": "",
            "__pycache__/job.cpython-312.pyc": "",
            "lib/__pycache__/util.cpython-312.pyc": "",
            "stale.pyc": "",
            ".git/HEAD": "ref",
            ".venv/lib/site.py": "",
            "myenv/pyvenv.cfg": "home = /usr/bin",
            "myenv/lib/x.py": "",
            "other/big.bin": "not ignored here: the .rayignore is lib's",
            "requirements.txt": "numpy\n",
        },
    )

    packed = pack_code(tmp_path / "job.py")

    assert list(packed.files) == [
        ".gitignore",
        "job.py",
        "lib/.rayignore",
        "lib/keep.log",
        "lib/util.py",
        "other/big.bin",
        "requirements.txt",
    ]
    assert packed.entry_script == "job.py"
    assert packed.size == sum(path.stat().st_size for path in packed.files.values())


def test_the_digest_is_the_content_same_folder_same_key_any_change_a_new_one(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        _write(folder, {"job.py": "print(1)", "lib/a.py": "A = 1", "__pycache__/x.pyc": str(folder)})
    first = pack_code(one / "job.py")
    assert pack_code(two / "job.py").digest == first.digest  # where it lies and what is skipped do not count

    (two / "lib" / "a.py").write_text("A = 2")
    assert pack_code(two / "job.py").digest != first.digest
    (two / "lib" / "a.py").write_text("A = 1")
    (two / "lib" / "a.py").rename(two / "lib" / "b.py")
    assert pack_code(two / "job.py").digest != first.digest


def test_a_folder_over_the_limit_is_one_sentence_naming_the_biggest_file(tmp_path: Path) -> None:
    _write(tmp_path, {"job.py": "", "weights/model.bin": "x" * (1024 * 1024 + 1)})
    with pytest.raises(LauncherError) as refused:
        pack_code(tmp_path / "job.py", limit_mib=1)
    message = str(refused.value)
    assert message.startswith(f"{tmp_path} holds 1.0 MiB to upload (the biggest file is weights/model.bin, 1.0 MiB)")
    assert message.endswith(
        "list data and outputs in its .gitignore or .rayignore (data belongs in the data bucket), "
        "or raise --code-limit-mb"
    )
    (tmp_path / ".gitignore").write_text("weights/\n")
    assert list(pack_code(tmp_path / "job.py", limit_mib=1).files) == [".gitignore", "job.py"]


@pytest.mark.parametrize(
    ("files", "script", "message"),
    [
        ({}, "missing.py", "SCRIPT=.*missing.py is not a file: give the path of your Python program"),
        ({"job.py": "", ".gitignore": "*.py\n"}, "job.py", "job.py is left out by an ignore rule in"),
    ],
)
def test_a_script_that_cannot_be_the_entry_script_is_refused(tmp_path, files, script, message) -> None:
    _write(tmp_path, files)
    with pytest.raises(LauncherError, match=message):
        pack_code(tmp_path / script)


def test_the_scripts_arguments_pass_as_written_and_ours_are_reserved() -> None:
    assert script_hyperparameters("search.py", ["--num_samples", "2", "--Epochs=1", "--lr", "-0.5"]) == {
        "num_samples": "2",  # the script's argparse flag, not our spelling of it
        "Epochs": "1",
        "lr": "-0.5",
        "program": "script",
        "entry-script": "search.py",
    }
    with pytest.raises(LauncherError, match="--entry_script is make run's own hyperparameter"):
        script_hyperparameters("search.py", ["--entry_script", "other.py"])
    with pytest.raises(LauncherError, match="hyperparameter --verbose has no value"):
        script_hyperparameters("search.py", ["--verbose"])
    with pytest.raises(
        LauncherError, match="program=script needs a code channel and an entry-script: run it with make"
    ):
        JobSpec(program="script", hyperparameters={"program": "script", "entry-script": "job.py"})
