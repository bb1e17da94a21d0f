"""`python -m training.tune` or `python training/tune.py`: the image's entry point with program=tune.

The same contract, whatever the files say about the program; the program itself is
training/programs/grid_search.py.
"""

import sys
from pathlib import Path

if __name__ == "__main__" and not __package__:  # `python training/tune.py`: import from the repository root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from training.contract.programs import TUNE
from training.entrypoint import run_as

if __name__ == "__main__":
    sys.exit(run_as(TUNE.name))
