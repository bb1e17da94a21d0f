"""program=script: the user's own Ray program, run as SageMaker's script mode runs one.

`run.py` runs it on the job's cluster; `source.py` finds it (our `entry-script`, or the SDK
estimator's convention); `environment.py` gives it the toolkit's SM_* variables and arguments;
`requirements.py` installs its requirements.txt beside the image's packages; `runner.py` is the
process the script runs in.
"""
