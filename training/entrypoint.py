"""The program a training job starts: `python -m training.entrypoint [train] [--name value ...]`.

It reads the contract, runs train or tune, and turns a failure into what SageMaker expects:
one sentence on stderr and in /opt/ml/output/failure, no model left behind, a non-zero exit.
"""

from __future__ import annotations

import dataclasses
import importlib
import signal
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from training.cluster.gpu_check import check_gpus
from training.cluster.network import prepare_network, use_job_token
from training.cluster.stopping import stop_on_sigterm
from training.contract.environment import JobEnvironment, JobPaths, read_environment, read_paths
from training.contract.hyperparameters import Hyperparameters
from training.contract.programs import PROGRAMS
from training.errors import JobError, ScriptExited
from training.programs.outputs import discard_model

EXIT_BAD_INPUT = 1
EXIT_INTERNAL = 2
EXIT_STOPPED = 128 + signal.SIGTERM  # what a shell reports for a process ended by SIGTERM


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the job; return the process exit status (0 means Completed)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if "--help" in args or "-h" in args:
        print(usage())
        return 0
    paths = read_paths(environ)
    stop_on_sigterm()
    try:
        paths.failure_file.unlink(missing_ok=True)
        env = read_environment(args, environ)
        check_gpus(env.num_gpus, env.hyperparameters.use_gpu)
        if len(env.hosts) > 1:
            prepare_network(env)  # before anything imports Ray
        elif env.job_identity:
            use_job_token(env)  # a named job's dashboard wants the token make dashboard derives, on one host too
        if not env.is_leader and not PROGRAMS[env.hyperparameters.program].users_own:  # a script runs on every host
            from training.cluster.session import lend_host  # imports Ray

            lend_host(env)
            return 0
        print(f"running {env.hyperparameters.program} on {env.current_host} of {list(env.hosts)}", flush=True)
        path = _program(env.hyperparameters.program)(env)
        if path is not None:
            print(f"model written to {path}", flush=True)
        return 0
    except ScriptExited as exited:  # the user's script: its status, its own last words as the reason
        _fail(paths, str(exited))
        return exited.status
    except KeyboardInterrupt:
        print("stopped; the latest checkpoint is kept, so running the job again resumes from it", file=sys.stderr)
        return EXIT_STOPPED
    except Exception as error:  # noqa: BLE001 - every failure must reach the failure file
        cause = _job_error(error)
        message = str(cause) if cause else f"internal error: {type(error).__name__}: {error}"
        if cause is None:
            traceback.print_exc()
        _fail(paths, message)
        return EXIT_BAD_INPUT if cause else EXIT_INTERNAL


def run_as(program: str, argv: Sequence[str] | None = None) -> int:
    """`python -m training.train` (or tune): this entry point with the program fixed, whatever the files say."""
    return main([*(sys.argv[1:] if argv is None else argv), "--program", program])


def _program(name: str) -> Callable[[JobEnvironment], Path | None]:
    """The run(env) function of the program, imported only when chosen (tune pulls in pandas)."""
    return importlib.import_module(PROGRAMS[name].module).run


def _job_error(error: BaseException) -> JobError | None:
    """The JobError behind an exception, also when Ray wrapped it on its way from a worker."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, JobError):
            return JobError(str(current).splitlines()[0]) if "\n" in str(current) else current
        pending += [current.__cause__, current.__context__, getattr(current, "cause", None)]
        pending += list(getattr(current, "worker_failures", {}).values())
    return None


def _fail(paths: JobPaths, message: str) -> None:
    """Tell the user and SageMaker why, and make sure no model pretends the run succeeded."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    try:
        paths.failure_file.parent.mkdir(parents=True, exist_ok=True)
        paths.failure_file.write_text(message[:1024] + "\n")
    except OSError as error:
        print(f"error: could not write {paths.failure_file}: {error}", file=sys.stderr)
    discard_model(paths.model_dir)


def usage() -> str:
    """The hyperparameters, their defaults and meaning, for --help."""
    lines = ["usage: python -m training.entrypoint [train] [--name value ...]", "", "hyperparameters:"]
    for field in dataclasses.fields(Hyperparameters):
        default = Hyperparameters().as_strings()[field.name]
        lines.append(f"  --{field.name.replace('_', '-'):<18} {field.metadata['help']} (default {default})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
