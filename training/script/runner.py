"""Run a user's script as `python SCRIPT ARGS...` runs it, with Ray already connected to the job's cluster.

aws-samples' Ray-on-SageMaker launcher calls `ray.init(address="auto")` and then runs the user's
script in its own process, so scripts written for it use Ray without calling `ray.init()`. This
runner does the same: it joins the cluster named by RAY_ADDRESS, then runs the script with runpy as
`__main__` in this process, sys.argv as the toolkit gives it. A script that calls `ray.init()` itself
(with or without an address) gets the connection it already has instead of Ray's "called twice" error.

Ray Train's and Tune's default storage path (`~/ray_results`, `ray.train.constants.DEFAULT_STORAGE_PATH`,
read by `ray.train.RunConfig`, `ray.tune.RunConfig` and `tune.run` when no storage_path is given) becomes
the folder passed here, so a script's results land where SageMaker uploads them.

This file is run by path (`python -P script_runner.py STORAGE SCRIPT ARGS...`) in the script's folder, so it
imports nothing from training/; `-P` keeps training/ off sys.path, where the script's own folder goes first,
as for `python SCRIPT`.
"""

from __future__ import annotations

import functools
import os
import runpy
import sys
from collections.abc import Callable, Sequence
from typing import Any

import ray


def command(storage_path: str, script: str, arguments: Sequence[str]) -> list[str]:
    """The command line that runs script with arguments through this runner."""
    return [sys.executable, "-P", os.path.abspath(__file__), storage_path, script, *arguments]


def main(argv: Sequence[str]) -> None:
    """Connect, set the default storage path, then run the script as __main__ (its SystemExit is ours)."""
    storage_path, script, *arguments = argv
    ray.init(address=os.environ["RAY_ADDRESS"])
    ray.init = _joined(ray.init)
    _default_storage(storage_path)
    sys.argv = [script, *arguments]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


def _joined(init: Callable[..., Any]) -> Callable[..., Any]:
    """ray.init that returns the current connection when there is one, whatever it is asked."""

    @functools.wraps(init)
    def join(*args: Any, **kwargs: Any) -> Any:
        if ray.is_initialized():
            kwargs["ignore_reinit_error"] = True
        return init(*args, **kwargs)

    return join


def _default_storage(path: str) -> None:
    """Point Ray's default storage path at path before the script imports Ray Train or Tune."""
    import ray.train.constants

    os.makedirs(path, exist_ok=True)
    ray.train.constants.DEFAULT_STORAGE_PATH = path


if __name__ == "__main__":
    main(sys.argv[1:])
