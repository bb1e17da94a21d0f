"""Jobs run on this machine with the image's contract, no AWS account needed for the last two.

`run.py` runs the entry point (or the pushed image) on a laid-out folder; `stack_job.py` runs the very
request SageMaker would get, its data from the stack's bucket; `folder_job.py` runs one with no stack,
its channels from folders here; `demo.py` is `make demo`.
"""
