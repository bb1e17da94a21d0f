"""`make anyscale-submit`: train, tune or your own script as an Anyscale job, with the pinned `anyscale` CLI.

    python -m launcher anyscale-submit [--script PATH | --program train|tune] [--name NAME]
        [--compute-config NAME] [--image URI | --image-file build/image-uri.txt]
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
from pathlib import Path
from typing import Any

import yaml

from container.image_file import recorded_image
from infra.stack_names import PROJECT
from launcher.errors import LauncherError
from launcher.ray_clusters.program import EXCLUDES, REPOSITORY, env_vars, pins, ray_program
from launcher.stack.image import explicit_image

BUILD = REPOSITORY / "build" / "anyscale"
DEFAULT_MAX_RETRIES = 1  # Anyscale's own default


def render(options: argparse.Namespace, staging: Path) -> dict[str, Any]:
    """The job config as a plain dict, checked with JobConfig; LauncherError with its one sentence if refused."""
    job = ray_program(options.script, options.program, options.args, staging)
    image = explicit_image(options.image) or recorded_image(options.image_file)
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
    """Check the config with the anyscale package's own model, offline; LauncherError names what it refused."""
    from anyscale.job.models import JobConfig

    if not config.get("name"):
        raise LauncherError("the Anyscale job name must not be empty")
    try:
        JobConfig.from_dict(config)
    except (TypeError, ValueError) as error:
        raise LauncherError(f"the Anyscale job config was refused: {error}") from None


def submit(config_file: Path) -> int:
    """`anyscale job submit -f FILE --wait` with the pinned CLI of this environment; its exit status."""
    cli = Path(sys.executable).parent / "anyscale"
    return subprocess.run([str(cli), "job", "submit", "-f", str(config_file), "--wait"], check=False).returncode


def launch(options: argparse.Namespace) -> int:
    """Render and check the config, then print it (--dry-run) or write it and submit it; the exit status."""
    text = yaml.safe_dump(render(options, options.build_dir / "working_dir"), sort_keys=False)
    if options.dry_run:
        print(text, end="")
        return 0
    config_file = options.build_dir / "job.yaml"
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text)
    print(f"submitting {config_file}:\n{text}", flush=True)
    return submit(config_file)
