"""`python -m launcher <verb>`: the Make verbs' command line, a thin layer over launcher/api.py.

    python -m launcher data [--data FOLDER]
    python -m launcher train|tune [--instance-type T] [--no-spot] [--no-wait] [--executor local] [--epochs 3 ...]
    python -m launcher run --script path/to/job.py [the same flags] [your script's --name value ...]
    python -m launcher status|logs|stop|dashboard JOB
    python -m launcher jobs
    python -m launcher ray-submit|anyscale-submit [--script PATH | --program train|tune] [...] [-- ARGS...]
    python -m launcher demo [--root demo]

Every problem a user can fix ends the command with one sentence naming the next command, and exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from launcher import api
from launcher.cli_flags import parser
from launcher.errors import LauncherError, service_answer
from launcher.local import folder_job
from launcher.local.demo import run_demo
from launcher.ray_clusters import anyscale
from launcher.ray_clusters.program import env_vars
from launcher.ray_clusters.ray_jobs import job_request, submit_and_follow
from launcher.sagemaker_jobs import dashboard, results
from launcher.sagemaker_jobs.follow import status_text
from launcher.sagemaker_jobs.listing import HEADER, row
from launcher.sagemaker_jobs.request import JobSpec
from launcher.stack.outputs import Stack
from launcher.stack.session import NO_CREDENTIALS
from training.contract.programs import OURS, SCRIPT

EXIT_DETACHED = 130


def main(argv: Sequence[str] | None = None) -> int:
    args, extra = parser().parse_known_args(argv)
    try:
        if args.verb not in (*OURS, "run") and extra:
            raise LauncherError(f"unexpected arguments {' '.join(extra)}: see python -m launcher {args.verb} --help")
        if not getattr(args, "job", "-"):
            raise LauncherError(f"name the job: make {args.verb} JOB=<name> (make jobs lists them)")
        return VERBS[args.verb](args, extra)
    except LauncherError as error:
        print(f"{args.verb}: {error}", file=sys.stderr)
    except NoCredentialsError:
        print(f"{args.verb}: {NO_CREDENTIALS}", file=sys.stderr)
    except ClientError as error:
        print(f"{args.verb}: AWS refused ({service_answer(error)}): check the stack with make deploy", file=sys.stderr)
    except BotoCoreError as error:
        print(f"{args.verb}: {error}: check the network and AWS settings, then run the command again", file=sys.stderr)
    return 1


def _data(args: argparse.Namespace, _: list[str]) -> int:
    stack = Stack.load(args.outputs, args.stack)
    for item in api.upload_data(stack, args.data):
        print(f"{'uploaded ' if item.sent else 'unchanged'} {item.uri}")
    return 0


def _job(args: argparse.Namespace, extra: list[str]) -> int:
    spec = _spec(args, args.verb, api.hyperparameters(args.verb, extra))
    if _without_stack(args, spec):
        return _report(*folder_job.run_here(spec, None, args.local_data, args.jobs_dir))
    return _launch(Stack.load(args.outputs, args.stack), spec, args)


def _run(args: argparse.Namespace, extra: list[str]) -> int:
    """`make run`: the script's folder packed and uploaded as the code channel, then the job as for train."""
    if args.script is None:
        raise LauncherError("name your program: make run SCRIPT=path/to/job.py [ARGS=...]")
    packed = api.pack_code(args.script, args.code_limit_mb)
    hyperparameters = api.script_hyperparameters(packed.entry_script, extra)
    here = _spec(args, SCRIPT.name, hyperparameters, {"code": str(packed.folder)})
    if _without_stack(args, here):
        return _report(*folder_job.run_here(here, packed, args.local_data, args.jobs_dir))
    stack = Stack.load(args.outputs, args.stack)
    spec = _spec(args, SCRIPT.name, hyperparameters, {"code": packed.uri(stack)})
    sent = api.upload_code(stack, packed)
    state = f"uploaded {sent} of" if sent else "unchanged:"
    print(f"{state} {len(packed.files)} files ({packed.size / 1024:.1f} KiB) of {packed.folder} -> {packed.uri(stack)}")
    return _launch(stack, spec, args)


def _without_stack(args: argparse.Namespace, spec: JobSpec) -> bool:
    """`--executor local` with no outputs file: the job runs from local folders (launcher/local/folder_job.py)."""
    return spec.executor == "local" and not args.outputs.exists()


def _spec(
    args: argparse.Namespace, program: str, hyperparameters: dict[str, str], channels: dict[str, str] | None = None
) -> JobSpec:
    return JobSpec(
        program=program,
        hyperparameters=hyperparameters,
        channels=channels or {},
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        spot=args.spot,
        max_runtime=args.max_runtime,
        max_wait=args.max_wait,
        job_name=args.job_name,
        keep_alive=args.keep_alive,
        executor=args.executor,
        mlflow=args.mlflow,
        remote_debug=args.remote_debug,
    )


def _launch(stack: Stack, spec: JobSpec, args: argparse.Namespace) -> int:
    """Submit the job (or run it here with --executor local), then follow it and fetch its results unless --no-wait."""
    if spec.executor == "local":
        return _finish(stack, api.run_local(stack, spec, args.image), args.jobs_dir)
    image = api.find_image(stack, args.image, args.image_file)
    if spec.executor == "local-image":
        return _finish(stack, api.run_local(stack, spec, image, tool=_container_tool()), args.jobs_dir)
    name = api.submit(stack, spec, image)
    market = "spot" if spec.spot else "on-demand"
    print(f"submitted {name}: {spec.instance_count} x {spec.instance_type} ({market}), {spec.program} {_shown(spec)}")
    if args.no_wait:
        print(f"follow it with: make logs JOB={name}    status: make status JOB={name}    stop: make stop JOB={name}")
        return 0
    return _follow_and_finish(stack, name, args.jobs_dir)


def _shown(spec: JobSpec) -> str:
    return " ".join(f"--{k} {v}" for k, v in spec.hyperparameters.items() if k != "program")


def _follow_and_finish(stack: Stack, name: str, jobs_dir: Path) -> int:
    try:
        job = api.follow(stack, name)
    except KeyboardInterrupt:
        print(f"\ndetached; {name} runs on: follow it with make logs JOB={name}, stop it with make stop JOB={name}")
        return EXIT_DETACHED
    return _finish(stack, job, jobs_dir)


def _finish(stack: Stack, job: dict, jobs_dir: Path) -> int:
    """The end-of-job report once the job's results are downloaded, a failed job's too (Ray's record tells why)."""
    return _report(job, api.fetch(stack, job, jobs_dir))


def _report(job: dict, fetched: results.Fetched) -> int:
    """The summary and where the results are; non-zero unless Completed."""
    for line in results.summary(job):
        print(line)
    record = fetched.ray_record
    if job["TrainingJobStatus"] != "Completed":
        if record.is_dir():
            print(f"Ray's record of the run: {record}/")
        return 1
    print(f"results in {fetched.folder}/")
    for name, path in fetched.files.items():
        print(f"  {name + ':':<13} {path}")
    if record.is_dir():
        print(f"  {'ray record:':<13} {record}/")
    return 0


def _container_tool() -> str:
    from container.tool import choose_tool

    try:
        return choose_tool(os.environ.get("CONTAINER_TOOL") or None)
    except RuntimeError as error:
        raise LauncherError(f"{error}; or run with --executor local (no container)") from None


def _status(args: argparse.Namespace, _: list[str]) -> int:
    job = api.describe(Stack.load(args.outputs, args.stack), args.job)
    print(status_text(job, _elapsed(job)))
    if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
        print("\n".join(results.summary(job)))
    return 0


def _elapsed(job: dict) -> float:
    return float(row(job).seconds or 0)


def _logs(args: argparse.Namespace, _: list[str]) -> int:
    stack = Stack.load(args.outputs, args.stack)
    api.describe(stack, args.job)  # one sentence for a job that does not exist
    return _follow_and_finish(stack, args.job, args.jobs_dir)


def _stop(args: argparse.Namespace, _: list[str]) -> int:
    api.stop(Stack.load(args.outputs, args.stack), args.job)
    print(
        f"stopping {args.job}: SageMaker sends SIGTERM, the latest checkpoint is kept;",
        f"watch: make status JOB={args.job}",
    )
    return 0


def _dashboard(args: argparse.Namespace, _: list[str]) -> int:
    """`make dashboard`: check the tools and the job, say where to look and with which token, then forward."""
    dashboard.require_tools()
    stack = Stack.load(args.outputs, args.stack)
    job = api.describe(stack, args.job)
    dashboard.check_reachable(job)
    for line in dashboard.instructions(args.job, dashboard.dashboard_token(job), args.port):
        print(line, flush=True)
    return dashboard.forward(dashboard.session_command(args.job, stack.region, args.port))


def _jobs(args: argparse.Namespace, _: list[str]) -> int:
    print(HEADER)
    stack = Stack.load(args.outputs, args.stack)
    for job in api.recent_jobs(stack, args.count):
        print(job)
    if stack.mlflow_arn:
        print(f"MLflow UI (a one-time link; experiment = program, run = job name): {api.mlflow_ui(stack)}")
    return 0


def _ray_submit(args: argparse.Namespace, _: list[str]) -> int:
    env = env_vars(args.env)
    with job_request(args.script, args.program, args.args, env, not args.no_pins) as request:
        return submit_and_follow(args.address, request)


def _anyscale_submit(args: argparse.Namespace, _: list[str]) -> int:
    return anyscale.launch(args)


VERBS = {
    "data": _data,
    "train": _job,
    "tune": _job,
    "run": _run,
    "status": _status,
    "logs": _logs,
    "stop": _stop,
    "jobs": _jobs,
    "dashboard": _dashboard,
    "ray-submit": _ray_submit,
    "anyscale-submit": _anyscale_submit,
    "demo": lambda args, _: run_demo(args.root),
}
