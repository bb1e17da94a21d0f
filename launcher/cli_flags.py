"""The verbs of `python -m launcher` and their flags: what the command line accepts, nothing it does.

launcher/cli.py runs a verb with what this parser read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from container.image_file import IMAGE_FILE
from infra.stack_names import OUTPUTS_FILE, PROJECT
from launcher.ray_clusters.anyscale import BUILD, DEFAULT_MAX_RETRIES
from launcher.ray_clusters.program import add_program_arguments
from launcher.sagemaker_jobs import results
from launcher.sagemaker_jobs.dashboard import DASHBOARD_PORT
from launcher.sagemaker_jobs.request import DEFAULT_INSTANCE_TYPE, DEFAULT_MAX_RUNTIME, EXECUTORS, MAX_KEEP_ALIVE
from launcher.stack.code_channel import DEFAULT_LIMIT_MIB
from training.contract.programs import OURS


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m launcher",
        description="Jobs on the deployed stack, on this machine and on other Ray clusters: the Make verbs' command "
        "line.",
    )
    verbs = top.add_subparsers(dest="verb", required=True, metavar="VERB")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--outputs", type=Path, default=OUTPUTS_FILE, help="the outputs file make deploy wrote")
    common.add_argument("--stack", default=None, help="stack name (default: the file's only one)")
    jobs_dir = argparse.ArgumentParser(add_help=False)
    jobs_dir.add_argument("--jobs-dir", type=Path, default=results.DEFAULT_JOBS_DIR, help="where results are unpacked")

    data = verbs.add_parser("data", parents=[common], help="upload the MNIST IDX files to the data bucket")
    data.add_argument("--data", type=Path, default=None, help="a folder of your own IDX files (default: the digits)")
    for program in OURS:
        job_flags(
            verbs.add_parser(
                program,
                parents=[common, jobs_dir],
                allow_abbrev=False,
                help=f"run {program} as a training job",
                epilog="Every other --name value pair is a hyperparameter of the job (--epochs 3, --learning-rate "
                "0.005): python -m training.entrypoint --help lists them.",
            )
        )
    run = verbs.add_parser(
        "run",
        parents=[common, jobs_dir],
        allow_abbrev=False,
        help="run your own Ray program (its folder is uploaded as the code channel) as a training job",
        epilog="Every other --name value pair is passed to your script as it is. Its folder's .gitignore and "
        ".rayignore apply; __pycache__, .git and virtual environments are never uploaded.",
    )
    run.add_argument("--script", type=Path, default=None, help="your Python file; its folder is the code channel")
    run.add_argument(
        "--code-limit-mb", type=int, default=DEFAULT_LIMIT_MIB, help="most MiB of code to upload (default %(default)s)"
    )
    job_flags(run)
    for verb, text, more in (
        ("status", "show a job's status", []),
        ("logs", "follow a job's status and logs until it ends, then fetch its results", [jobs_dir]),
        ("stop", "stop a job", []),
    ):
        verbs.add_parser(verb, parents=[common, *more], help=text).add_argument("job", help="the job's name")
    verbs.add_parser("jobs", parents=[common], help="the stack's recent jobs").add_argument(
        "--count", type=int, default=10
    )
    forwarding = verbs.add_parser(
        "dashboard", parents=[common], help="open a running job's Ray dashboard here, through an SSM session"
    )
    forwarding.add_argument("job", help="the job's name")
    forwarding.add_argument("--port", type=int, default=DASHBOARD_PORT, help="the local port (default %(default)s)")
    other_clusters(verbs)
    demo = verbs.add_parser("demo", help="train, then tune, on real handwritten digits here: no AWS, no Docker")
    demo.add_argument("--root", type=Path, default=Path("demo"), help="folder for the data and both jobs (cleared)")
    return top


def other_clusters(verbs: argparse._SubParsersAction) -> None:
    """ray-submit and anyscale-submit: our program or the user's script on a Ray cluster that is not SageMaker's."""
    program = argparse.ArgumentParser(add_help=False)
    add_program_arguments(program)
    ray = verbs.add_parser(
        "ray-submit", parents=[program], help="run train, tune or your script on a Ray cluster you run (Ray Jobs API)"
    )
    ray.add_argument("--address", default="", help="the cluster's dashboard, e.g. http://HEAD:8265")
    ray.add_argument("--no-pins", action="store_true", help="use the cluster's packages, pin nothing")
    anyscale = verbs.add_parser(
        "anyscale-submit", parents=[program], help="run train, tune or your script as an Anyscale job"
    )
    anyscale.add_argument("--name", help=f"the job's name (default {PROJECT}-<program or script>)")
    anyscale.add_argument("--compute-config", help="an Anyscale compute config, NAME[:VERSION] (default: the cloud's)")
    anyscale.add_argument("--image", default=None, help="the image to run (default: IMAGE_URI, else --image-file's)")
    anyscale.add_argument("--image-file", type=Path, default=IMAGE_FILE, help="where make push-image recorded it")
    anyscale.add_argument("--max-retries", type=int, default=DEFAULT_MAX_RETRIES, help="retries of a failed job")
    anyscale.add_argument("--build-dir", type=Path, default=BUILD, help="where the config and train's working dir go")
    anyscale.add_argument("--dry-run", action="store_true", help="print the config, submit nothing")


def job_flags(verb: argparse.ArgumentParser) -> None:
    verb.add_argument(
        "--instance-type", default=DEFAULT_INSTANCE_TYPE, help="SageMaker instance type (default %(default)s)"
    )
    verb.add_argument("--instance-count", type=int, default=1, help="number of instances (default 1)")
    verb.add_argument(
        "--spot", action=argparse.BooleanOptionalAction, default=True, help="managed spot training (default: on)"
    )
    verb.add_argument(
        "--max-runtime", type=int, default=DEFAULT_MAX_RUNTIME, help="seconds the job may run (default %(default)s)"
    )
    verb.add_argument(
        "--max-wait", type=int, default=None, help="spot only: seconds to wait and run in all (default 2 x max-runtime)"
    )
    verb.add_argument(
        "--job-name", default=None, help="job name base (the stack's prefix is added, then the launch's UTC time)"
    )
    verb.add_argument("--no-wait", action="store_true", help="return once the job is submitted")
    verb.add_argument(
        "--local-data", type=Path, default=None, help="--executor local, no stack: a folder of channel folders"
    )
    verb.add_argument(
        "--executor", choices=EXECUTORS, default="sagemaker", help="where the job runs (default sagemaker)"
    )
    verb.add_argument(
        "--keep-alive",
        type=int,
        default=0,
        help=f"seconds (<= {MAX_KEEP_ALIVE}) to keep the instance warm; on-demand only",
    )
    verb.add_argument(
        "--image",
        default=None,
        help="image URI (default: IMAGE_URI, else --image-file, else the newest make push-image in the stack's ECR)",
    )
    verb.add_argument(
        "--mlflow",
        default=None,
        help="MLflow tracking URI or ARN, or none (default: the stack's MLflow; a store in the job folder locally)",
    )
    verb.add_argument(
        "--remote-debug",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="let SSM sessions into the job's containers, for make dashboard (default: on)",
    )
    verb.add_argument("--image-file", type=Path, default=IMAGE_FILE, help="where make push-image recorded the image")
