"""Loading the job's two channels once, in the driver, before any Ray worker starts.

A missing channel or a corrupt file is reported in one sentence before the cluster
spends a second; the arrays then travel to workers through Ray's object store.
"""

from __future__ import annotations

from training.contract.environment import JobEnvironment
from training.programs.mnist import Digits, load_channel


def load_datasets(env: JobEnvironment) -> tuple[Digits, Digits]:
    """The training and testing channels as uint8 digits."""
    return load_channel(env.channel("training"), "training"), load_channel(env.channel("testing"), "testing")
