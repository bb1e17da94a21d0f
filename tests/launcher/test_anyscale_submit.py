"""`make anyscale-submit`: the rendered job config, checked offline with the anyscale package's own model."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from anyscale.job.models import JobConfig

from launcher.cli import main as cli
from launcher.ray_clusters.program import pins

REPOSITORY = Path(__file__).resolve().parents[2]
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ray-on-sagemaker:abc1234"


def main(argv: list[str]) -> int:
    """`python -m launcher anyscale-submit ARGV`, in this process."""
    return cli(["anyscale-submit", *argv])


def _dry_run(capsys, *argv: str) -> dict:
    assert main(["--dry-run", *argv]) == 0
    return yaml.safe_load(capsys.readouterr().out)


def test_the_default_config_validates_and_runs_train_from_a_copy_of_training(tmp_path, capsys):
    config = _dry_run(capsys, "--build-dir", str(tmp_path), "--image-file", str(tmp_path / "none.txt"))

    JobConfig.from_dict(config)  # the package's own model accepts it as printed
    assert config["name"] == "ray-on-sagemaker-train"
    assert config["entrypoint"] == "python -m training.ray_job train"
    assert config["max_retries"] == 1
    assert (Path(config["working_dir"]) / "training" / "entrypoint.py").is_file()
    assert config["requirements"] == pins()  # no image of ours: Anyscale's image plus the pins, Ray excepted
    assert "image_uri" not in config


def test_the_pushed_image_is_used_and_then_nothing_is_reinstalled(tmp_path, capsys):
    (tmp_path / "image-uri.txt").write_text(IMAGE + "\n")
    script = tmp_path / "code" / "job.py"
    script.parent.mkdir()
    script.write_text("")
    (script.parent / "requirements.txt").write_text("emoji==2.0.0\n")

    config = _dry_run(
        capsys,
        "--build-dir",
        str(tmp_path),
        "--image-file",
        str(tmp_path / "image-uri.txt"),
        "--script",
        str(script),
        "--compute-config",
        "cpu-small:1",
        "--env",
        "SM_NUM_CPUS=8",
        "--",
        "--epochs",
        "2",
    )

    JobConfig.from_dict(config)
    assert config["image_uri"] == IMAGE
    assert config["entrypoint"] == "python job.py --epochs 2"
    assert config["working_dir"] == str(script.parent.resolve())
    assert config["requirements"] == ["emoji==2.0.0"]
    assert (config["compute_config"], config["env_vars"], config["name"]) == (
        "cpu-small:1",
        {"SM_NUM_CPUS": "8"},
        "ray-on-sagemaker-job",
    )


def test_make_anyscale_submit_dry_run_prints_the_config(tmp_path):
    done = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "anyscale-submit",
            "DRY_RUN=1",
            "PROGRAM=tune",
            f"IMAGE_URI_FILE={tmp_path / 'none.txt'}",
            f"ANYSCALE_ARGS=--build-dir {tmp_path}",
        ],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert JobConfig.from_dict(yaml.safe_load(done.stdout)).entrypoint == "python -m training.ray_job tune"


def test_a_bad_setting_is_refused_with_one_sentence(tmp_path, capsys):
    base = ["--dry-run", "--build-dir", str(tmp_path)]
    for extra, sentence in [
        (
            ["--max-retries", "-1"],
            "anyscale-submit: the Anyscale job config was refused: 'max_retries' must be >= 0.\n",
        ),
        (["--name", ""], "anyscale-submit: the Anyscale job name must not be empty\n"),
        (["--env", "NOEQUALS"], "anyscale-submit: environment variable must be NAME=VALUE, got 'NOEQUALS'\n"),
        (["--program", "serve"], "anyscale-submit: program must be one of train, tune, got 'serve'\n"),
    ]:
        assert main(base + extra) == 1
        captured = capsys.readouterr()
        assert (captured.out, captured.err) == ("", sentence)
