"""`python -m training.train` or `python training/train.py`: the image's entry point with program=train.

The same contract, whatever the files say about the program; the program itself is
training/programs/data_parallel.py.
"""

import sys
from pathlib import Path

if __name__ == "__main__" and not __package__:  # `python training/train.py`: import from the repository root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from training.contract.programs import TRAIN
from training.entrypoint import run_as

if __name__ == "__main__":
    sys.exit(run_as(TRAIN.name))
