"""Experiment tracking in MLflow: one run per job from the leader, never fatal to training.

`mlflow_run.py` opens and writes the job's run; `ray_callbacks.py` feeds it from Ray Train's epochs
and Ray Tune's trials (one child run each).
"""
