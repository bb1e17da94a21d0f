"""Jobs on Ray clusters that are not SageMaker's: one you run (Ray Jobs API) or Anyscale's.

`program.py` makes what runs there (the entrypoint, the working dir, the packages) from our program or
the user's script; `ray_jobs.py` submits it to a cluster's dashboard, `anyscale.py` through Anyscale's CLI.
"""
