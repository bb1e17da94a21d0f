"""`make anyscale-submit`: train, tune or your own script as an Anyscale job, with the pinned `anyscale` CLI.

    python -m launcher.ray_clusters.anyscale [--script PATH | --program train|tune] [--name NAME]
        [--compute-config NAME] [--image-uri URI | --image-file build/image-uri.txt]
        [--env NAME=VALUE ...] [--max-retries N] [--dry-run] [-- ARGS...]

It renders the job config (the YAML `anyscale job submit -f` reads), checks it offline with the
anyscale package's own model (anyscale.job.models.JobConfig) and submits it, or with --dry-run
prints it. The image is the one `make push-image` recorded from the stack's ECR repository
(build/image-uri.txt): it holds training/ and every pin. Without one, Anyscale's default image runs
the job and the pins (without Ray) go in as requirements.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from container.image_file import IMAGE_FILE, recorded_image
from infra.stack_names import PROJECT
from launcher.ray_clusters.program import (
    EXCLUDES,
    REPOSITORY,
    SubmitError,
    add_program_arguments,
    env_vars,
    pins,
    ray_program,
)

BUILD = REPOSITORY / "build" / "anyscale"
DEFAULT_MAX_RETRIES = 1  # Anyscale's own default


def image_uri(given: str | None, image_file: Path) -> str | None:
    """The image to run: given, else the one `make push-image` recorded, else None (Anyscale's default)."""
    return given if given is not None else recorded_image(image_file)


def render(options: argparse.Namespace, staging: Path) -> dict[str, Any]:
    """The job config as a plain dict, checked with JobConfig; SubmitError with its one sentence if refused."""
    job = ray_program(options.script, options.program, options.args, staging)
    image = image_uri(options.image_uri, options.image_file)
    default_name = f"{PROJECT}-{options.script.stem if options.script else options.program}"
    config: dict[str, Any] = {
        "name": options.name if options.name is not None else default_name,
        "entrypoint": job.entrypoint,
        "working_dir": str(job.working_dir),
        "excludes": EXCLUDES,
        "max_retries": options.max_retries,
    }
    if image:
        config["image_uri"] = image
    requirements = job.requirements + ([] if image else pins())
    if requirements:
        config["requirements"] = requirements
    if options.compute_config is not None:
        config["compute_config"] = options.compute_config
    env = env_vars(options.env)
    if env:
        config["env_vars"] = env
    validate(config)
    return config


def validate(config: dict[str, Any]) -> None:
    """Check the config with the anyscale package's own model, offline; SubmitError names what it refused."""
    from anyscale.job.models import JobConfig

    if not config.get("name"):
        raise SubmitError("the Anyscale job name must not be empty")
    try:
        JobConfig.from_dict(config)
    except (TypeError, ValueError) as error:
        raise SubmitError(f"the Anyscale job config was refused: {error}") from None


def submit(config_file: Path) -> int:
    """`anyscale job submit -f FILE --wait` with the pinned CLI of this environment; its exit status."""
    cli = Path(sys.executable).parent / "anyscale"
    return subprocess.run([str(cli), "job", "submit", "-f", str(config_file), "--wait"], check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", help=f"the job's name (default {PROJECT}-<program or script>)")
    parser.add_argument("--compute-config", help="an Anyscale compute config, NAME[:VERSION] (default: the cloud's)")
    parser.add_argument("--image-uri", help="the image to run (default: the one in --image-file)")
    parser.add_argument(
        "--image-file", type=Path, default=REPOSITORY / IMAGE_FILE, help="where make push-image recorded the image"
    )
    parser.add_argument("--max-retries", type=int, default=DEFAULT_MAX_RETRIES, help="retries of a failed job")
    parser.add_argument("--build-dir", type=Path, default=BUILD, help="where the config and train's working dir go")
    parser.add_argument("--dry-run", action="store_true", help="print the config, submit nothing")
    add_program_arguments(parser)
    options = parser.parse_args(argv)
    try:
        config = render(options, options.build_dir / "working_dir")
    except SubmitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    text = yaml.safe_dump(config, sort_keys=False)
    if options.dry_run:
        print(text, end="")
        return 0
    config_file = options.build_dir / "job.yaml"
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text)
    print(f"submitting {config_file}:\n{text}", flush=True)
    return submit(config_file)


if __name__ == "__main__":
    sys.exit(main())
