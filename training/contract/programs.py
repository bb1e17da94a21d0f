"""The programs a job can run, defined once: the `program` hyperparameter, the entry point, Ray Jobs and the launcher
all read them from here.

A program's module has `run(env)`; it is imported only when chosen (tune pulls in pandas, script pip).
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Program:
    """One thing `program=NAME` runs."""

    name: str
    module: str
    summary: str
    users_own: bool = False  # the user's script: every host runs it and joins; it keeps its own state
    on_any_ray_cluster: bool = True  # `python -m training.ray_job NAME` runs it on a cluster that is not SageMaker's


TRAIN = Program("train", "training.programs.data_parallel", "data-parallel training with Ray Train")
TUNE = Program("tune", "training.programs.grid_search", "a grid search with Ray Tune, one trial per CPU")
SCRIPT = Program(
    "script",
    "training.script.run",
    "your own Ray program from the code channel",
    users_own=True,
    on_any_ray_cluster=False,  # on another Ray cluster a script runs as itself, `python SCRIPT`
)
PROGRAMS = {program.name: program for program in (TRAIN, TUNE, SCRIPT)}
OURS = tuple(name for name, program in PROGRAMS.items() if not program.users_own)
RAY_JOB_PROGRAMS = tuple(name for name, program in PROGRAMS.items() if program.on_any_ray_cluster)
